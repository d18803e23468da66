package client

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/sdk/client/internal/keyfile"
)

// Key is a secp256k1 signing key and its address.
type Key struct {
	priv *ecdsa.PrivateKey
	addr common.Address
}

// Errors of key files. Encrypted keystore files are read and written by
// package sdk/client/keystore, which returns these too.
var (
	ErrKeyExists  = keyfile.ErrExists
	ErrBadKeyFile = errors.New("client: unrecognised key file")
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

// LoadHexKey reads a file holding a private key in hex, as SaveHexKey and
// the node write it. An encrypted keystore JSON file is refused with
// ErrBadKeyFile: package sdk/client/keystore reads both formats. Decryption
// lives there so that a client holding plain keys does not link scrypt and
// go-ethereum's account manager.
func LoadHexKey(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("client: read key: %w", err)
	}
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		return nil, fmt.Errorf("%w: %s: a keystore JSON file (read it with package sdk/client/keystore)", ErrBadKeyFile, path)
	}
	k, err := KeyFromHex(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// SaveHexKey writes k unencrypted as hex (mode 0600). Use it for
// development keys only. An existing file is never replaced.
func SaveHexKey(path string, k *Key) error {
	return keyfile.WriteNew(path, []byte(k.Hex()+"\n"))
}
