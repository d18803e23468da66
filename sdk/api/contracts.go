package api

import (
	"encoding/json"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/meshledger/meshledger/status"
)

// Contract is one deployed contract instance (GET /v1/contracts/{address}).
type Contract struct {
	Address  common.Address `json:"address"`
	Name     string         `json:"name"`
	CodeHash common.Hash    `json:"codeHash"`
	Deployer common.Address `json:"deployer"`
	Height   uint64         `json:"height"`
	TxHash   common.Hash    `json:"txHash"`
	Methods  []string       `json:"methods"`
	// Org is the deployer's organisation at deploy: with auditors it reads
	// the contract's keys and events unless the contract says otherwise.
	Org string `json:"org"`
	// Versions lists every code the contract has run, oldest first; the
	// last is CodeHash. An upgrade appends one.
	Versions []CodeVersion `json:"versions"`
	// ManifestHash is the SHA-256 of the canonical encoding of the
	// current code's manifest (GET ManifestPath serves it); absent when
	// the code carries none.
	ManifestHash *common.Hash `json:"manifestHash,omitempty"`
	// Proof and Header are set on GET /v1/contracts/{address}: the
	// system-namespace key "contract/" ‖ address of the zero contract
	// (docs/state.md), whose value is RLP([name, codeHash, deployer,
	// height, txHash, methods]), against Header's state root.
	Proof  *StateProof   `json:"proof,omitempty"`
	Header *SignedHeader `json:"header,omitempty"`
}

// CodeVersion is one code of a contract: its deploy or an upgrade, with the
// transaction that made it take effect and the organisations that approved
// it (empty under the open deploy policy).
type CodeVersion struct {
	CodeHash  common.Hash `json:"codeHash"`
	Height    uint64      `json:"height"`
	TxHash    common.Hash `json:"txHash"`
	Approvers []string    `json:"approvers"`
}

// Contracts is one page of GET /v1/contracts, in ascending address order.
// When NextCursor is set, more contracts follow: ask again with
// cursor=NextCursor. Cursors are opaque.
type Contracts struct {
	Contracts  []Contract `json:"contracts"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

// Page sizes of GET /v1/contracts (limit): a larger limit is served as
// MaxContractsLimit.
const (
	DefaultContractsLimit = 100
	MaxContractsLimit     = 1000
)

// State is GET /v1/contracts/{address}/state/{key}: the value of one key at
// one height, with its proof against Header's state root.
type State struct {
	Contract common.Address `json:"contract"`
	Key      hexutil.Bytes  `json:"key"`
	Height   uint64         `json:"height"`
	Exists   bool           `json:"exists"`
	Value    hexutil.Bytes  `json:"value,omitempty"`
	Proof    StateProof     `json:"proof"`
	Header   SignedHeader   `json:"header"`
}

// History is GET /v1/contracts/{address}/history/{key}: the lineage of one
// key, oldest change first. When NextCursor is set, more changes follow:
// pass it as ?cursor= to continue.
type History struct {
	Contract   common.Address `json:"contract"`
	Key        hexutil.Bytes  `json:"key"`
	Entries    []HistoryEntry `json:"entries"`
	NextCursor string         `json:"nextCursor,omitempty"`
}

// HistoryEntry is one change of a key: when (block height, time and the
// transaction's index in it), by which transaction, signed by whom, to what.
type HistoryEntry struct {
	Height  uint64         `json:"height"`
	TimeMs  int64          `json:"timeMs"`
	Index   uint32         `json:"index"`
	TxHash  common.Hash    `json:"txHash"`
	Signer  common.Address `json:"signer"`
	Value   hexutil.Bytes  `json:"value,omitempty"`
	Deleted bool           `json:"deleted,omitempty"`
}

// ParamProofs = "true" on GET /v1/contracts/{address}/history/{key}
// returns the Lineage instead of the History.
const ParamProofs = "proofs"

// Lineage is GET /v1/contracts/{address}/history/{key}?proofs=true: the
// key's versions, oldest first, each proven by its block (see
// LineageEntry). Pages follow NextCursor as for History. The last page
// (no NextCursor) carries Latest, the key's state proof at the latest
// block: its leaf is the newest version (a tombstone if the key was
// deleted), whose Prev hash chains back through every entry.
type Lineage struct {
	Contract   common.Address `json:"contract"`
	Key        hexutil.Bytes  `json:"key"`
	Entries    []LineageEntry `json:"entries"`
	NextCursor string         `json:"nextCursor,omitempty"`
	Latest     *State         `json:"latest,omitempty"`
}

// LineageEntry is one version of a key: the state leaf it wrote
// (rlp([version, height, txIndex, prev, deleted, value]), docs/state.md),
// the transaction that wrote it, and its proofs: Tx is the transaction's
// binary encoding, proven at rlp(txIndex) in Header's txRoot by TxProof;
// Receipt is proven at the same key in receiptRoot by ReceiptProof, and
// its writes hold the entry's write. Genesis records (height 0) have no
// transaction.
type LineageEntry struct {
	Version      uint64          `json:"version"`
	Height       uint64          `json:"height"`
	TxIndex      uint32          `json:"txIndex"`
	Prev         common.Hash     `json:"prev"`
	Deleted      bool            `json:"deleted,omitempty"`
	Value        hexutil.Bytes   `json:"value"`
	TxHash       common.Hash     `json:"txHash"`
	Header       SignedHeader    `json:"header"`
	Tx           hexutil.Bytes   `json:"tx,omitempty"`
	TxProof      []hexutil.Bytes `json:"txProof,omitempty"`
	Receipt      *Receipt        `json:"receipt,omitempty"`
	ReceiptProof []hexutil.Bytes `json:"receiptProof,omitempty"`
}

// History pagination bounds.
const (
	DefaultHistoryLimit = 100
	MaxHistoryLimit     = 1000
)

// QueryRequest is the body of POST /v1/contracts/{address}/query: a
// read-only call of Method with Args (the method's JSON arguments) against
// the state at Height (latest when absent). Any write fails the call with
// status "read_only". GasLimit is capped by the node's query gas cap, which
// is also the default.
type QueryRequest struct {
	Method   string          `json:"method"`
	Args     json.RawMessage `json:"args,omitempty"`
	Height   *uint64         `json:"height,omitempty"`
	GasLimit uint64          `json:"gasLimit,omitempty"`
}

// QueryResponse is the outcome of a query. A failed call is still a 200
// response: Status carries the contract's result code (docs/abi.md), just as
// in a receipt. Result repeats Return when Return is valid JSON (what
// sdk/contract methods return), for convenience. Proofs prove every key the
// call read against Header's state root.
type QueryResponse struct {
	Status  status.Code     `json:"status"`
	Message string          `json:"message,omitempty"`
	Return  hexutil.Bytes   `json:"return"`
	Result  json.RawMessage `json:"result,omitempty"`
	GasUsed uint64          `json:"gasUsed"`
	Height  uint64          `json:"height"`
	Header  SignedHeader    `json:"header"`
	Proofs  []StateProof    `json:"proofs"`
	// ProofsWithheld counts the keys the query read whose proofs the
	// reader may not see (docs/access.md): a proof carries the raw value,
	// which only the key's readers may have. The result itself is what
	// the contract chose to answer this reader.
	ProofsWithheld int `json:"proofsWithheld,omitempty"`
}

// Health is GET /healthz.
type Health struct {
	Status string `json:"status"` // "ok"
	Height uint64 `json:"height"`
}
