package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshledger/meshledger/sdk/build"
	"github.com/meshledger/meshledger/sdk/manifest"
)

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "contracts")
	if err := run(context.Background(), out, []string{"../../testdata/declared", "../../testdata/ok"}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"declared": true, "ok": false} {
		wasm, err := os.ReadFile(filepath.Join(out, name+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := manifest.Extract(wasm); ok != want || err != nil {
			t.Fatalf("%s: manifest %v (%v), want %v", name, ok, err, want)
		}
	}
}

func TestRunStopsAtFailure(t *testing.T) {
	out := filepath.Join(t.TempDir(), "contracts")
	err := run(context.Background(), out, []string{"../../testdata/broken", "../../testdata/ok"})
	var be *build.Error
	if !errors.As(err, &be) || be.Pkg != "../../testdata/broken" {
		t.Fatalf("run = %v, want the broken package's *build.Error", err)
	}
	if _, err := os.Stat(filepath.Join(out, "ok.wasm")); !os.IsNotExist(err) {
		t.Fatal("run went on after a failed build")
	}
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), filepath.Join(blocked, "sub"), []string{"../../testdata/ok"}); err == nil {
		t.Fatal("run wrote under a file")
	}
}
