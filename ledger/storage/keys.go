package storage

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Key prefixes. Every record in the database starts with exactly one of
// these bytes; the rest of the key is described next to each constant.
// Integers in keys are big-endian so that byte order equals numeric order
// and iteration runs by height. The values are part of the on-disk format:
// never renumber one, only add.
const (
	// PrefixTrieNode: 'n' ‖ keccak256(node) (32) → RLP-encoded trie node.
	// Content-addressed ("hash scheme"): one entry may serve many roots, so
	// nodes are never deleted while pruning is off.
	PrefixTrieNode byte = 'n'
	// PrefixFlatState: 's' ‖ contract (20) ‖ key → raw value (possibly
	// empty). The latest state of every contract key, mirroring the trie at
	// the root stored under ChainMetaKey(MetaFlatStateRoot).
	PrefixFlatState byte = 's'
	// PrefixHistory: 'h' ‖ contract (20) ‖ uint32(len(key)) ‖ key ‖
	// uint64(height) ‖ uint32(txIndex) → RLP history entry. The length
	// prefix keeps one key's entries contiguous and apart from every longer
	// key that shares its bytes.
	PrefixHistory byte = 'h'
	// PrefixHeader: 'H' ‖ uint64(height) → encoded block header.
	PrefixHeader byte = 'H'
	// PrefixBlockHash: 'B' ‖ block hash (32) → uint64(height).
	PrefixBlockHash byte = 'B'
	// PrefixTx: 't' ‖ uint64(height) ‖ uint32(index) → encoded transaction.
	PrefixTx byte = 't'
	// PrefixReceipt: 'r' ‖ uint64(height) ‖ uint32(index) → encoded receipt.
	PrefixReceipt byte = 'r'
	// PrefixTxLookup: 'x' ‖ tx hash (32) → uint64(height) ‖ uint32(index).
	PrefixTxLookup byte = 'x'
	// PrefixNonce: 'a' ‖ account (20) → uint64 next nonce.
	PrefixNonce byte = 'a'
	// PrefixContract: 'm' ‖ contract (20) → encoded contract metadata.
	PrefixContract byte = 'm'
	// PrefixCode: 'c' ‖ keccak256(code) (32) → Wasm code.
	PrefixCode byte = 'c'
	// PrefixEvent: 'e' ‖ uint64(height) ‖ uint32(txIndex) ‖ uint32(eventIndex)
	// → encoded event; reserved for the event stream.
	PrefixEvent byte = 'e'
	// PrefixChainMeta: 'M' ‖ ASCII name → value. Singletons such as the
	// latest height; names are the Meta* constants.
	PrefixChainMeta byte = 'M'
	// PrefixConsensusHeight: 'C' ‖ uint64(ledger height) → uint64 consensus
	// height that committed the block (BFT chains only): where a client
	// finds the validators' commit over the block's header hash.
	PrefixConsensusHeight byte = 'C'
	// PrefixLogNode: 'L' ‖ uint8(level) ‖ uint64(index) → 32-byte node
	// hash of the history log (package ledger/histlog): the RFC 6962 node
	// over leaves [index·2^level, (index+1)·2^level). Only complete
	// (perfect) subtrees are stored; they never change once written.
	PrefixLogNode byte = 'L'
)

// Names under PrefixChainMeta.
const (
	MetaLatestHeight  = "latest-height"   // uint64 height of the last committed block
	MetaGenesis       = "genesis"         // encoded genesis document or its hash
	MetaFlatStateRoot = "flat-state-root" // 32-byte state root the flat index reflects
)

// Prefixes lists every prefix in use. It returns a fresh slice each call.
func Prefixes() []byte {
	return []byte{
		PrefixTrieNode, PrefixFlatState, PrefixHistory, PrefixHeader,
		PrefixBlockHash, PrefixTx, PrefixReceipt, PrefixTxLookup,
		PrefixNonce, PrefixContract, PrefixCode, PrefixEvent, PrefixChainMeta,
		PrefixLogNode,
	}
}

