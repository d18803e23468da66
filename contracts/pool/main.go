// Command pool is the meshledger pool contract: a securitizer's pools of
// loans and their investor disclosures, kept current by the loan contract
// in the same transaction as each change to a loan.
//
// Methods (JSON arguments and results):
//
//	createPool     {id, loan_contract} → Pool   (members with role securitizer; the caller is the pool's securitizer)
//	onLoanBoarded  loanlogic.Snapshot → Disclosure (the pool's loan contract only)
//	onPayment      loanlogic.Snapshot → Disclosure (the pool's loan contract only)
//	onStatusChange loanlogic.Snapshot → Disclosure (the pool's loan contract only)
//	pool           {pool} → Pool              (the pool's securitizer, or an auditor)
//	disclosure     {pool} → Disclosure        (the pool's securitizer, or an auditor)
//	member         {pool, loan} → Member      (the pool's securitizer, or an auditor)
//
// Events, addressed to the pool's securitizer: PoolCreated (the Pool) and
// DisclosureUpdated (the Disclosure after each report).
//
// State: "pool/<pool>" → Pool, "disclosure/<pool>" → Disclosure,
// "member/<pool>/<loan>" → Member, as JSON; the read policy lets a pool's
// securitizer read its pool's keys and nobody else any key; auditors read
// everything in any case. The rules live in poollogic.
package main

import (
	"errors"
	"fmt"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/contracts/pool/poollogic"
	"github.com/meshledger/meshledger/sdk/contract"
)

func main() {}

func init() {
	contract.Method("createPool", createPool)
	contract.Method(poollogic.ReportBoarded, reporter(poollogic.ReportBoarded))
	contract.Method(poollogic.ReportPayment, reporter(poollogic.ReportPayment))
	contract.Method(poollogic.ReportStatus, reporter(poollogic.ReportStatus))
	contract.Method("pool", getPool)
	contract.Method("disclosure", disclosure)
	contract.Method("member", member)
	contract.ReadPolicy(canRead)
	contract.Event[poollogic.Pool](EventPoolCreated)
	contract.Event[poollogic.Disclosure](EventDisclosureUpdated)
	contract.State[poollogic.Pool](poollogic.PoolPrefix)
	contract.State[poollogic.Disclosure](poollogic.DisclosurePrefix)
	contract.State[poollogic.Member](poollogic.MemberPrefix)
}

// Event names.
const (
	EventPoolCreated       = "PoolCreated"
	EventDisclosureUpdated = "DisclosureUpdated"
)

func createPool(ctx *contract.Context, req poollogic.CreateRequest) (*poollogic.Pool, error) {
	if !ctx.HasRole(poollogic.RoleSecuritizer) {
		return nil, fmt.Errorf("%w: creating a pool needs the role %s", poollogic.ErrUnauthorized, poollogic.RoleSecuritizer)
	}
	p, _, err := poollogic.Create(ctx, ctx.Caller(), ctx.Time(), req)
	if err != nil {
		return nil, err
	}
	if err := ctx.EmitTo(EventPoolCreated, p, contract.ToAddress(p.Securitizer)); err != nil {
		return nil, err
	}
	return p, nil
}

// reporter is the method the loan contract calls for reports of kind.
func reporter(kind string) func(*contract.Context, loanlogic.Snapshot) (*poollogic.Disclosure, error) {
	return func(ctx *contract.Context, snap loanlogic.Snapshot) (*poollogic.Disclosure, error) {
		d, err := poollogic.Report(ctx, ctx.Caller(), kind, snap)
		if err != nil {
			return nil, err
		}
		p, err := poollogic.LoadPool(ctx, snap.Pool)
		if err != nil {
			return nil, err
		}
		if err := ctx.EmitTo(EventDisclosureUpdated, d, contract.ToAddress(p.Securitizer)); err != nil {
			return nil, err
		}
		return d, nil
	}
}

// PoolRequest names a pool.
type PoolRequest struct {
	Pool string `json:"pool"`
}

// MemberRequest names a loan in a pool.
type MemberRequest struct {
	Pool string `json:"pool"`
	Loan string `json:"loan"`
}

func getPool(ctx *contract.Context, req PoolRequest) (*poollogic.Pool, error) {
	return readablePool(ctx, req.Pool)
}

func disclosure(ctx *contract.Context, req PoolRequest) (*poollogic.Disclosure, error) {
	if _, err := readablePool(ctx, req.Pool); err != nil {
		return nil, err
	}
	return poollogic.LoadDisclosure(ctx, req.Pool)
}

func member(ctx *contract.Context, req MemberRequest) (*poollogic.Member, error) {
	if _, err := readablePool(ctx, req.Pool); err != nil {
		return nil, err
	}
	return poollogic.LoadMember(ctx, req.Pool, req.Loan)
}

// readablePool loads pool id for its securitizer or an auditor. Anyone
// else is refused with the same message whether or not the pool exists,
// so that a query does not reveal which pools there are.
func readablePool(ctx *contract.Context, id string) (*poollogic.Pool, error) {
	p, err := poollogic.LoadPool(ctx, id)
	switch {
	case ctx.HasRole(loanlogic.RoleAuditor):
		return p, err
	case errors.Is(err, poollogic.ErrNotFound), err == nil && p.Securitizer != ctx.Caller():
		return nil, fmt.Errorf("%w: the caller is not the securitizer of a pool %q", poollogic.ErrUnauthorized, id)
	case err != nil:
		return nil, err
	}
	return p, nil
}

// canRead is the read policy: a pool's keys, for its securitizer.
func canRead(ctx *contract.Context, key []byte) bool {
	id, ok := poollogic.PoolOfKey(string(key))
	if !ok {
		return false
	}
	p, err := poollogic.LoadPool(ctx, id)
	return err == nil && p.Securitizer == ctx.Caller()
}
