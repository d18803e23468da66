package block

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/status"
)

// Header is the signed summary of one block. Every field is committed by
// Hash; the proposer's signature covers that hash.
type Header struct {
	ChainID     uint64
	Height      uint64
	ParentHash  common.Hash
	TimeMs      int64 // Unix milliseconds, strictly increasing
	TxRoot      common.Hash
	ReceiptRoot common.Hash
	StateRoot   common.Hash
	Proposer    common.Address
	// LogRoot is the RFC 6962 Merkle root of the history log: the hashes
	// of blocks 0..Height-1, in order (a log of size Height). It lets a
	// client prove that an earlier block belongs to this chain, and that a
	// later header's log extends this one's (ledger/histlog).
	LogRoot common.Hash
}

// SignedHeader is a header with the proposer's 65-byte secp256k1 signature
// (r ‖ s ‖ v, v ∈ {0,1}) over Header.Hash().
type SignedHeader struct {
	Header    Header
	Signature []byte
}

// Status is a receipt's outcome: a code of the one receipt status
// vocabulary, package status (the runtime's result and deploy codes, and
// the ledger's own, codes.go).
type Status = status.Code

// Event is one event a contract emitted, tagged with the contract.
type Event struct {
	Contract common.Address
	Name     string
	Data     []byte
	// Audience: who may read the event (runtime.Event.Audience).
	Audience []string
}

// Write is one committed state change: a new value, or a deletion.
type Write struct {
	Contract common.Address
	Key      []byte
	Value    []byte
	Delete   bool
}

// Receipt is the deterministic outcome of one transaction. It is committed
// by the block's receipt root, so every field is consensus-critical.
type Receipt struct {
	TxHash  common.Hash
	Status  Status // "ok" on success
	Message string // failure reason; empty on success
	GasUsed uint64
	Return  []byte
	// ContractAddress is set for successful deploys.
	ContractAddress common.Address
	Events          []Event
	Writes          []Write
	Height          uint64
	Index           uint32
}
