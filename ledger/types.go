package ledger

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/tx"
)

// Signer signs block headers. Implementations hold the proposer's
// secp256k1 key (a file key, an HSM, a KMS).
type Signer interface {
	Address() common.Address
	// SignHash returns a 65-byte r ‖ s ‖ v signature (v ∈ {0,1}) over hash.
	SignHash(hash common.Hash) ([]byte, error)
}

// Proposal is a block to execute: the producer chooses the time and the
// transactions; the executor decides everything else.
type Proposal struct {
	TimeMs   int64
	Proposer common.Address
	Txs      []*tx.Tx
	// Cutoff, when set, is asked after each included transaction whether
	// the block is full. Once it answers true the remaining transactions
	// are left out: neither included nor rejected, so a producer proposes
	// them again in a later block. Producers use it to bound a block's
	// execution time, which gas bounds only approximately (memory-system
	// costs such as copy-on-write faults escape any per-instruction
	// price; docs/design.md, "Block time budget"). It decides what a
	// block holds, never what a transaction does, so it may read a clock:
	// replay executes the transactions a block holds and never sets it.
	Cutoff func() bool
}

// Rejected is a proposed transaction left out of the block because it can
// never be valid in it (bad signature, wrong nonce, gas limit above the
// block limit, unknown code...). Nothing of it is recorded.
type Rejected struct {
	Index int // position in Proposal.Txs
	Tx    *tx.Tx
	Err   error
}

// Applied is a committed block.
type Applied struct {
	Header   *block.SignedHeader
	TxHashes []common.Hash
	Receipts []*block.Receipt
	Rejected []Rejected
}

// Block is a committed block as served to readers.
type Block struct {
	Header   *block.SignedHeader
	TxHashes []common.Hash
}

// TxRecord is a committed transaction with everything needed to verify it
// against a signed header alone.
type TxRecord struct {
	Tx           *tx.Tx
	Receipt      *block.Receipt
	Header       *block.SignedHeader
	TxProof      [][]byte            // MPT proof of the tx in Header.TxRoot, key rlp(index)
	ReceiptProof [][]byte            // MPT proof of the receipt in Header.ReceiptRoot, key rlp(index)
	WriteProofs  []*proof.StateProof // one per written key, against Header.StateRoot
}

// ContractInfo describes a deployed contract instance.
type ContractInfo struct {
	Address  common.Address
	Name     string
	CodeHash common.Hash
	Deployer common.Address
	Height   uint64
	TxHash   common.Hash
	Methods  []string
	// Org is the deployer's organisation at deploy: with auditors it
	// reads the contract's keys and events when the contract says nothing
	// else (docs/access.md).
	Org string
	// Versions lists every code the contract has run, oldest first; the
	// last is CodeHash.
	Versions []CodeVersion
	// ManifestHash is the SHA-256 of the canonical encoding of the
	// current code's manifest (docs/abi.md, "Manifest"); zero when the
	// code carries none.
	ManifestHash common.Hash
}

// CodeVersion is one code of a contract: the deploy or an upgrade.
type CodeVersion struct {
	CodeHash  common.Hash
	Height    uint64
	TxHash    common.Hash // the transaction that made it take effect
	Approvers []string    // organisations that approved it (empty under the open policy)
}

// HistoryEntry is one change of one key: its lineage.
type HistoryEntry struct {
	Height  uint64
	TimeMs  int64
	Index   uint32
	TxHash  common.Hash
	Signer  common.Address
	Value   []byte
	Deleted bool
}

// QueryResult is a read-only call at a committed height, with proofs of
// every key the call read.
type QueryResult struct {
	Status  block.Status
	Message string
	Return  []byte
	GasUsed uint64
	Header  *block.SignedHeader
	Proofs  []*proof.StateProof
}

// Errors callers branch on. Transaction admission errors are those of
// package tx (tx.ErrNonceTooLow, ...), wrapped.
var (
	ErrNotFound        = errors.New("not found")
	ErrUnknownContract = errors.New("unknown contract")
	ErrUnknownCode     = errors.New("unknown code hash")

	// ErrBlockGasExhausted rejects a transaction whose gas limit exceeds
	// the gas left in the block being built. It is retryable: the
	// transaction may fit the next block.
	ErrBlockGasExhausted = errors.New("block gas exhausted")
	// ErrEmptyBlock: no transaction of a proposal could be included, so
	// no block was made (there are no empty blocks). The error is an
	// *EmptyBlockError with the rejections.
	ErrEmptyBlock = errors.New("no transaction could be included: no block")
	// ErrBadTime: a proposal's time is not after its parent's.
	ErrBadTime = errors.New("block time not after parent")
	// ErrWrongProposer: the signer is not the proposal's proposer.
	ErrWrongProposer = errors.New("signer is not the proposer")
	// ErrGenesisMismatch: the store was created from another genesis.
	ErrGenesisMismatch = errors.New("genesis does not match the store")
	// ErrInconsistent: the store's latest header and state disagree.
	ErrInconsistent = errors.New("store is inconsistent")
	// ErrClosed: the ledger was used after Close.
	ErrClosed = errors.New("ledger closed")
	// ErrScanLimit: a query at a past height needed more history
	// entries than Config.QueryScanLimit to list keys for a prefix scan.
	ErrScanLimit = errors.New("query scan limit exceeded")
	// ErrBadRequest: a read's arguments are invalid (limit, range).
	ErrBadRequest = errors.New("bad request")
)

// EmptyBlockError is ApplyBlock's answer to a proposal none of whose
// transactions could be included: nothing was committed, the height did
// not move, and Rejected says why each transaction was left out.
type EmptyBlockError struct {
	Height   uint64 // the height the block would have had
	Rejected []Rejected
}

func (e *EmptyBlockError) Error() string {
	msg := fmt.Sprintf("ledger: block %d: %v (%d rejected", e.Height, ErrEmptyBlock, len(e.Rejected))
	if len(e.Rejected) > 0 {
		msg += fmt.Sprintf(", first: %v", e.Rejected[0].Err)
	}
	return msg + ")"
}

func (e *EmptyBlockError) Unwrap() error { return ErrEmptyBlock }

// Retryable reports whether a rejection may succeed in a later block
// unchanged (the transaction should stay in the mempool).
func Retryable(err error) bool {
	return errors.Is(err, ErrBlockGasExhausted) || errors.Is(err, tx.ErrNonceTooHigh)
}
