package manifest

import (
	"bytes"
	"errors"
	"testing"
)

// testModule is a minimal module: the header, a type section and a
// custom section named "name" (as the Go toolchain emits).
func testModule() []byte {
	m := append([]byte{}, wasmHeader...)
	m = append(m, 1, 4, 1, 0x60, 0, 0) // type section: one func type () -> ()
	m = append(m, customSection("name", []byte{1, 2, 3})...)
	return m
}

func customSection(name string, payload []byte) []byte {
	body := appendULEB(nil, uint32(len(name)))
	body = append(body, name...)
	body = append(body, payload...)
	out := []byte{0}
	out = appendULEB(out, uint32(len(body)))
	return append(out, body...)
}

func TestEmbedExtract(t *testing.T) {
	mod := testModule()
	if _, ok, err := Extract(mod); ok || err != nil {
		t.Fatalf("Extract of a module without a manifest: %v, %v", ok, err)
	}
	doc := []byte(`{"version":1,"methods":{}}`)
	out, err := Embed(mod, doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, mod) {
		t.Fatal("Embed changed the module's existing sections")
	}
	got, ok, err := Extract(out)
	if err != nil || !ok || !bytes.Equal(got, doc) {
		t.Fatalf("Extract = %q, %v, %v", got, ok, err)
	}
	// Embedding again replaces: same bytes as embedding once.
	again, err := Embed(out, doc)
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("re-embedding changed the module (%v)", err)
	}
	other := []byte(`{"version":1,"methods":{"m":{"args":{},"result":{}}}}`)
	replaced, err := Embed(out, other)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := Extract(replaced); !bytes.Equal(got, other) {
		t.Fatalf("replaced manifest reads %q", got)
	}
	// A payload long enough for a multi-byte section size.
	long := bytes.Repeat([]byte("x"), 300)
	withLong, err := Embed(mod, long)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := Extract(withLong); !bytes.Equal(got, long) {
		t.Fatal("long manifest did not round trip")
	}
}

func TestEmbedErrors(t *testing.T) {
	if _, err := Embed([]byte("not wasm"), []byte(`{}`)); !errors.Is(err, ErrNotWasm) {
		t.Fatalf("Embed(not wasm) = %v", err)
	}
	if _, err := Embed(testModule(), make([]byte, MaxSize+1)); err == nil {
		t.Fatal("Embed accepted a manifest over MaxSize")
	}
	broken := append(testModule(), 1, 0x80)
	if _, err := Embed(broken, []byte(`{}`)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Embed(malformed) = %v", err)
	}
}

func TestExtractMalformed(t *testing.T) {
	mod := testModule()
	twice := append(append(append([]byte{}, mod...), customSection(SectionName, []byte("{}"))...), customSection(SectionName, []byte("{}"))...)
	tests := []struct {
		name string
		wasm []byte
		want error
	}{
		{"empty", nil, ErrNotWasm},
		{"bad magic", []byte("\x00asn\x01\x00\x00\x00"), ErrNotWasm},
		{"version 2", []byte("\x00asm\x02\x00\x00\x00"), ErrNotWasm},
		{"truncated size", append(append([]byte{}, mod...), 0, 0x80), ErrMalformed},
		{"overlong LEB128", append(append([]byte{}, mod...), 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), ErrMalformed},
		{"size overflows u32", append(append([]byte{}, mod...), 0, 0xff, 0xff, 0xff, 0xff, 0x7f), ErrMalformed},
		{"size past the end", append(append([]byte{}, mod...), 1, 10, 0), ErrMalformed},
		{"name past the section", append(append([]byte{}, mod...), 0, 2, 5, 'a'), ErrMalformed},
		{"name length truncated", append(append([]byte{}, mod...), 0, 1, 0x80), ErrMalformed},
		{"two manifests", twice, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := Extract(tc.wasm); !errors.Is(err, tc.want) {
				t.Fatalf("Extract = %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzExtract: Extract never panics, a payload it returns lies inside the
// input, and a module it accepts round trips through Embed.
func FuzzExtract(f *testing.F) {
	mod := testModule()
	withManifest, _ := Embed(mod, []byte(`{"version":1,"methods":{}}`))
	f.Add(mod)
	f.Add(withManifest)
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x00\x0e\x0dmesh.manifest"))
	f.Add(append(append([]byte{}, mod...), 0, 0x80))
	f.Fuzz(func(t *testing.T, wasm []byte) {
		payload, ok, err := Extract(wasm)
		if err != nil {
			if ok || payload != nil {
				t.Fatal("an error with a payload")
			}
			return
		}
		if ok && !bytes.Contains(wasm, payload) {
			t.Fatal("payload not from the input")
		}
		doc := []byte(`{"m":1}`)
		out, err := Embed(wasm, doc)
		if err != nil {
			t.Fatalf("Embed of a module Extract accepted: %v", err)
		}
		got, ok, err := Extract(out)
		if err != nil || !ok || !bytes.Equal(got, doc) {
			t.Fatalf("round trip: %q %v %v", got, ok, err)
		}
	})
}

func TestLEB(t *testing.T) {
	for _, v := range []uint32{0, 1, 127, 128, 300, 1 << 21, 0xffffffff} {
		b := appendULEB(nil, v)
		got, n, err := readULEB(b)
		if err != nil || got != v || n != len(b) {
			t.Fatalf("%d: %d %d %v", v, got, n, err)
		}
	}
}
