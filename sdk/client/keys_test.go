package client

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Encrypted key files are tested in package sdk/client/keystore; these are
// the hex files a client reads without it.
func TestHexKeyFileRoundTrip(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		save  func(path string) error
		wantE error
	}{
		{name: "hex", save: func(p string) error { return SaveHexKey(p, k) }},
		{name: "garbage", save: func(p string) error { return os.WriteFile(p, []byte("not a key"), 0o600) }, wantE: ErrBadKeyFile},
		{name: "keystore JSON", save: func(p string) error { return os.WriteFile(p, []byte(`{"version":3}`), 0o600) }, wantE: ErrBadKeyFile},
		{name: "empty", save: func(p string) error { return os.WriteFile(p, nil, 0o600) }, wantE: ErrBadKeyFile},
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
			if tt.wantE == nil {
				if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
					t.Fatalf("key file mode = %v, %v; want 0600", st.Mode(), err)
				}
			}
			got, err := LoadHexKey(path)
			switch {
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

func TestHexKeyFilesAreNeverOverwritten(t *testing.T) {
	k, _ := GenerateKey()
	path := filepath.Join(t.TempDir(), "key")
	if err := SaveHexKey(path, k); err != nil {
		t.Fatal(err)
	}
	if err := SaveHexKey(path, k); !errors.Is(err, ErrKeyExists) {
		t.Errorf("hex over an existing file: err = %v, want ErrKeyExists", err)
	}
}

func TestLoadHexKeyMissing(t *testing.T) {
	_, err := LoadHexKey(filepath.Join(t.TempDir(), "none"))
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
