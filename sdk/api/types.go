package api

import (
	"encoding/json"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/status"
)

// Chain is GET /v1/chain: what a client needs to sign transactions for this
// chain and to check what it reads.
type Chain struct {
	ChainID      uint64         `json:"chainId"`
	GenesisHash  common.Hash    `json:"genesisHash"`
	LatestHeight uint64         `json:"latestHeight"`
	LatestHash   common.Hash    `json:"latestHash"`
	NodeAddress  common.Address `json:"nodeAddress"` // the key that signs this node's blocks (solo) or identifies it (cometbft)
	// Consensus is how the chain makes blocks: ConsensusSolo (one
	// producer signs each header) or ConsensusCometBFT (a validator set
	// commits them; docs/consensus.md).
	Consensus string `json:"consensus"`
	// ConsensusHeight is, on a CometBFT chain, the last CometBFT height
	// this node committed (ledger heights skip empty CometBFT heights).
	ConsensusHeight uint64 `json:"consensusHeight,omitempty"`
	// Validators is, on a CometBFT chain, the validator set of the next
	// height, by address.
	Validators []Validator `json:"validators,omitempty"`
	// Domain and Types are the EIP-712 "domain" and "types" objects, in the
	// form eth_signTypedData_v4 takes. The primary types are named in
	// PrimaryTypes by transaction type ("deploy", "call").
	Domain       json.RawMessage   `json:"domain"`
	Types        json.RawMessage   `json:"types"`
	PrimaryTypes map[string]string `json:"primaryTypes,omitempty"`
	// SessionType is the primary type a reader signs to authenticate its
	// reads (SessionType, "ReadSession"), in Domain and Types.
	SessionType string `json:"sessionType"`
}

// Consensus modes of Chain.Consensus.
const (
	ConsensusSolo     = "solo"
	ConsensusCometBFT = "cometbft"
)

// Validator is one member of a CometBFT validator set.
type Validator struct {
	// Address is CometBFT's validator address (hex, 20 bytes): the
	// Proposer of the headers it proposes.
	Address string `json:"address"`
	// PubKey is its ed25519 public key, base64 as CometBFT writes it.
	PubKey string `json:"pubKey"`
	Power  int64  `json:"power"`
}

// Account is GET /v1/accounts/{address}.
type Account struct {
	Address common.Address `json:"address"`
	// Nonce is the next nonce the ledger will accept (committed state).
	Nonce uint64 `json:"nonce"`
	// PendingNonce is the next nonce after those waiting in the mempool: the
	// one to sign next.
	PendingNonce uint64 `json:"pendingNonce"`
	// Proof proves Nonce: the system-namespace key "nonce/" ‖ address of
	// the zero contract (docs/state.md), absent while the nonce is 0,
	// against Header's state root.
	Proof  *StateProof   `json:"proof,omitempty"`
	Header *SignedHeader `json:"header,omitempty"`
}

// TxStatus is where a transaction is in its life.
type TxStatus string

const (
	TxPending   TxStatus = "pending"   // admitted to the mempool, not yet in a block
	TxCommitted TxStatus = "committed" // in a block; it has a receipt (which may report a failed call)
	TxRejected  TxStatus = "rejected"  // dropped without a block; Error says why. Kept for a bounded time.
)

// Tx is the response of POST /v1/txs and GET /v1/txs/{hash}. A pending
// transaction has Hash, Status and (on GET) Tx; a committed one has
// everything needed to verify it against Header alone: TxProof and
// ReceiptProof are MPT proofs of the transaction and receipt at key
// rlp(Receipt.Index) in Header's txRoot and receiptRoot, WriteProofs prove
// every key the transaction wrote against Header's stateRoot.
type Tx struct {
	Hash   common.Hash `json:"hash"`
	Status TxStatus    `json:"status"`
	// Tx is the transaction in its signed wire form (package ledger/tx).
	Tx           json.RawMessage `json:"tx,omitempty"`
	Sender       *common.Address `json:"sender,omitempty"`
	Receipt      *Receipt        `json:"receipt,omitempty"`
	Header       *SignedHeader   `json:"header,omitempty"`
	TxProof      []hexutil.Bytes `json:"txProof,omitempty"`
	ReceiptProof []hexutil.Bytes `json:"receiptProof,omitempty"`
	WriteProofs  []StateProof    `json:"writeProofs,omitempty"`
	// Error is why a rejected transaction was dropped.
	Error *Error `json:"error,omitempty"`
}

