package ledger

import (
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/state"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// Default limits.
const (
	// DefaultQueryGasCap bounds a read-only query when the caller names no
	// cap (or a larger one).
	DefaultQueryGasCap uint64 = 100_000_000
	// DefaultMethodsGas bounds the mesh.methods call made at deploy to list
	// a contract's methods. It is not charged to the deploy.
	DefaultMethodsGas uint64 = 50_000_000
	// DefaultHistoryLimit is the page size of History when limit <= 0.
	DefaultHistoryLimit = 100
	// MaxHistoryLimit caps a History page.
	MaxHistoryLimit = 1000
	// DefaultQueryScanLimit bounds the history entries a query at a past
	// height may read to list a contract's keys for a prefix scan.
	DefaultQueryScanLimit = 100_000
)

// Config configures Open. Dir or Store must be set; Genesis must be set for
// a new store and, for an existing one, must match it (or be nil to use the
// stored one).
type Config struct {
	// Dir is a data directory; the ledger opens (and closes) storage in it.
	Dir string
	// Store is an already open store shared with other components; the
	// ledger does not close it. Wins over Dir.
	Store ethdb.KeyValueStore
	// StorageOptions apply when Dir is used.
	StorageOptions storage.Options
	// StateOptions configure the state trie caches.
	StateOptions state.Options

	Genesis *block.Genesis

	// Engine runs the contracts (e.g. NewRuntimeEngine over a runtime
	// shared with other components); the ledger does not close it. When
	// nil the ledger creates a runtime from RuntimeConfig (zero value:
	// runtime.NewConfig()) and owns it. Every node of a network must run
	// engines that give the same results and gas.
	Engine        Engine
	RuntimeConfig *runtime.Config

	// BlockGasLimit overrides the genesis block gas limit (0: genesis).
	// Every node of a network must use the same value.
	BlockGasLimit uint64
	// TxGasCap caps one transaction's execution gas (0:
	// block.DefaultTxGasCap, or the block gas limit if lower).
	// BlockDeployGasLimit bounds the intrinsic deploy gas of one block (0:
	// block.DefaultBlockDeployGasLimit); it is also the largest gas limit
	// a deploy may name. Every node of a network must use the same values.
	TxGasCap            uint64
	BlockDeployGasLimit uint64
	// TxLimits bound transaction sizes (zero fields: tx defaults).
	TxLimits tx.Limits
	// QueryGasCap bounds queries (0: DefaultQueryGasCap).
	QueryGasCap uint64
	// QueryScanLimit bounds the history entries one query may read to
	// list candidate keys for prefix scans at a past height (0:
	// DefaultQueryScanLimit); beyond it the query fails with
	// ErrScanLimit.
	QueryScanLimit int
	// RecoverWorkers is the signature recovery parallelism (<= 0:
	// GOMAXPROCS-1, at least 1, since the executor runs beside it).
	RecoverWorkers int
	// ExecWorkers is how many transactions of a block may execute at
	// once (docs/parallel.md): 0 or 1 executes serially (the default:
	// parallel execution has not yet measured faster on two cores), a
	// negative value sizes it to GOMAXPROCS. Results are byte-identical
	// whatever the value, so nodes of one network may differ here.
	ExecWorkers int
}
