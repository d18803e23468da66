package ledger

import (
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/lru"
)

// readDecisions is how many read-policy answers the ledger remembers. An
// entry holds the key it answers for, and only keys of at most
// maxCachedKey bytes are remembered, so the cache holds at most about
// 16 MiB of keys. A forgotten answer costs one read-only call of the
// policy method.
const readDecisions = 16384

// maxCachedKey is the longest key whose answer is remembered: the
// runtime's key limit (runtime.Config.MaxKeyBytes' default). A contract
// cannot store a longer key, so a reader asking about one asks about
// nothing that exists, and is not given room in the cache for it.
const maxCachedKey = 1 << 10

// canReadGas caps a read-policy call (MethodCanRead): a policy looks at a
// key and a few records, far below a query's cap, and a policy that needs
// more denies rather than let every raw read cost a full query.
const canReadGas uint64 = 10_000_000

// decisionKey identifies one read-policy answer. The answer depends on
// nothing else: the height fixes the contract's code, its state and the
// registry the policy sees, so every node computes the same answer and a
// cached one is never stale.
type decisionKey struct {
	height   uint64
	contract common.Address
	reader   common.Address
	key      string
}

// accessState is the ledger's memory of access decisions. Its zero value
// is ready: the caches are built on first use, so that opening a ledger
// pays nothing for them.
type accessState struct {
	once      sync.Once
	decisions *lru.Cache[decisionKey, bool]
	// orgs maps a contract to its organisation (ContractInfo.Org), which
	// is fixed at deploy: event filtering reads it per event and
	// subscriber, so it must not decode a contract record each time.
	orgs sync.Map // common.Address → string
	// policyCalls counts read-policy calls actually made (not answered
	// from the cache), for tests and metrics.
	policyCalls atomic.Uint64
}

func (a *accessState) init() {
	a.once.Do(func() { a.decisions = lru.NewCache[decisionKey, bool](readDecisions) })
}

// ReadPolicyCalls returns how many read-policy calls (MethodCanRead) the
// ledger has made since it opened; answers served from the cache are not
// counted.
func (l *Ledger) ReadPolicyCalls() uint64 { return l.access.policyCalls.Load() }
