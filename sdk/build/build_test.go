package build

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var wasmMagic = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}

func TestContract(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ok.wasm")
	if err := Contract(context.Background(), "testdata/ok", out); err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(wasm, wasmMagic) {
		t.Fatalf("output is not Wasm (%v)", err)
	}
}

func TestContractErrors(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		pkg    string
		output string
		err    error
	}{
		{"compile error", context.Background(), "testdata/broken", `cannot use "not an int"`, nil},
		{"missing dir", context.Background(), "testdata/nope", "", nil},
		{"canceled", canceled, "testdata/ok", "", context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Contract(tc.ctx, tc.pkg, filepath.Join(t.TempDir(), "x.wasm"))
			var be *Error
			if !errors.As(err, &be) {
				t.Fatalf("err %v, want *Error", err)
			}
			if be.Pkg != tc.pkg || !strings.Contains(be.Output, tc.output) || !strings.Contains(err.Error(), tc.output) {
				t.Fatalf("error %+v", be)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
		})
	}
}
