package client

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/meshledger/meshledger/sdk/api"
)

// ErrBadCheckpoint reports a checkpoint whose format, signature or signer
// is not what its reader requires.
var ErrBadCheckpoint = errors.New("bad checkpoint")

// checkpointDomain separates checkpoint signatures from every other
// signature an auditor's key makes (transactions and read sessions are
// EIP-712 typed data, whose digests start with 0x1901).
const checkpointDomain = "meshledger-checkpoint/1"

// CheckpointHash is the digest an auditor signs: keccak256 of
// RLP([domain, version, chainId, genesisHash, height, headerHash,
// stateRoot, logRoot, auditor]).
func CheckpointHash(c *api.Checkpoint) common.Hash {
	enc, _ := rlp.EncodeToBytes([]any{
		checkpointDomain, uint64(c.Version), c.ChainID, c.GenesisHash, c.Height,
		c.HeaderHash, c.StateRoot, c.LogRoot, c.Auditor,
	})
	return crypto.Keccak256Hash(enc)
}

// SignCheckpoint sets c's version and auditor to key's and signs it.
func SignCheckpoint(c *api.Checkpoint, key *Key) error {
	c.Version = api.CheckpointVersion
	c.Auditor = key.Address()
	sig, err := crypto.Sign(CheckpointHash(c).Bytes(), key.PrivateKey())
	if err != nil {
		return fmt.Errorf("sign checkpoint at %d: %w", c.Height, err)
	}
	c.Signature = sig
	return nil
}

// VerifyCheckpoint checks c's version and that its signature is its
// auditor's. When trusted is not empty the auditor must be one of them.
func VerifyCheckpoint(c *api.Checkpoint, trusted ...common.Address) error {
	if c.Version != api.CheckpointVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrBadCheckpoint, c.Version, api.CheckpointVersion)
	}
	sig := c.Signature
	if len(sig) != crypto.SignatureLength {
		return fmt.Errorf("%w: signature of %d bytes", ErrBadCheckpoint, len(sig))
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if !crypto.ValidateSignatureValues(sig[64], r, s, true) {
		return fmt.Errorf("%w: invalid signature values", ErrBadCheckpoint)
	}
	pub, err := crypto.SigToPub(CheckpointHash(c).Bytes(), sig)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	if signer := crypto.PubkeyToAddress(*pub); signer != c.Auditor {
		return fmt.Errorf("%w: signed by %s, not its auditor %s", ErrBadCheckpoint, signer, c.Auditor)
	}
	if len(trusted) == 0 {
		return nil
	}
	for _, a := range trusted {
		if a == c.Auditor {
			return nil
		}
	}
	return fmt.Errorf("%w: auditor %s is not trusted", ErrBadCheckpoint, c.Auditor)
}