// TrieNodeKey is the key of the trie node with the given hash.
func TrieNodeKey(hash common.Hash) []byte { return join(PrefixTrieNode, hash[:]) }

// FlatStateKey is the key of a contract key's latest value.
func FlatStateKey(contract common.Address, key []byte) []byte {
	return join(PrefixFlatState, contract[:], key)
}

// FlatStatePrefix is the prefix of every flat key of a contract.
func FlatStatePrefix(contract common.Address) []byte { return join(PrefixFlatState, contract[:]) }

// HistoryKeyPrefix is the prefix of every history entry of one contract key.
func HistoryKeyPrefix(contract common.Address, key []byte) []byte {
	return join(PrefixHistory, contract[:], be32(uint32(len(key))), key)
}

// HistoryKey is the key of the history entry written by transaction
// txIndex of block height for one contract key.
func HistoryKey(contract common.Address, key []byte, height uint64, txIndex uint32) []byte {
	return join(PrefixHistory, contract[:], be32(uint32(len(key))), key, be64(height), be32(txIndex))
}

// HeaderKey is the key of the header at height.
func HeaderKey(height uint64) []byte { return join(PrefixHeader, be64(height)) }

// BlockHashKey is the key mapping a block hash to its height.
func BlockHashKey(hash common.Hash) []byte { return join(PrefixBlockHash, hash[:]) }

// TxKey is the key of transaction index of block height.
func TxKey(height uint64, index uint32) []byte { return join(PrefixTx, be64(height), be32(index)) }

// ReceiptKey is the key of the receipt of transaction index of block height.
func ReceiptKey(height uint64, index uint32) []byte {
	return join(PrefixReceipt, be64(height), be32(index))
}

// TxLookupKey is the key mapping a transaction hash to its position.
func TxLookupKey(hash common.Hash) []byte { return join(PrefixTxLookup, hash[:]) }

// NonceKey is the key of an account's next nonce.
func NonceKey(account common.Address) []byte { return join(PrefixNonce, account[:]) }

// ContractKey is the key of a contract's metadata.
func ContractKey(contract common.Address) []byte { return join(PrefixContract, contract[:]) }

// CodeKey is the key of code by its keccak256 hash.
func CodeKey(hash common.Hash) []byte { return join(PrefixCode, hash[:]) }

// EventKey is the key of event eventIndex of transaction txIndex of block height.
func EventKey(height uint64, txIndex, eventIndex uint32) []byte {
	return join(PrefixEvent, be64(height), be32(txIndex), be32(eventIndex))
}

// ConsensusHeightKey is the key of the consensus height of the ledger block
// at height.
func ConsensusHeightKey(height uint64) []byte { return join(PrefixConsensusHeight, be64(height)) }

// LogNodeKey is the key of the history log node at (level, index).
func LogNodeKey(level uint8, index uint64) []byte {
	return join(PrefixLogNode, []byte{level}, be64(index))
}

// ChainMetaKey is the key of a chain singleton; name is one of the Meta* constants.
func ChainMetaKey(name string) []byte { return join(PrefixChainMeta, []byte(name)) }

// EncodeUint64 is the big-endian encoding used for heights and nonces in values.
func EncodeUint64(v uint64) []byte { return be64(v) }

// EncodePosition encodes (height, index) as stored under PrefixTxLookup.
func EncodePosition(height uint64, index uint32) []byte { return append(be64(height), be32(index)...) }

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func join(prefix byte, parts ...[]byte) []byte {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	out = append(out, prefix)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// DecodeUint64 decodes a value written by EncodeUint64.
func DecodeUint64(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: uint64 of %d bytes", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// DecodePosition decodes a value written by EncodePosition.
func DecodePosition(b []byte) (height uint64, index uint32, err error) {
	if len(b) != 12 {
		return 0, 0, fmt.Errorf("%w: position of %d bytes", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), binary.BigEndian.Uint32(b[8:]), nil
}
