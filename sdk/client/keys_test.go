package client

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyFileRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		save  func(path string) error
		pass  string
		wantE error
	}{
		{name: "keystore", save: func(p string) error { return saveKeystore(p, k, "s3cret", 2, 1) }, pass: "s3cret"},
		{name: "keystore empty passphrase", save: func(p string) error { return saveKeystore(p, k, "", 2, 1) }},
		{name: "hex", save: func(p string) error { return SaveHexKey(p, k) }},
		{name: "keystore wrong passphrase", save: func(p string) error { return saveKeystore(p, k, "s3cret", 2, 1) }, pass: "nope", wantE: errAny},
		{name: "keystore missing passphrase", save: func(p string) error { return saveKeystore(p, k, "s3cret", 2, 1) }, wantE: ErrNeedsPasswd},
		{name: "garbage", save: func(p string) error { return os.WriteFile(p, []byte("not a key"), 0o600) }, wantE: ErrBadKeyFile},
		{name: "bad JSON", save: func(p string) error { return os.WriteFile(p, []byte("{nope"), 0o600) }, wantE: ErrBadKeyFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub", "key")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := tt.save(path); err != nil {
				t.Fatal(err)
			}
			if tt.wantE == nil || tt.wantE == errAny {
				if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
					t.Fatalf("key file mode = %v, %v; want 0600", st.Mode(), err)
				}
			}
			got, err := LoadKeyFile(path, tt.pass)
			switch {
			case tt.wantE == errAny:
				if err == nil {
					t.Fatal("wrong passphrase accepted")
				}
				return
			case tt.wantE != nil:
				if !errors.Is(err, tt.wantE) {
					t.Fatalf("err = %v, want %v", err, tt.wantE)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if got.Address() != k.Address() || got.Hex() != k.Hex() {
				t.Fatalf("loaded %s, saved %s", got.Address(), k.Address())
			}
		})
	}
}

// errAny marks a case where any error will do (go-ethereum's decrypt error
// is not ours to pin).
var errAny = errors.New("any error")

func TestKeyFilesAreNeverOverwritten(t *testing.T) {
	k, _ := GenerateKey()
	path := filepath.Join(t.TempDir(), "key")
	if err := SaveHexKey(path, k); err != nil {
		t.Fatal(err)
	}
	for name, save := range map[string]func() error{
		"hex":      func() error { return SaveHexKey(path, k) },
		"keystore": func() error { return saveKeystore(path, k, "x", 2, 1) },
	} {
		if err := save(); !errors.Is(err, ErrKeyExists) {
			t.Errorf("%s over an existing file: err = %v, want ErrKeyExists", name, err)
		}
	}
}

func TestLoadKeyFileMissing(t *testing.T) {
	_, err := LoadKeyFile(filepath.Join(t.TempDir(), "none"), "")
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not exist", err)
	}
}

func TestKeyFromHex(t *testing.T) {
	const hexKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
	k, err := KeyFromHex(hexKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Address().Hex(); got != "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23" {
		t.Fatalf("address = %s", got)
	}
	if _, err := KeyFromHex("0x1234"); !errors.Is(err, ErrBadKeyFile) {
		t.Fatalf("short key: err = %v", err)
	}
}
