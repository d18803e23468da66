package client

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
)

// Key is a secp256k1 signing key and its address.
type Key struct {
	priv *ecdsa.PrivateKey
	addr common.Address
}

// Errors of key files.
var (
	ErrKeyExists   = errors.New("client: key file already exists")
	ErrBadKeyFile  = errors.New("client: unrecognised key file")
	ErrNeedsPasswd = errors.New("client: key file is encrypted; a passphrase is required")
)

// NewKey wraps an existing private key.
func NewKey(priv *ecdsa.PrivateKey) *Key {
	return &Key{priv: priv, addr: crypto.PubkeyToAddress(priv.PublicKey)}
}

// GenerateKey creates a fresh random key.
func GenerateKey() (*Key, error) {
	priv, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("client: generate key: %w", err)
	}
	return NewKey(priv), nil
}

// KeyFromHex parses a 32-byte private key in hex, with or without 0x.
func KeyFromHex(s string) (*Key, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "0x")
	priv, err := crypto.HexToECDSA(s)
	if err != nil {
		return nil, fmt.Errorf("%w: hex key: %v", ErrBadKeyFile, err)
	}
	return NewKey(priv), nil
}

// Address is the account address of the key.
func (k *Key) Address() common.Address { return k.addr }

// PrivateKey is the underlying key, for signing with ledger/tx directly.
func (k *Key) PrivateKey() *ecdsa.PrivateKey { return k.priv }

// Hex is the private key as 0x-prefixed hex: handle with care.
func (k *Key) Hex() string { return "0x" + hex.EncodeToString(crypto.FromECDSA(k.priv)) }

// LoadKeyFile reads a key file in either format the node and CLI write:
// a go-ethereum keystore JSON file (Web3 Secret Storage, decrypted with
// passphrase) or a file holding the private key in hex.
func LoadKeyFile(path, passphrase string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("client: read key: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		if !json.Valid(b) {
			return nil, fmt.Errorf("%w: %s: invalid JSON", ErrBadKeyFile, path)
		}
		k, err := keystore.DecryptKey(b, passphrase)
		if err != nil {
			if passphrase == "" && errors.Is(err, keystore.ErrDecrypt) {
				return nil, fmt.Errorf("%s: %w", path, ErrNeedsPasswd)
			}
			return nil, fmt.Errorf("client: key %s: %w", path, err)
		}
		return NewKey(k.PrivateKey), nil
	}
	k, err := KeyFromHex(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// SaveKeystore writes k as an encrypted keystore JSON file. light selects
// go-ethereum's light scrypt parameters (fast, for tests and development);
// otherwise the standard ones are used. An existing file is never replaced.
func SaveKeystore(path string, k *Key, passphrase string, light bool) error {
	n, p := keystore.StandardScryptN, keystore.StandardScryptP
	if light {
		n, p = keystore.LightScryptN, keystore.LightScryptP
	}
	return saveKeystore(path, k, passphrase, n, p)
}

func saveKeystore(path string, k *Key, passphrase string, n, p int) error {
	id, err := uuid.NewRandom()
	if err != nil {
		return fmt.Errorf("client: key id: %w", err)
	}
	ks := &keystore.Key{Id: id, Address: k.addr, PrivateKey: k.priv}
	b, err := keystore.EncryptKey(ks, passphrase, n, p)
	if err != nil {
		return fmt.Errorf("client: encrypt key: %w", err)
	}
	return writeNew(path, append(b, '\n'))
}

// SaveHexKey writes k unencrypted as hex (mode 0600). Use it for
// development keys only.
func SaveHexKey(path string, k *Key) error {
	return writeNew(path, []byte(k.Hex()+"\n"))
}

// writeNew creates path with mode 0600, refusing to overwrite: losing a key
// by accident is unrecoverable.
func writeNew(path string, b []byte) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("client: key dir: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s", ErrKeyExists, path)
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
