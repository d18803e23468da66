package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshledger/meshledger/sdk/client"
)

func TestKeyFileRoundTrip(t *testing.T) {
	k, err := client.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		save  func(path string) error
		pass  string
		wantE error
	}{
		{name: "keystore", save: func(p string) error { return save(p, k, "s3cret", 2, 1) }, pass: "s3cret"},
		{name: "keystore empty passphrase", save: func(p string) error { return save(p, k, "", 2, 1) }},
		{name: "hex", save: func(p string) error { return client.SaveHexKey(p, k) }},
		{name: "keystore wrong passphrase", save: func(p string) error { return save(p, k, "s3cret", 2, 1) }, pass: "nope", wantE: errAny},
		{name: "keystore missing passphrase", save: func(p string) error { return save(p, k, "s3cret", 2, 1) }, wantE: ErrNeedsPasswd},
		{name: "garbage", save: func(p string) error { return os.WriteFile(p, []byte("not a key"), 0o600) }, wantE: client.ErrBadKeyFile},
		{name: "bad JSON", save: func(p string) error { return os.WriteFile(p, []byte("{nope"), 0o600) }, wantE: client.ErrBadKeyFile},
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
	k, _ := client.GenerateKey()
	path := filepath.Join(t.TempDir(), "key")
	if err := client.SaveHexKey(path, k); err != nil {
		t.Fatal(err)
	}
	for name, save := range map[string]func() error{
		"hex":      func() error { return client.SaveHexKey(path, k) },
		"keystore": func() error { return save(path, k, "x", 2, 1) },
	} {
		if err := save(); !errors.Is(err, client.ErrKeyExists) {
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

// TestSaveKeyFileLightLoads covers the exported writer with go-ethereum's
// light parameters (the standard ones take a second per key).
func TestSaveKeyFileLightLoads(t *testing.T) {
	k, _ := client.GenerateKey()
	path := filepath.Join(t.TempDir(), "key.json")
	if err := SaveKeyFile(path, k, "pw", true); err != nil {
		t.Fatal(err)
	}
	got, err := LoadKeyFile(path, "pw")
	if err != nil || got.Address() != k.Address() {
		t.Fatalf("loaded %v, %v; want %s", got, err, k.Address())
	}
}
