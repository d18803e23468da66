package api

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// Paths of the audit API (docs/audit.md).
const (
	// PathExport streams blocks from..to in the export format of package
	// ledger/audit (GET, auditor role): ?from=&to=.
	PathExport = "/v1/export"
	// PathLogInclusion proves block height is in the history log of size
	// size: ?height=&size=.
	PathLogInclusion = "/v1/log/inclusion"
	// PathLogConsistency proves the log of size to extends the log of
	// size from: ?from=&to=.
	PathLogConsistency = "/v1/log/consistency"
)

// Query parameters of the audit API.
const (
	ParamFrom = "from"
	ParamTo   = "to"
	ParamSize = "size"
)

// LogInclusionProof proves that the block at Height (leaf index Height of
// the history log; its leaf is the block's header hash) is in the log of
// Size leaves, whose root a header at height Size commits as LogRoot.
// Hashes are the RFC 6962 audit path, leaf to root.
type LogInclusionProof struct {
	Height    uint64        `json:"height"`
	BlockHash common.Hash   `json:"blockHash"`
	Size      uint64        `json:"size"`
	Root      common.Hash   `json:"root"`
	Hashes    []common.Hash `json:"hashes"`
}

// LogConsistencyProof proves that the log of To leaves extends the log of
// From leaves (RFC 6962 §2.1.2).
type LogConsistencyProof struct {
	From     uint64        `json:"from"`
	To       uint64        `json:"to"`
	FromRoot common.Hash   `json:"fromRoot"`
	ToRoot   common.Hash   `json:"toRoot"`
	Hashes   []common.Hash `json:"hashes"`
}

// Checkpoint is what an auditor has verified: the chain up to and
// including the block at Height, whose header hashes to HeaderHash and
// commits StateRoot and LogRoot (the log of the Height blocks before it).
// The auditor signs it (sdk/client: SignCheckpoint, VerifyCheckpoint) so
// that a later audit can start from it and a later log check can prove
// the node did not rewrite what was verified.
type Checkpoint struct {
	Version     int            `json:"version"` // CheckpointVersion
	ChainID     uint64         `json:"chainId"`
	GenesisHash common.Hash    `json:"genesisHash"`
	Height      uint64         `json:"height"`
	HeaderHash  common.Hash    `json:"headerHash"`
	StateRoot   common.Hash    `json:"stateRoot"`
	LogRoot     common.Hash    `json:"logRoot"`
	Auditor     common.Address `json:"auditor"`
	// Signature is the auditor's 65-byte secp256k1 signature r ‖ s ‖ v
	// over the checkpoint's hash (all fields above, see sdk/client).
	Signature hexutil.Bytes `json:"signature"`
}

// CheckpointVersion is the format version of Checkpoint.
const CheckpointVersion = 1
