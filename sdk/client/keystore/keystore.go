package keystore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	gethkeystore "github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/google/uuid"

	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/internal/keyfile"
)

// ErrNeedsPasswd is returned by LoadKeyFile when the file is encrypted and
// no passphrase was given, so that a CLI can ask for one.
var ErrNeedsPasswd = errors.New("client: key file is encrypted; a passphrase is required")

// LoadKeyFile reads a key file in either format the node and CLI write:
// a go-ethereum keystore JSON file (Web3 Secret Storage, decrypted with
// passphrase) or a file holding the private key in hex. A file that is
// neither gives client.ErrBadKeyFile.
func LoadKeyFile(path, passphrase string) (*client.Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("client: read key: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		k, err := client.KeyFromHex(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%w: %s: invalid JSON", client.ErrBadKeyFile, path)
	}
	k, err := gethkeystore.DecryptKey(b, passphrase)
	if err != nil {
		if passphrase == "" && errors.Is(err, gethkeystore.ErrDecrypt) {
			return nil, fmt.Errorf("%s: %w", path, ErrNeedsPasswd)
		}
		return nil, fmt.Errorf("client: key %s: %w", path, err)
	}
	return client.NewKey(k.PrivateKey), nil
}

// SaveKeyFile writes k as an encrypted keystore JSON file. light selects
// go-ethereum's light scrypt parameters (fast, for tests and development);
// otherwise the standard ones are used. An existing file is never
// replaced: the error then wraps client.ErrKeyExists.
func SaveKeyFile(path string, k *client.Key, passphrase string, light bool) error {
	n, p := gethkeystore.StandardScryptN, gethkeystore.StandardScryptP
	if light {
		n, p = gethkeystore.LightScryptN, gethkeystore.LightScryptP
	}
	return save(path, k, passphrase, n, p)
}

// save is SaveKeyFile with explicit scrypt parameters, so tests can use
// tiny ones.
func save(path string, k *client.Key, passphrase string, n, p int) error {
	id, err := uuid.NewRandom()
	if err != nil {
		return fmt.Errorf("client: key id: %w", err)
	}
	ks := &gethkeystore.Key{Id: id, Address: k.Address(), PrivateKey: k.PrivateKey()}
	b, err := gethkeystore.EncryptKey(ks, passphrase, n, p)
	if err != nil {
		return fmt.Errorf("client: encrypt key: %w", err)
	}
	return keyfile.WriteNew(path, append(b, '\n'))
}
