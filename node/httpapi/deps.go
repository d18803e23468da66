package httpapi

import (
	"context"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
)

// Ledger is what the API reads from the ledger: exactly the methods it
// calls. *ledger.Ledger implements it. Implementations must be safe for
// concurrent use and return only committed data.
type Ledger interface {
	ChainID() uint64
	Latest() *block.SignedHeader
	Header(height uint64) (*block.SignedHeader, error)
	Block(height uint64) (*ledger.Block, error)
	Receipts(height uint64) ([]*block.Receipt, error)
	// Blocks yields committed blocks with their transactions and receipts,
	// without proofs: what block contents are filtered by.
	Blocks(from, to uint64) ledger.BlockSource
	Tx(hash common.Hash) (*ledger.TxRecord, error)
	ContractsAfter(after *common.Address, limit int) (*ledger.ContractsPage, error)
	Contract(addr common.Address) (*ledger.ContractInfo, error)
	// Manifest is the canonical manifest of the code a contract runs now,
	// false when it carries none.
	Manifest(addr common.Address) ([]byte, bool, error)
	NextNonce(addr common.Address) (uint64, error)
	ProveAccount(addr common.Address) (*ledger.AccountProof, error)
	ProveContract(addr common.Address) (*ledger.ContractProof, error)
	State(contract common.Address, key []byte, height uint64) (*ledger.StateAt, error)
	History(contract common.Address, key []byte, from ledger.Cursor, limit int) (*ledger.HistoryPage, error)
	Lineage(contract common.Address, key []byte, from ledger.Cursor, limit int) (*ledger.LineagePage, error)
	// QueryAs runs a read-only call with caller as ctx.Caller(): the
	// authenticated reader.
	QueryAs(ctx context.Context, caller, contract common.Address, method string, args []byte, height, gasCap uint64) (*ledger.QueryResult, error)

	// Access: the ledger decides, the same way on every node; the API only
	// asks and translates (docs/access.md).
	ViewerAt(addr common.Address) (*ledger.Viewer, error)
	CanReadKey(ctx context.Context, v *ledger.Viewer, contract common.Address, key []byte, height uint64) error
	CanReadTx(v *ledger.Viewer, rec *ledger.TxRecord) error
	SeesEvent(v *ledger.Viewer, ev *block.Event) bool
	// RegistryAt reads the participant registry at a committed height.
	RegistryAt(height uint64) (registry.Reader, *block.SignedHeader, error)

	// LogInclusion and LogConsistency prove blocks against the history
	// log a header commits (log.go).
	LogInclusion(height, size uint64) (*ledger.LogInclusion, error)
	LogConsistency(from, to uint64) (*ledger.LogConsistency, error)
}

// Submitted is the outcome of admitting a transaction.
type Submitted struct {
	Hash   common.Hash
	Status api.TxStatus // pending, or committed when it already was
	Known  bool         // it was already pending or committed: nothing changed
}

// Pool is the node's admission and mempool, as the API sees it. Submit
// decides admission (signature, chain, size, nonce window, capacity) and
// returns typed errors (package tx, ledger, mempool); Pending and Dropped
// report where a transaction is.
type Pool interface {
	Submit(t *tx.Tx) (Submitted, error)
	Pending(hash common.Hash) (*tx.Tx, bool)
	Dropped(hash common.Hash) (error, bool)
	PendingNonce(addr common.Address) (uint64, error)
}

// Commits announces committed blocks. NextCommit returns a channel closed
// after the next block commits (or when the node stops): read the ledger
// again when it closes. Take the channel before reading the ledger, so that
// no commit is missed in between.
type Commits interface {
	NextCommit() <-chan struct{}
}
