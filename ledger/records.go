package ledger

import (
	"fmt"
	"math"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
)

// txRecord is what the ledger stores under storage.TxKey for each included
// transaction. The RLP body is what the tx root commits; the rest saves
// work for readers (hash, sender) and lets export and replay reproduce the
// block exactly (whether the transaction carried its code).
type txRecord struct {
	Body        []byte // RLP block encoding of the transaction
	Hash        common.Hash
	Sender      common.Address
	CarriedCode bool // a deploy that brought its code (stored under its hash)
}

func encodeTxRecord(r *txRecord) ([]byte, error) { return rlp.EncodeToBytes(r) }

func decodeTxRecord(b []byte) (*txRecord, error) {
	var r txRecord
	if err := rlp.DecodeBytes(b, &r); err != nil {
		return nil, fmt.Errorf("%w: tx record: %v", storage.ErrCorrupt, err)
	}
	return &r, nil
}

// storedLimits decode bodies already committed: they were admitted under
// the limits of their time, which may since have been lowered.
func storedLimits() tx.Limits {
	return tx.Limits{
		MaxEnvelopeBytes: math.MaxInt32, MaxCodeBytes: math.MaxInt32,
		MaxArgsBytes: math.MaxInt32, MaxNameBytes: math.MaxInt32,
	}
}

// decodeTx parses a stored body.
func (r *txRecord) decodeTx() (*tx.Tx, error) {
	t, err := tx.DecodeRLP(r.Body, storedLimits())
	if err != nil {
		return nil, fmt.Errorf("%w: tx body %s: %v", storage.ErrCorrupt, r.Hash, err)
	}
	return t, nil
}

// contractRecord is the metadata stored under storage.ContractKey (and
// ContractStateKey in the trie). CodeHash and Methods are those of the
// code the contract runs now: an upgrade rewrites them and appends to
// Versions.
type contractRecord struct {
	Name     string
	CodeHash common.Hash
	Deployer common.Address
	Height   uint64
	TxHash   common.Hash
	Methods  []string
	Org      string
	Versions []codeVersion
	// ManifestHash is the hash of the current code's manifest, zero when
	// it carries none. Optional, so records of contracts without one
	// encode (and hash into the state root) as before manifests existed.
	ManifestHash common.Hash `rlp:"optional"`
}

// codeVersion is CodeVersion as stored.
type codeVersion struct {
	CodeHash  common.Hash
	Height    uint64
	TxHash    common.Hash
	Approvers []string
}

// withVersion returns a copy of c running code (hash, methods) from v on.
// The record itself is never modified: it may be cached and shared.
func (c *contractRecord) withVersion(hash common.Hash, methods []string, v codeVersion) *contractRecord {
	n := *c
	n.CodeHash, n.Methods = hash, methods
	n.Versions = append(append(make([]codeVersion, 0, len(c.Versions)+1), c.Versions...), v)
	return &n
}

func encodeContract(c *contractRecord) ([]byte, error) { return rlp.EncodeToBytes(c) }

func decodeContract(b []byte) (*contractRecord, error) {
	var c contractRecord
	if err := rlp.DecodeBytes(b, &c); err != nil {
		return nil, fmt.Errorf("%w: contract record: %v", storage.ErrCorrupt, err)
	}
	return &c, nil
}

func (c *contractRecord) info(addr common.Address) *ContractInfo {
	versions := make([]CodeVersion, len(c.Versions))
	for i, v := range c.Versions {
		versions[i] = CodeVersion{
			CodeHash: v.CodeHash, Height: v.Height, TxHash: v.TxHash,
			Approvers: append([]string(nil), v.Approvers...),
		}
	}
	return &ContractInfo{
		Address: addr, Name: c.Name, CodeHash: c.CodeHash, Deployer: c.Deployer,
		Height: c.Height, TxHash: c.TxHash, Methods: append([]string(nil), c.Methods...),
		Org: c.Org, Versions: versions, ManifestHash: c.ManifestHash,
	}
}
