package ledger

import (
	"bytes"
	"fmt"

	"context"
	"errors"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/runtime"
)

// Access errors. Admission refuses a transaction with ErrNotAMember or
// ErrForbidden (HTTP 403); a read refused by the access rules is
// ErrForbidden (docs/access.md).
var (
	// ErrNotAMember: the sender belongs to no organisation and the network
	// policy does not admit non-members.
	ErrNotAMember = errors.New("not a member")
	// ErrForbidden: the reader or sender lacks the role or permission.
	ErrForbidden = errors.New("forbidden")
)

// MethodCanRead is the reserved read-policy method (sdk/contract's
// ReadPolicy): called read-only with the reader as caller and the raw key
// as arguments, it returns JSON true or false. A contract without it
// lets its organisation and auditors read its keys.
const MethodCanRead = "mesh.canRead"

// Viewer is who reads: an address, its member record at the height the
// decision is made (nil for a non-member, or an anonymous reader when
// Address is zero).
type Viewer struct {
	Address common.Address
	Member  *registry.Member
}

// Auditor reports whether the viewer holds the network auditor role.
func (v *Viewer) Auditor() bool { return v != nil && v.Member.HasRole(registry.RoleAuditor) }

// ViewerAt returns the viewer of addr at the latest committed block. The
// zero address is the anonymous reader; an address outside every
// organisation gets a nil Member. The member record is shared with the
// ledger's cache of the latest registry (the one admission uses, so a
// request costs no record decoding): callers must not modify it.
func (l *Ledger) ViewerAt(addr common.Address) (*Viewer, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	v := &Viewer{Address: addr}
	if addr == (common.Address{}) {
		return v, nil
	}
	m, err := l.latestMember(addr)
	if err != nil {
		return nil, err
	}
	v.Member = m
	return v, nil
}

// latestMember is addr's member record at the latest committed block (nil
// for none), from the cache admission keeps of it.
func (l *Ledger) latestMember(addr common.Address) (*registry.Member, error) {
	return tipDirectory{l: l, c: l.tipMembers.Load()}.member(addr)
}

// member reports whether v is a member of the network.
func (v *Viewer) member() bool { return v != nil && v.Member != nil && v.Address != (common.Address{}) }

// errReadForbidden is the refusal of a read: it names neither the key nor
// why, so that a refusal reveals nothing about the data.
var errReadForbidden = fmt.Errorf("%w: not readable by this reader", ErrForbidden)

// CanReadKey decides whether v may read contract's key (raw state,
// history, proofs) at height: auditors always; the registry and the
// system namespace every member; a contract's key where its read policy
// (MethodCanRead) answers true, or without a policy for members of the
// contract's organisation. Non-members and anonymous readers read
// nothing. Membership, auditing and the organisation rule use v's record
// (ViewerAt: the latest block's), so a member who has left reads nothing,
// not even of heights when it belonged; a read policy runs against the
// state and registry of height. The answer is the same on every node for
// the same height and latest block;
// policy answers are cached per height. It returns nil, an error wrapping
// ErrForbidden, ErrUnknownContract for an address holding no contract,
// ErrNotFound for a height above the tip, or a host failure (the policy
// could not be run: no decision was made, and none is cached).
func (l *Ledger) CanReadKey(ctx context.Context, v *Viewer, contract common.Address, key []byte, height uint64) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	if !v.member() {
		return errReadForbidden
	}
	if tip := l.Latest().Header.Height; height > tip {
		return fmt.Errorf("%w: block %d (the latest is %d)", ErrNotFound, height, tip)
	}
	if v.Auditor() || contract == registry.Address || contract == SystemAddress {
		return nil
	}
	rec, err := l.contractRecord(nil, contract)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("%w: %s", ErrUnknownContract, contract)
	}
	info := rec.info(contract)
	// Below its deploy a contract has no code to ask and no keys: the
	// organisation rule answers (a read there finds nothing anyway).
	if height < info.Height || !hasReadPolicy(info, height) {
		if v.Member.Org != "" && v.Member.Org == info.Org {
			return nil
		}
		return errReadForbidden
	}
	allowed, err := l.askReadPolicy(ctx, v.Address, contract, key, height)
	if err != nil {
		return err
	}
	if !allowed {
		return errReadForbidden
	}
	return nil
}

// hasReadPolicy reports whether c's code at height exports the read-policy
// method. The metadata lists the methods of the latest code only; for an
// older version the policy method is called anyway and an unknown-method
// answer means "no policy" (askReadPolicy).
func hasReadPolicy(c *ContractInfo, height uint64) bool {
	if codeAt(c, height) != c.CodeHash {
		return true
	}
	for _, m := range c.Methods {
		if m == MethodCanRead {
			return true
		}
	}
	return false
}

