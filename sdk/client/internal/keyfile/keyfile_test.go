package keyfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteNewCreatesPrivateFileOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "key")
	if err := WriteNew(path, []byte("first\n")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, %v; want 0600", st.Mode(), err)
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode = %v, %v; want 0700", st.Mode(), err)
	}
	if err := WriteNew(path, []byte("second\n")); !errors.Is(err, ErrExists) {
		t.Fatalf("second write: err = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first\n" {
		t.Fatalf("file now %q: an existing key was replaced", b)
	}
}
