package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
	"github.com/meshledger/meshledger/contracts/pool/poollogic"
	"github.com/meshledger/meshledger/contracts/portfolio/portfoliologic"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/status"
)

// Fields printed of each record.
var (
	loanFields       = []string{"principal", "rate_bps", "term_months", "installment", "balance", "next_due"}
	paymentFields    = []string{"amount", "interest", "principal", "balance", "next_due"}
	changeFields     = []string{"due", "days_past_due", "amount_due", "to"}
	offerFields      = []string{"arrears", "expires_at", "forbearance.months", "forbearance.lump_sum", "forbearance.due_at", "repayment_plan.months", "repayment_plan.installment", "repayment_plan.final_installment", "repayment_plan.first_due", "modification.principal", "modification.rate_bps", "modification.term_months", "modification.installment", "modification.first_due"}
	planFields       = []string{"kind", "status", "months", "installment", "final_installment", "first_due"}
	disclosureFields = []string{"loans", "balance", "wac_bps", "buckets.current.count", "buckets.current.balance", "buckets.30.count", "buckets.30.balance", "in_assistance.count", "in_assistance.balance", "cures", "payments", "payments_paid"}
	portfolioFields  = []string{"loans", "balance", "delinquent", "delinquent_balance", "delinquencies", "cures", "delinquency_rate_bps", "cure_rate_bps", "payments"}
)

func addr(p *party) contract.Address { return contract.Address(p.key.Address()) }

// day is midnight UTC of t's day, clamped to the 28th so that every later
// due date keeps its day of month.
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, min(d, 28), 0, 0, 0, 0, time.UTC)
}

// boardLoans opens the parties' streams and has the servicer board three
// loans: L1 (the borrower's, in pool P1) three instalments paid and the
// fourth 35 days overdue; L2 (the neighbour's, in P1) paid up; L3 (the
// neighbour's, held outside any pool). The servicer then records L2's
// next payment.
func (s *story) boardLoans(ctx context.Context) error {
	s.streamed = []*party{s.p[owner], s.p[servicer], s.p[securitizer], s.p[borrower]}
	s.openStreams(ctx, s.height+1, s.streamed...)
	s.out.printf("== 3. Boarding loans. Each party follows its own event stream (with its own key) from now on:\n")
	now := time.Now().UTC()
	missed := day(now.AddDate(0, 0, -35))
	first1 := missed.AddDate(0, -3, 0)
	first2 := day(now.AddDate(0, -2, 10))
	first3 := day(now.AddDate(0, 0, 5))
	boardReq := func(id string, b *party, pooled bool, principal, rate int64, first time.Time, paid int) loanlogic.BoardRequest {
		r := loanlogic.BoardRequest{ID: id, Owner: addr(s.p[owner]), Borrower: addr(b),
			PortfolioContract: contract.Address(s.report.Portfolio),
			Principal:         principal, RateBps: rate, TermMonths: 360,
			FirstDue: first.Unix(), OriginatedAt: first.AddDate(0, -1, 0).Unix()}
		if pooled {
			r.Securitizer, r.PoolContract, r.Pool = addr(s.p[securitizer]), contract.Address(s.report.Pool), "P1"
		}
		inst := loanlogic.Installment(principal, rate, 360)
		for i := range paid {
			r.History = append(r.History, loanlogic.HistoricPayment{Amount: inst, PaidAt: loanlogic.DueDate(first.Unix(), int64(i))})
		}
		return r
	}
	loans := []struct {
		req  loanlogic.BoardRequest
		note string
	}{
		{boardReq("L1", s.p[borrower], true, 250_000_00, 650, first1, 3), "the borrower's home loan, in pool P1: three instalments paid, the fourth due " + missed.Format("2006-01-02") + " not paid"},
		{boardReq("L2", s.p[neighbour], true, 180_000_00, 575, first2, 2), "the neighbour's loan, in pool P1, paid up"},
		{boardReq("L3", s.p[neighbour], false, 90_000_00, 700, first3, 0), "the neighbour's second loan, kept outside any pool"},
	}
	for _, l := range loans {
		s.out.printf("-- the servicer boards %s: %s\n", l.req.ID, l.note)
		if l.req.ID == "L1" {
			s.out.printf("   (boarding judges the loan at block time, as assess does: the parties learn of the missed payment now)\n")
		}
		rec, err := s.submit(ctx, s.p[servicer], client.CallOp(s.report.Loan, "board", l.req), "boarding "+l.req.ID)
		if err != nil {
			return err
		}
		if err := s.showReturn(rec, s.p[servicer], "loan "+l.req.ID, s.report.Loan, loanlogic.Key(l.req.ID), "", loanFields); err != nil {
			return err
		}
		if err := s.catchUp(ctx); err != nil {
			return err
		}
	}
	s.out.printf("-- the servicer records L2's next instalment\n")
	inst := loanlogic.Installment(180_000_00, 575, 360)
	rec, err := s.submit(ctx, s.p[servicer], client.CallOp(s.report.Loan, "pay", loanlogic.PayRequest{ID: "L2", Amount: inst}), "paying L2")
	if err != nil {
		return err
	}
	if err := s.showTxReturn(rec, s.p[servicer], "payment on L2", paymentFields); err != nil {
		return err
	}
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	s.out.printf("\n")
	return nil
}

