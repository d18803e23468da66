package ledger

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// directory answers who an address is — its member record in the
// participant registry — for admission and for contracts
// (runtime.Env.Directory), over one registry state: a block being
// executed (its earlier transactions' registry writes visible) or a
// committed height (queries). Lookups are cached, absences included: the
// loan's payment path asks for the same few callers in every call, and a
// cached answer is a map read. A directory over a block must be reset
// whenever the block's registry state changes.
//
// Not safe for concurrent use: each block and each query has its own.
type directory struct {
	r       registry.Reader
	members map[common.Address]*registry.Member // nil value: not a member
	policy  *registry.Policy
	// base, when set, answers while the registry state is still the
	// state base caches (a block before its first registry write: the
	// latest committed state, whose lookups the ledger already caches
	// for admission), so that a block does not read and decode its
	// senders' records again.
	base  memberSource
	dirty bool
}

var _ runtime.Directory = (*directory)(nil)

// directoryOver returns a directory over the registry records r reads.
func directoryOver(r registry.Reader) *directory {
	return &directory{r: r, members: make(map[common.Address]*registry.Member)}
}

// member returns addr's member record, or nil when addr belongs to no
// organisation. The record is shared: callers must not modify it.
func (d *directory) member(addr common.Address) (*registry.Member, error) {
	if m, ok := d.members[addr]; ok {
		return m, nil
	}
	if d.base != nil && !d.dirty {
		m, err := d.base.member(addr)
		if err != nil {
			return nil, err
		}
		d.members[addr] = m
		return m, nil
	}
	m, err := memberOf(d.r, addr)
	if err != nil {
		return nil, err
	}
	d.members[addr] = m
	return m, nil
}

// Participant implements runtime.Directory.
func (d *directory) Participant(addr runtime.Address) (runtime.Participant, bool, error) {
	m, err := d.member(common.Address(addr))
	if err != nil || m == nil {
		return runtime.Participant{}, false, err
	}
	return runtime.Participant{Org: m.Org, Roles: m.Roles}, true, nil
}

// networkPolicy returns the network policy of the directory's state.
func (d *directory) networkPolicy() (*registry.Policy, error) {
	if d.policy != nil {
		return d.policy, nil
	}
	if d.base != nil && !d.dirty {
		p, err := d.base.networkPolicy()
		if err != nil {
			return nil, err
		}
		d.policy = p
		return p, nil
	}
	p, err := registry.LookupPolicy(d.r)
	if err != nil {
		return nil, fmt.Errorf("ledger: registry policy: %w", err)
	}
	d.policy = p
	return p, nil
}

// reset forgets every cached answer: the registry state changed.
func (d *directory) reset() {
	clear(d.members)
	d.policy = nil
	d.dirty = true
}

// memberSource is where admission looks senders up: a block's directory,
// or the latest block's (tipDirectory).
type memberSource interface {
	member(addr common.Address) (*registry.Member, error)
	networkPolicy() (*registry.Policy, error)
}

// checkSender is admission's access rule, the same in blocks and at a
// node's door: a sender outside every organisation is refused
// (ErrNotAMember) unless the policy admits non-members, and a deploy or an
// upgrade needs the deployer role (ErrForbidden).
func checkSender(d memberSource, msg tx.Message, sender common.Address) error {
	m, err := d.member(sender)
	if err != nil {
		return err
	}
	if m == nil {
		p, err := d.networkPolicy()
		if err != nil {
			return err
		}
		if !p.AllowNonMembers {
			return fmt.Errorf("%w: %s belongs to no organisation", ErrNotAMember, sender)
		}
	}
	switch msg.(type) {
	case *tx.Deploy, *tx.Upgrade:
		if !m.HasRole(registry.RoleDeployer) {
			return fmt.Errorf("%w: %s lacks the %s role", ErrForbidden, sender, registry.RoleDeployer)
		}
	}
	return nil
}

// checkSenderLatest is checkSender at the latest committed state: the
// node's admission (CheckTxNonce) refuses at its door what a block would
// reject, with the same errors.
func (l *Ledger) checkSenderLatest(msg tx.Message, sender common.Address) error {
	return checkSender(tipDirectory{l: l, c: l.tipMembers.Load()}, msg, sender)
}

// memberCacheMax bounds the addresses a tip cache remembers. Members are
// few (the registry's size); the bound is for non-members, whose
// transactions a node refuses but which anyone may send. Past it,
// lookups still work, uncached.
const memberCacheMax = 1 << 16

// memberCache remembers registry lookups at the latest block for
// admission, which otherwise reads and decodes a member record for every
// transaction a node is sent (several microseconds each). A block that
// writes the registry replaces it (commit), after its batch is written:
// a reader takes the cache before it reads the store, so an answer it
// stores is never older than the cache it goes into.
type memberCache struct {
	members sync.Map // common.Address → *registry.Member, nil for a non-member
	size    atomic.Int64
	policy  atomic.Pointer[registry.Policy]
}

// tipDirectory is a memberSource over the latest committed registry.
// Safe for concurrent use.
type tipDirectory struct {
	l *Ledger
	c *memberCache
}

func (d tipDirectory) reader() registry.Reader { return d.l.state.ContractReader(registry.Address) }

func (d tipDirectory) member(addr common.Address) (*registry.Member, error) {
	if m, ok := d.c.members.Load(addr); ok {
		return m.(*registry.Member), nil
	}
	m, err := memberOf(d.reader(), addr)
	if err != nil {
		return nil, err
	}
	if d.c.size.Load() < memberCacheMax {
		if _, loaded := d.c.members.LoadOrStore(addr, m); !loaded {
			d.c.size.Add(1)
		}
	}
	return m, nil
}

func (d tipDirectory) networkPolicy() (*registry.Policy, error) {
	if p := d.c.policy.Load(); p != nil {
		return p, nil
	}
	p, err := registry.LookupPolicy(d.reader())
	if err != nil {
		return nil, fmt.Errorf("ledger: registry policy: %w", err)
	}
	d.c.policy.Store(p)
	return p, nil
}