// askReadPolicy calls contract's read policy for reader and key at
// height, or answers from the cache. A contract failure (a trap, running
// out of canReadGas, an answer other than JSON true) denies, and the
// denial is cached like any answer: it is as deterministic as an
// approval. A host failure is returned and nothing is cached.
func (l *Ledger) askReadPolicy(ctx context.Context, reader, contract common.Address, key []byte, height uint64) (bool, error) {
	l.access.init()
	cacheable := len(key) <= maxCachedKey
	var dk decisionKey
	if cacheable {
		dk = decisionKey{height: height, contract: contract, reader: reader, key: string(key)}
		if ok, cached := l.access.decisions.Get(dk); cached {
			return ok, nil
		}
	}
	l.access.policyCalls.Add(1)
	res, err := l.query(ctx, reader, contract, MethodCanRead, key, height, canReadGas, false)
	if err != nil {
		return false, fmt.Errorf("ledger: read policy of %s at %d: %w", contract, height, err)
	}
	var allowed bool
	switch {
	case res.Status == runtime.CodeUnknownMethod:
		// An older code without a policy: the organisation rule.
		allowed, err = l.orgReads(reader, contract, height)
		if err != nil {
			return false, err
		}
	case res.Status.OK():
		allowed = bytes.Equal(bytes.TrimSpace(res.Return), []byte("true"))
	}
	if cacheable {
		l.access.decisions.Add(dk, allowed)
	}
	return allowed, nil
}

// orgReads applies the organisation rule for reader, a member of which
// organisation at height.
func (l *Ledger) orgReads(reader, contract common.Address, height uint64) (bool, error) {
	reg, _, err := l.RegistryAt(height)
	if err != nil {
		return false, err
	}
	m, err := memberOf(reg, reader)
	if err != nil {
		return false, err
	}
	org, err := l.contractOrg(contract)
	if err != nil {
		return false, err
	}
	return m != nil && m.Org != "" && m.Org == org, nil
}

// contractOrg returns the organisation of a contract (its deployer's at
// deploy, which never changes), cached. The registry has none.
func (l *Ledger) contractOrg(contract common.Address) (string, error) {
	if org, ok := l.access.orgs.Load(contract); ok {
		return org.(string), nil
	}
	if contract == registry.Address || contract == SystemAddress {
		return "", nil
	}
	rec, err := l.contractRecord(nil, contract)
	if err != nil {
		return "", err
	}
	if rec == nil {
		return "", fmt.Errorf("%w: %s", ErrUnknownContract, contract)
	}
	org := rec.info(contract).Org
	l.access.orgs.Store(contract, org)
	return org, nil
}

// CanReadTx decides whether v may read a committed transaction and its
// receipt: auditors; the sender itself; members of the sender's
// organisation; and any member in the audience of an event the
// transaction emitted (registry.Sees, an empty audience meaning the
// emitting contract's organisation). The sender's organisation is read at
// the latest committed block, not at the transaction's: every node
// decides against the same latest block, and an address that has left an
// organisation no longer lets that organisation read its new
// transactions, nor its old ones (it may have joined another). It returns
// nil or an error wrapping ErrForbidden.
func (l *Ledger) CanReadTx(v *Viewer, rec *TxRecord) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	if !v.member() || rec == nil || rec.Tx == nil {
		return errReadForbidden
	}
	if v.Auditor() {
		return nil
	}
	sender := rec.Tx.Message().Sender()
	if sender == v.Address {
		return nil
	}
	if rec.Receipt != nil {
		for i := range rec.Receipt.Events {
			if l.SeesEvent(v, &rec.Receipt.Events[i]) {
				return nil
			}
		}
	}
	m, err := l.latestMember(sender)
	if err != nil {
		return err
	}
	if m != nil && m.Org == v.Member.Org {
		return nil
	}
	return errReadForbidden
}

// SeesEvent reports whether v is in the audience of a committed event.
// It reads no state beyond a cached contract record: streams call it per
// event and subscriber. Non-members see no event; registry events, whose
// audience is every member, are seen by every member.
func (l *Ledger) SeesEvent(v *Viewer, ev *block.Event) bool {
	if !v.member() || ev == nil {
		return false
	}
	if ev.Contract == registry.Address && len(ev.Audience) == 0 {
		return true
	}
	org, err := l.contractOrg(ev.Contract)
	if err != nil {
		// A committed event's contract always exists; an unreadable
		// record reads as "not in the audience", never as "in it".
		org = ""
	}
	return registry.Sees(v.Address, v.Member, ev.Audience, org)
}