// assessAndAssist judges L1, has the servicer offer assistance and the
// borrower accept a repayment plan with its own key.
func (s *story) assessAndAssist(ctx context.Context) error {
	s.out.printf("== 4. Assessment and assistance\n-- the servicer assesses L1 at block time\n")
	rec, err := s.submit(ctx, s.p[servicer], client.CallOp(s.report.Loan, "assess", loanlogic.AssessRequest{ID: "L1"}), "assessing L1")
	if err != nil {
		return err
	}
	if err := s.showTxReturn(rec, s.p[servicer], "assessment of L1", changeFields); err != nil {
		return err
	}
	if len(rec.Receipt.Events) == 0 {
		s.out.printf("   (still in the same bucket as at boarding: no new events)\n")
	}
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	s.out.printf("-- the servicer offers assistance on L1: 3 months' forbearance, a 6-month repayment plan, or a modification to 4.00%% over 360 months\n")
	rec, err = s.submit(ctx, s.p[servicer], client.CallOp(s.report.Loan, "offerAssistance", loanlogic.OfferRequest{
		ID: "L1", ForbearanceMonths: 3, PlanMonths: 6, ModRateBps: 400, ModTermMonths: 360}), "offering assistance on L1")
	if err != nil {
		return err
	}
	if err := s.showReturn(rec, s.p[servicer], "offer on L1", s.report.Loan, loanlogic.ServicingKey("L1"), "offer.", offerFields); err != nil {
		return err
	}
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	accept := loanlogic.AcceptRequest{ID: "L1", Option: loanlogic.OptionRepaymentPlan}
	s.out.printf("-- the servicer tries to accept the repayment plan for the borrower\n")
	if err := s.refusedTx(ctx, s.p[servicer], client.CallOp(s.report.Loan, "accept", accept), "accept L1's offer"); err != nil {
		return err
	}
	s.out.printf("-- the borrower accepts the repayment plan with its own key\n")
	rec, err = s.submit(ctx, s.p[borrower], client.CallOp(s.report.Loan, "accept", accept), "accepting the plan")
	if err != nil {
		return err
	}
	if err := s.showReturn(rec, s.p[borrower], "plan on L1", s.report.Loan, loanlogic.ServicingKey("L1"), "plan.", planFields); err != nil {
		return err
	}
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	s.out.printf("-- in the same transactions, the pool's disclosure and the owner's portfolio followed:\n")
	if err := s.showQuery(ctx, s.p[securitizer], "P1 disclosure", s.report.Pool, "disclosure", map[string]string{"pool": "P1"},
		poollogic.DisclosureKey("P1"), disclosureFields); err != nil {
		return err
	}
	if err := s.showQuery(ctx, s.p[owner], "owner's portfolio", s.report.Portfolio, "get", map[string]any{"owner": addr(s.p[owner])},
		portfoliologic.PortfolioKey(addr(s.p[owner])), portfolioFields); err != nil {
		return err
	}
	s.report.Seen = s.closeStreams()
	s.streams = nil
	s.out.printf("\n")
	return nil
}

// showReads prints the parties' views: what each may read, and the refusals.
func (s *story) showReads(ctx context.Context) error {
	s.out.printf("== 5. Who reads what\n")
	if err := s.showQuery(ctx, s.p[borrower], "the borrower's own loan L1", s.report.Loan, "get", map[string]string{"id": "L1"},
		loanlogic.Key("L1"), []string{"balance", "next_due"}); err != nil {
		return err
	}
	if err := s.showQuery(ctx, s.p[securitizer], "L1, a loan in the securitizer's pool", s.report.Loan, "get", map[string]string{"id": "L1"},
		loanlogic.Key("L1"), []string{"balance"}); err != nil {
		return err
	}
	if err := s.showQuery(ctx, s.p[owner], "the owner's loan L3", s.report.Loan, "get", map[string]string{"id": "L3"},
		loanlogic.Key("L3"), []string{"balance", "next_due"}); err != nil {
		return err
	}
	refusals := []struct {
		who      string
		what     string
		contract common.Address
		method   string
		args     any
		key      []byte
	}{
		{securitizer, "loan L3 (outside its pools)", s.report.Loan, "get", map[string]string{"id": "L3"}, loanlogic.Key("L3")},
		{borrower, "the neighbour's loan L2", s.report.Loan, "get", map[string]string{"id": "L2"}, loanlogic.Key("L2")},
		{borrower, "the owner's portfolio", s.report.Portfolio, "get", map[string]any{"owner": addr(s.p[owner])}, portfoliologic.PortfolioKey(addr(s.p[owner]))},
		{owner, "pool P1's disclosure", s.report.Pool, "disclosure", map[string]string{"pool": "P1"}, poollogic.DisclosureKey("P1")},
		{neighbour, "the borrower's loan L1", s.report.Loan, "get", map[string]string{"id": "L1"}, loanlogic.Key("L1")},
		{outsider, "loan L1", s.report.Loan, "get", map[string]string{"id": "L1"}, loanlogic.Key("L1")},
	}
	for _, r := range refusals {
		p := s.p[r.who]
		q, err := p.c.Query(ctx, r.contract, r.method, r.args, nil)
		if err := s.refused(p, "query "+r.what, queryOutcome(q, err)); err != nil {
			return err
		}
		_, err = p.c.State(ctx, r.contract, r.key, nil)
		if err := s.refused(p, "raw state and proof of "+r.what, apiOutcome(err)); err != nil {
			return err
		}
	}
	s.out.printf("\n")
	return nil
}

