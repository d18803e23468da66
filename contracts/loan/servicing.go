package main

import (
	"fmt"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/sdk/contract"
)

// PlanEvent is the payload of AssistanceAccepted, PlanCompleted and
// PlanDefaulted.
type PlanEvent struct {
	ID   string         `json:"id"`
	Plan loanlogic.Plan `json:"plan"`
}

// board boards an existing loan; the caller, who must hold the role
// servicer, services it.
func board(ctx *contract.Context, req loanlogic.BoardRequest) (*loanlogic.Loan, error) {
	if !ctx.HasRole(loanlogic.RoleServicer) {
		return nil, fmt.Errorf("%w: boarding a loan needs the role %s", loanlogic.ErrUnauthorized, loanlogic.RoleServicer)
	}
	now := ctx.Time()
	l, sv, ch, err := loanlogic.Board(ctx, ctx.Caller(), now, req)
	if err != nil {
		return nil, err
	}
	if err := ctx.EmitTo(EventLoanBoarded, l, servicingAudience(l, sv)...); err != nil {
		return nil, err
	}
	if err := announce(ctx, l, sv, ch); err != nil {
		return nil, err
	}
	if err := report(ctx, sv, loanlogic.ReportBoarded, loanlogic.SnapshotOf(l, sv, ch, 0, now)); err != nil {
		return nil, err
	}
	return l, nil
}

// assess judges a boarded loan's delinquency at block time; the pool and
// portfolio hear of it only when its bucket or plan changed.
func assess(ctx *contract.Context, req loanlogic.AssessRequest) (loanlogic.Change, error) {
	now := ctx.Time()
	l, sv, ch, err := loanlogic.Assess(ctx, ctx.Caller(), now, req)
	if err != nil {
		return loanlogic.Change{}, err
	}
	if err := announce(ctx, l, sv, ch); err != nil {
		return loanlogic.Change{}, err
	}
	if ch.Changed() || ch.PlanCompleted || ch.PlanDefaulted {
		if err := report(ctx, sv, loanlogic.ReportStatus, loanlogic.SnapshotOf(l, sv, ch, 0, now)); err != nil {
			return loanlogic.Change{}, err
		}
	}
	return ch, nil
}

func offerAssistance(ctx *contract.Context, req loanlogic.OfferRequest) (*loanlogic.Offer, error) {
	l, sv, o, err := loanlogic.OfferAssistance(ctx, ctx.Caller(), ctx.Time(), req)
	if err != nil {
		return nil, err
	}
	if err := ctx.EmitTo(EventAssistanceOffered, o, servicingAudience(l, sv)...); err != nil {
		return nil, err
	}
	return o, nil
}

// accept puts an offered option into effect; only the borrower's own key
// accepts (loanlogic.Accept checks the caller against the loan's borrower).
func accept(ctx *contract.Context, req loanlogic.AcceptRequest) (*loanlogic.Plan, error) {
	now := ctx.Time()
	l, sv, ch, err := loanlogic.Accept(ctx, ctx.Caller(), now, req)
	if err != nil {
		return nil, err
	}
	if err := ctx.EmitTo(EventAssistanceAccepted, PlanEvent{ID: l.ID, Plan: *sv.Plan}, servicingAudience(l, sv)...); err != nil {
		return nil, err
	}
	if err := announce(ctx, l, sv, ch); err != nil {
		return nil, err
	}
	if err := report(ctx, sv, loanlogic.ReportStatus, loanlogic.SnapshotOf(l, sv, ch, 0, now)); err != nil {
		return nil, err
	}
	return sv.Plan, nil
}

// announce emits the events a judgement found, in a fixed order: the
// plan's fate, then missed, delinquent, cured.
func announce(ctx *contract.Context, l *loanlogic.Loan, sv *loanlogic.Servicing, ch loanlogic.Change) error {
	aud := servicingAudience(l, sv)
	type ev struct {
		on   bool
		name string
		data any
	}
	var planData any
	if sv.Plan != nil {
		planData = PlanEvent{ID: l.ID, Plan: *sv.Plan}
	}
	for _, e := range [...]ev{
		{ch.PlanCompleted, EventPlanCompleted, planData},
		{ch.PlanDefaulted, EventPlanDefaulted, planData},
		{ch.Missed, EventPaymentMissed, ch},
		{ch.Delinquent, EventLoanDelinquent, ch},
		{ch.Cured, EventLoanCured, ch},
	} {
		if e.on {
			if err := ctx.EmitTo(e.name, e.data, aud...); err != nil {
				return err
			}
		}
	}
	return nil
}

// report tells the loan's pool and portfolio contracts of a change. A
// refusal fails the caller's whole call (its writes and events undone),
// so the pool and portfolio never miss a change the loan made.
func report(ctx *contract.Context, sv *loanlogic.Servicing, method string, snap loanlogic.Snapshot) error {
	for _, to := range [...]struct {
		what string
		addr contract.Address
	}{{"pool", sv.PoolContract}, {"portfolio", sv.PortfolioContract}} {
		if to.addr.IsZero() {
			continue
		}
		if err := ctx.Call(to.addr, method, snap, nil); err != nil {
			return fmt.Errorf("reporting loan %q to its %s contract %s: %w", snap.ID, to.what, to.addr, err)
		}
	}
	return nil
}

// servicingAudience addresses a boarded loan's events to its owner,
// servicer, securitizer and borrower.
func servicingAudience(l *loanlogic.Loan, sv *loanlogic.Servicing) []contract.Audience {
	as := loanlogic.Audience(l, sv)
	aud := make([]contract.Audience, len(as))
	for i, a := range as {
		aud[i] = contract.ToAddress(a)
	}
	return aud
}