// BatchItem is one element of the POST /v1/txs/batch response, in request
// order. Exactly one of Hash+Status and Error is meaningful; HTTPStatus is
// the status the item would have had on POST /v1/txs.
type BatchItem struct {
	Hash       common.Hash `json:"hash,omitempty"`
	Status     TxStatus    `json:"status,omitempty"`
	HTTPStatus int         `json:"httpStatus"`
	Error      *Error      `json:"error,omitempty"`
}

// MaxBatch is the largest number of transactions in one batch request.
const MaxBatch = 256

// Header is a block header. Hash (in SignedHeader) is the keccak256 digest
// the proposer signed.
type Header struct {
	ChainID     uint64         `json:"chainId"`
	Height      uint64         `json:"height"`
	ParentHash  common.Hash    `json:"parentHash"`
	TimeMs      int64          `json:"timeMs"`
	TxRoot      common.Hash    `json:"txRoot"`
	ReceiptRoot common.Hash    `json:"receiptRoot"`
	StateRoot   common.Hash    `json:"stateRoot"`
	Proposer    common.Address `json:"proposer"`
	// LogRoot is the RFC 6962 root of the hashes of blocks 0..height-1.
	LogRoot common.Hash `json:"logRoot"`
}

// SignedHeader is a header, its hash and the proposer's 65-byte signature
// r ‖ s ‖ v (v ∈ {0,1}) over that hash.
type SignedHeader struct {
	Hash      common.Hash   `json:"hash"`
	Header    Header        `json:"header"`
	Signature hexutil.Bytes `json:"signature"`
}

// Block is GET /v1/blocks/{height|latest}. TxCount is how many
// transactions the block holds; TxHashes lists those the reader may read,
// in block order: all of them for an auditor, else those of its
// organisation's senders and those whose events name it. The header (and
// its txRoot) commits to every transaction either way.
type Block struct {
	Header   SignedHeader  `json:"header"`
	TxCount  int           `json:"txCount"`
	TxHashes []common.Hash `json:"txHashes"`
}

// Receipt is the deterministic outcome of a committed transaction. Status
// "ok" is success; any other status is a failed call (see docs/abi.md),
// whose writes and events were discarded.
type Receipt struct {
	TxHash          common.Hash     `json:"txHash"`
	Status          status.Code     `json:"status"`
	Message         string          `json:"message,omitempty"`
	GasUsed         uint64          `json:"gasUsed"`
	Return          hexutil.Bytes   `json:"return"`
	ContractAddress *common.Address `json:"contractAddress,omitempty"`
	Events          []Event         `json:"events"`
	Writes          []Write         `json:"writes"`
	Height          uint64          `json:"height"`
	Index           uint32          `json:"index"`
}

// Event is one event a contract emitted.
type Event struct {
	Contract common.Address `json:"contract"`
	Name     string         `json:"name"`
	Data     hexutil.Bytes  `json:"data"`
	// Audience is who may read the event, as the contract stated it
	// (docs/access.md); empty means the contract's organisation and
	// auditors. It is part of the receipt the receipt root commits to.
	Audience []string `json:"audience,omitempty"`
}

// Write is one committed state change.
type Write struct {
	Contract common.Address `json:"contract"`
	Key      hexutil.Bytes  `json:"key"`
	Value    hexutil.Bytes  `json:"value,omitempty"`
	Delete   bool           `json:"delete,omitempty"`
}

// StateProof proves the value (or absence) of one contract key against a
// state root: package ledger/proof's type, so the API serves exactly what
// proof.VerifyStateProof (or go-ethereum's trie.VerifyProof, or any
// Merkle-Patricia verifier) checks. Nodes is the root-to-leaf list of
// RLP-encoded trie nodes along the trie key keccak256(contract ‖ key), as in
// EIP-1186; the leaf holds rlp(value). Bytes are 0x-hex in JSON.
type StateProof = proof.StateProof
