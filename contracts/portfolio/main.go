// Command portfolio is the meshledger portfolio contract: a loan owner's
// delinquency rate, cure rate, roll rates and payment trends, kept
// current by the loan contract in the same transaction as each change to
// one of the owner's loans, and readable by the owner only.
//
// Methods (JSON arguments and results):
//
//	open           {loan_contract} → Portfolio   (members with role owner; the caller's own portfolio)
//	onLoanBoarded  loanlogic.Snapshot → Portfolio (the portfolio's loan contract only)
//	onPayment      loanlogic.Snapshot → Portfolio (the portfolio's loan contract only)
//	onStatusChange loanlogic.Snapshot → Portfolio (the portfolio's loan contract only)
//	get            {owner} → Portfolio           (the owner, or an auditor)
//	trend          {owner, month} → Trend        (the owner, or an auditor; month "YYYY-MM")
//
// Events, addressed to the owner: PortfolioUpdated (the Portfolio after
// each report).
//
// State: "portfolio/<owner>" → Portfolio, "holding/<owner>/<loan>" →
// Holding, "trend/<owner>/<YYYY-MM>" → Trend, as JSON, the owner's address
// in lower-case hex; the read policy lets an owner read its own keys and
// nobody else any key; auditors read everything in any case. The rules
// live in portfoliologic.
package main

import (
	"fmt"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/contracts/portfolio/portfoliologic"
	"github.com/meshledger/meshledger/sdk/contract"
)

func main() {}

func init() {
	contract.Method("open", open)
	contract.Method(portfoliologic.ReportBoarded, reporter(portfoliologic.ReportBoarded))
	contract.Method(portfoliologic.ReportPayment, reporter(portfoliologic.ReportPayment))
	contract.Method(portfoliologic.ReportStatus, reporter(portfoliologic.ReportStatus))
	contract.Method("get", get)
	contract.Method("trend", trend)
	contract.ReadPolicy(canRead)
	contract.Event[portfoliologic.Portfolio](EventPortfolioUpdated)
	contract.State[portfoliologic.Portfolio](portfoliologic.PortfolioPrefix)
	contract.State[portfoliologic.Holding](portfoliologic.HoldingPrefix)
	contract.State[portfoliologic.Trend](portfoliologic.TrendPrefix)
}

// EventPortfolioUpdated is emitted to the owner after each report.
const EventPortfolioUpdated = "PortfolioUpdated"

func open(ctx *contract.Context, req portfoliologic.OpenRequest) (*portfoliologic.Portfolio, error) {
	if !ctx.HasRole(loanlogic.RoleOwner) {
		return nil, fmt.Errorf("%w: opening a portfolio needs the role %s", portfoliologic.ErrUnauthorized, loanlogic.RoleOwner)
	}
	return portfoliologic.Open(ctx, ctx.Caller(), ctx.Time(), req)
}

// reporter is the method the loan contract calls for reports of kind.
func reporter(kind string) func(*contract.Context, loanlogic.Snapshot) (*portfoliologic.Portfolio, error) {
	return func(ctx *contract.Context, snap loanlogic.Snapshot) (*portfoliologic.Portfolio, error) {
		p, err := portfoliologic.Report(ctx, ctx.Caller(), kind, snap)
		if err != nil {
			return nil, err
		}
		if err := ctx.EmitTo(EventPortfolioUpdated, p, contract.ToAddress(p.Owner)); err != nil {
			return nil, err
		}
		return p, nil
	}
}

// GetRequest names an owner's portfolio.
type GetRequest struct {
	Owner contract.Address `json:"owner"`
}

// TrendRequest names a month of an owner's portfolio.
type TrendRequest struct {
	Owner contract.Address `json:"owner"`
	Month string           `json:"month"`
}

func get(ctx *contract.Context, req GetRequest) (*portfoliologic.Portfolio, error) {
	if err := mayRead(ctx, req.Owner); err != nil {
		return nil, err
	}
	return portfoliologic.Load(ctx, req.Owner)
}

func trend(ctx *contract.Context, req TrendRequest) (*portfoliologic.Trend, error) {
	if err := mayRead(ctx, req.Owner); err != nil {
		return nil, err
	}
	return portfoliologic.LoadTrend(ctx, req.Owner, req.Month)
}

// mayRead lets the owner and auditors read owner's portfolio. The refusal
// does not depend on whether the portfolio exists.
func mayRead(ctx *contract.Context, owner contract.Address) error {
	if ctx.Caller() == owner && !owner.IsZero() || ctx.HasRole(loanlogic.RoleAuditor) {
		return nil
	}
	return fmt.Errorf("%w: only its owner reads the portfolio of %s", portfoliologic.ErrUnauthorized, owner)
}

// canRead is the read policy: an owner's keys, for that owner.
func canRead(ctx *contract.Context, key []byte) bool {
	owner, ok := portfoliologic.OwnerOfKey(string(key))
	return ok && owner == ctx.Caller()
}