// verifyFigures re-reads every printed figure with a proof.
func (s *story) verifyFigures(ctx context.Context) error {
	s.out.printf("== 6. Verification\n")
	n, err := s.verify(ctx)
	if err != nil {
		return err
	}
	s.report.Verified = n
	s.out.printf("verified %d figures against proofs (state and receipt proofs under headers signed by %s)\n", n, s.cfg.TrustedNodes[0].Hex())
	return nil
}

// showReturn prints fields of a transaction's return value, a record
// stored under key (at prefix) that proves them.
func (s *story) showReturn(rec *api.Tx, reader *party, what string, contract common.Address, key []byte, prefix string, paths []string) error {
	fs, err := pick(rec.Receipt.Return, paths...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	s.out.printf("   %s: %s\n", what, format(fs))
	s.figs.add(shown{reader: reader, what: what, fields: fs, contract: contract, key: key, height: rec.Receipt.Height, prefix: prefix})
	return nil
}

// showTxReturn prints fields of a transaction's return value, proven by
// its receipt.
func (s *story) showTxReturn(rec *api.Tx, reader *party, what string, paths []string) error {
	fs, err := pick(rec.Receipt.Return, paths...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	s.out.printf("   %s: %s\n", what, format(fs))
	s.figs.add(shown{reader: reader, what: what, fields: fs, tx: rec.Hash})
	return nil
}

// showQuery prints fields of a query's answer, read by reader, stored
// under key (which proves them).
func (s *story) showQuery(ctx context.Context, reader *party, what string, contract common.Address, method string, args any, key []byte, paths []string) error {
	q, err := reader.c.Query(ctx, contract, method, args, nil)
	if err != nil {
		return fmt.Errorf("%s reading %s: %w", reader.name, what, err)
	}
	if q.Status != status.OK {
		return fmt.Errorf("%s reading %s: %s %s", reader.name, what, q.Status, q.Message)
	}
	raw := []byte(q.Result)
	if len(raw) == 0 {
		raw = q.Return
	}
	fs, err := pick(raw, paths...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	s.out.printf("   %-11s reads %s: %s\n", reader.name, what, format(fs))
	s.figs.add(shown{reader: reader, what: reader.name + " reading " + what, fields: fs, contract: contract, key: key, height: q.Height})
	return nil
}

// refusedTx submits op, which must fail, and records the refusal.
func (s *story) refusedTx(ctx context.Context, p *party, op client.Op, what string) error {
	rec, err := s.try(ctx, p, op)
	if err != nil {
		return s.refused(p, what, apiOutcome(err))
	}
	if rec.Receipt == nil {
		return fmt.Errorf("%s: no receipt", what)
	}
	return s.refused(p, what, failure(string(rec.Receipt.Status), rec.Receipt.Message))
}

// failure names a failed call: its status and the contract's reason.
func failure(code, message string) string {
	if code == string(status.OK) || message == "" {
		return code
	}
	return code + ": " + message
}

// refused prints and records a refusal; an outcome "ok" is an error of
// the story.
func (s *story) refused(p *party, what, outcome string) error {
	if outcome == string(status.OK) {
		return fmt.Errorf("%s could %s, which it must not", p.name, what)
	}
	s.out.printf("   %-11s may not %s: refused (%s)\n", p.name, what, outcome)
	s.report.Refusals = append(s.report.Refusals, p.name+": "+what+" → "+outcome)
	return nil
}

// queryOutcome names a query's outcome: "ok", the contract's failure code
// or the node's refusal code.
func queryOutcome(q *api.QueryResponse, err error) string {
	if err != nil {
		return apiOutcome(err)
	}
	return failure(string(q.Status), q.Message)
}

func apiOutcome(err error) string {
	var ae *client.APIError
	switch {
	case err == nil:
		return string(status.OK)
	case errors.As(err, &ae):
		return ae.Code
	}
	return err.Error()
}
