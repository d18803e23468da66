package keyfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrExists is returned when the key file is already there. Package client
// exports it as client.ErrKeyExists.
var ErrExists = errors.New("client: key file already exists")

// WriteNew creates path with mode 0600 and writes b, creating missing
// directories with mode 0700. It refuses to overwrite: the error then
// wraps ErrExists.
func WriteNew(path string, b []byte) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("client: key dir: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s", ErrExists, path)
		}
		return fmt.Errorf("client: write key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("client: write key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("client: write key: %w", err)
	}
	return nil
}
