package node

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/internal/atomicfile"
)

// KeyFile is the node key's file name in the data directory: the
// secp256k1 private key as 0x-hex, mode 0600.
const KeyFile = "node.key"

// KeySigner signs block headers with an in-process secp256k1 key. It
// implements ledger.Signer.
type KeySigner struct {
	key  *ecdsa.PrivateKey
	addr common.Address
}

// NewKeySigner wraps key.
func NewKeySigner(key *ecdsa.PrivateKey) *KeySigner {
	return &KeySigner{key: key, addr: crypto.PubkeyToAddress(key.PublicKey)}
}

// Address is the signer's address.
func (s *KeySigner) Address() common.Address { return s.addr }

// SignHash returns r ‖ s ‖ v with v ∈ {0,1}.
func (s *KeySigner) SignHash(hash common.Hash) ([]byte, error) {
	return crypto.Sign(hash[:], s.key)
}

// Key returns the private key (for the development workflow, where the node
// key is also the first admin account).
func (s *KeySigner) Key() *ecdsa.PrivateKey { return s.key }

// LoadOrCreateKey reads the key at path, or creates one there if the file
// does not exist. created reports which.
func LoadOrCreateKey(path string) (key *ecdsa.PrivateKey, created bool, err error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		key, err := crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(string(b)), "0x"))
		if err != nil {
			return nil, false, fmt.Errorf("node: key %s: %w", path, err)
		}
		return key, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, fmt.Errorf("node: read key: %w", err)
	}
	key, err = crypto.GenerateKey()
	if err != nil {
		return nil, false, fmt.Errorf("node: generate key: %w", err)
	}
	if err := atomicfile.WriteFile(path, []byte(hexutil.Encode(crypto.FromECDSA(key))+"\n"), 0o600); err != nil {
		return nil, false, fmt.Errorf("node: save key: %w", err)
	}
	return key, true, nil
}
