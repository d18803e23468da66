package ledger

import (
	"context"
	"errors"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
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

// ViewerAt returns the viewer of addr at the latest committed block.
func (l *Ledger) ViewerAt(addr common.Address) (*Viewer, error) {
	return nil, errors.New("ledger: ViewerAt not implemented")
}

// CanReadKey decides whether v may read contract's key (raw state,
// history, proofs) at height: auditors always; the registry and the
// system namespace every member; a contract's key where its read policy
// (MethodCanRead) answers true, or without a policy for members of the
// contract's organisation. The answer is the same on every node for the
// same height; answers are cached per height. It returns nil or an error
// wrapping ErrForbidden.
func (l *Ledger) CanReadKey(ctx context.Context, v *Viewer, contract common.Address, key []byte, height uint64) error {
	return errors.New("ledger: CanReadKey not implemented")
}

// CanReadTx decides whether v may read a committed transaction and its
// receipt: the sender's organisation, auditors, and any reader in the
// audience of an event the transaction emitted. nil or ErrForbidden.
func (l *Ledger) CanReadTx(v *Viewer, rec *TxRecord) error {
	return errors.New("ledger: CanReadTx not implemented")
}

// SeesEvent reports whether v is in the audience of a committed event.
// It reads no state beyond a cached contract record: streams call it per
// event and subscriber.
func (l *Ledger) SeesEvent(v *Viewer, ev *block.Event) bool { return false }

// QueryAs is Query with caller as the call's ctx.Caller() (the
// authenticated reader).
func (l *Ledger) QueryAs(ctx context.Context, caller common.Address, contract common.Address, method string, args []byte, height uint64, gasCap uint64) (*QueryResult, error) {
	return nil, errors.New("ledger: QueryAs not implemented")
}

// Registry reads at the latest committed block (RegistryAt for the
// registry's namespace as a registry.Reader).
func (l *Ledger) RegistryAt(height uint64) (registry.Reader, *block.SignedHeader, error) {
	return nil, nil, errors.New("ledger: RegistryAt not implemented")
}
