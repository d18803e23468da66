package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// Config is where and as whom the story plays.
type Config struct {
	// NodeURL is the node's API, e.g. http://127.0.0.1:8080.
	NodeURL string
	// AdminKey is an admin of an organisation on the network, which
	// proposes the four new organisations.
	AdminKey *client.Key
	// TrustedNodes sign the headers that proofs are checked against.
	TrustedNodes []common.Address
	// Code returns the Wasm module of the contract "loan", "pool" or
	// "portfolio".
	Code func(ctx context.Context, name string) ([]byte, error)
	// PollInterval is how often a client polls for a committed
	// transaction; zero means the client's default.
	PollInterval time.Duration
}

// Report is what the story found, for a caller that checks it.
type Report struct {
	Loan, Pool, Portfolio common.Address
	// Seen lists, per party, the names of the events its stream delivered.
	Seen map[string][]string
	// Refusals are the reads and writes the network refused, as
	// "party: what → code".
	Refusals []string
	// Verified is the number of printed figures checked against proofs.
	Verified int
}

// party is one key of the story with its own client.
type party struct {
	name string
	org  string // "" for an outsider
	key  *client.Key
	c    *client.Client
}

// story is the state of one run.
type story struct {
	cfg      Config
	out      *lockedWriter
	suffix   string // makes organisation and contract names unique per run
	dev      *party
	admins   []*party // the new organisations' admins, in order of admission
	p        map[string]*party
	streams  *streams
	streamed []*party
	figs     figureBook
	report   Report
	height   uint64 // of the last committed transaction
}

// The parties who act in the story, by name.
const (
	owner       = "owner"
	servicer    = "servicer"
	securitizer = "securitizer"
	borrower    = "borrower"
	neighbour   = "neighbour"
	outsider    = "outsider"
)

// Run plays the story against cfg's node, writing the narrative to out.
func Run(ctx context.Context, cfg Config, out io.Writer) (*Report, error) {
	if cfg.AdminKey == nil || cfg.Code == nil || len(cfg.TrustedNodes) == 0 {
		return nil, errors.New("config needs an admin key, contract code and trusted nodes")
	}
	s := &story{cfg: cfg, out: &lockedWriter{w: out}, p: map[string]*party{}}
	var err error
	if s.dev, err = s.newParty("network admin", "", cfg.AdminKey); err != nil {
		return nil, err
	}
	m, err := s.dev.c.Member(ctx, cfg.AdminKey.Address())
	if err != nil {
		return nil, fmt.Errorf("the admin key %s is not a member: %w", cfg.AdminKey.Address().Hex(), err)
	}
	s.dev.org = m.Member.Org
	defer s.closeStreams()
	for _, step := range []func(context.Context) error{
		s.setUpNetwork, s.deployContracts, s.boardLoans, s.assessAndAssist, s.showReads, s.verifyFigures,
	} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	return &s.report, nil
}

func (s *story) newParty(name, org string, key *client.Key) (*party, error) {
	if key == nil {
		var err error
		if key, err = client.GenerateKey(); err != nil {
			return nil, err
		}
	}
	opts := []client.Option{client.WithKey(key), client.WithTrustedNodes(s.cfg.TrustedNodes...)}
	if s.cfg.PollInterval > 0 {
		opts = append(opts, client.WithPollInterval(s.cfg.PollInterval))
	}
	c, err := client.New(s.cfg.NodeURL, opts...)
	if err != nil {
		return nil, err
	}
	return &party{name: name, org: org, key: key, c: c}, nil
}

// submit sends op signed by p, waits for its block and fails unless it
// succeeded.
func (s *story) submit(ctx context.Context, p *party, op client.Op, what string) (*api.Tx, error) {
	rec, err := s.try(ctx, p, op)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := client.ReceiptError(rec); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return rec, nil
}

// try sends op signed by p and waits for its block; a failed receipt is
// not an error.
func (s *story) try(ctx context.Context, p *party, op client.Op) (*api.Tx, error) {
	rec, err := p.c.Submit(ctx, op, client.Wait())
	if err != nil {
		return nil, err
	}
	if rec.Receipt != nil {
		s.height = max(s.height, rec.Receipt.Height)
		s.expect(rec.Receipt)
	}
	return rec, nil
}

// setUpNetwork admits the four organisations and gives their members
// roles.
func (s *story) setUpNetwork(ctx context.Context) error {
	s.suffix = strings.ToLower(s.dev.key.Address().Hex()[2:4])
	orgs := []struct{ who, id, name string }{
		{owner, "lakeside", "Lakeside Mortgage Fund (loan owner)"},
		{servicer, "northgate", "Northgate Loan Servicing"},
		{securitizer, "keystone", "Keystone Securitization"},
		{borrower, "homeowners", "Home Owners"},
	}
	if err := s.checkAlone(ctx); err != nil {
		return err
	}
	s.out.printf("== 1. The network\n")
	s.out.printf("%s (organisation %q) proposes four organisations, each with an admin key of its own.\n", s.dev.name, s.dev.org)
	for _, o := range orgs {
		k, err := client.GenerateKey()
		if err != nil {
			return err
		}
		// Fresh ids each run: the network may already hold an earlier run's.
		id := o.id + "-" + strings.ToLower(k.Address().Hex()[2:8])
		adm, err := s.newParty(o.id+" admin", id, k)
		if err != nil {
			return err
		}
		rec, err := s.submit(ctx, s.dev, client.AddOrgOp(registry.AddOrgParams{ID: id, Name: o.name,
			Admins: []common.Address{k.Address()}, Nodes: []common.Address{}}), "proposing "+id)
		if err != nil {
			return err
		}
		res, ok := client.ProposalOf(rec)
		if !ok {
			return fmt.Errorf("proposing %s: the receipt names no proposal", id)
		}
		s.out.printf("  proposal %d: addOrg %s (%s)\n", res.Proposal, id, o.name)
		if err := s.approve(ctx, res.Proposal, s.admins, "addOrg "+id); err != nil {
			return err
		}
		s.admins = append(s.admins, adm)
	}
	members := []struct {
		who   string
		admin int
		roles []string
	}{
		{owner, 0, []string{"owner"}},
		{servicer, 1, []string{"servicer", "deployer"}},
		{securitizer, 2, []string{"securitizer"}},
		{borrower, 3, []string{"borrower"}},
		{neighbour, 3, []string{"borrower"}},
	}
	s.out.printf("Each organisation's admin makes its people members with roles:\n")
	for _, m := range members {
		adm := s.admins[m.admin]
		p, err := s.newParty(m.who, adm.org, nil)
		if err != nil {
			return err
		}
		if _, err := s.submit(ctx, adm, client.AddMemberOp(p.key.Address(), m.roles...), "adding the "+m.who); err != nil {
			return err
		}
		s.p[m.who] = p
		s.out.printf("  %-11s %s in %s, roles %s\n", m.who, p.key.Address().Hex(), adm.org, strings.Join(m.roles, ", "))
	}
	out, err := s.newParty(outsider, "", nil)
	if err != nil {
		return err
	}
	s.p[outsider] = out
	s.out.printf("  %-11s %s, a key no organisation admitted\n\n", outsider, out.key.Address().Hex())
	return nil
}

// checkAlone refuses a network where the admin's organisation cannot pass
// the first proposal by itself: the story holds the keys of the
// organisations it creates and of no other, so it needs a network of one
// organisation (a fresh development chain) or a threshold of 1.
func (s *story) checkAlone(ctx context.Context) error {
	orgs, err := s.dev.c.Orgs(ctx)
	if err != nil {
		return fmt.Errorf("reading the organisations: %w", err)
	}
	pol, err := s.dev.c.Policy(ctx)
	if err != nil {
		return fmt.Errorf("reading the policy: %w", err)
	}
	n := len(orgs.Orgs)
	need := n/2 + 1
	if t := int(pol.Policy.Threshold); t > 0 {
		need = min(t, n)
	}
	if need > 1 {
		return fmt.Errorf("the network has %d organisations and a proposal needs %d approvals; the story votes only "+
			"with %q and the organisations it creates: run it on a fresh chain (stop the node, remove its data "+
			"directory, make run)", n, need, s.dev.org)
	}
	return nil
}

// approve votes for proposal id with voters' admins, in order, until it
// is executed; the proposer's organisation approved when proposing.
func (s *story) approve(ctx context.Context, id uint64, voters []*party, what string) error {
	var d *api.ProposalDetail
	for i := 0; ; i++ {
		var err error
		if d, err = s.dev.c.Proposal(ctx, id); err != nil {
			return fmt.Errorf("%s: reading proposal %d: %w", what, id, err)
		}
		if d.Proposal.Status == registry.StatusExecuted || i == len(voters) {
			break
		}
		v := voters[i]
		if slices.Contains(d.Proposal.Approvals, v.org) {
			continue
		}
		if _, err := s.submit(ctx, v, client.ApproveOp(id), what+": approval by "+v.org); err != nil {
			return err
		}
		s.out.printf("    approved by %s\n", v.org)
	}
	if d.Proposal.Status != registry.StatusExecuted {
		return fmt.Errorf("%s: proposal %d is %s after every vote", what, id, d.Proposal.Status)
	}
	s.out.printf("    proposal %d executed (approvals: %s)\n", id, strings.Join(d.Proposal.Approvals, ", "))
	return nil
}

// deployContracts deploys the three contracts as the servicer's deployer,
// under the network's deploy policy, and sets up the pool and portfolio.
func (s *story) deployContracts(ctx context.Context) error {
	pol, err := s.dev.c.Policy(ctx)
	if err != nil {
		return fmt.Errorf("reading the policy: %w", err)
	}
	s.out.printf("== 2. The contracts (deploy policy %q)\n", pol.Policy.DeployPolicy)
	// Every organisation but the deployer's may be asked to approve.
	voters := []*party{s.dev, s.admins[0], s.admins[2], s.admins[3]}
	addrs := map[string]common.Address{}
	for _, name := range []string{"loan", "pool", "portfolio"} {
		code, err := s.cfg.Code(ctx, name)
		if err != nil {
			return fmt.Errorf("the %s contract's code: %w", name, err)
		}
		rec, err := s.submit(ctx, s.p[servicer], client.DeployOp(code, name+"-"+s.suffix+"-"+s.p[servicer].key.Address().Hex()[2:8], nil), "deploying "+name)
		if err != nil {
			return err
		}
		switch res, ok := client.ProposalOf(rec); {
		case ok && res.Address != nil:
			s.out.printf("  %s: deploy proposal %d for %s\n", name, res.Proposal, res.Address.Hex())
			if err := s.approve(ctx, res.Proposal, voters, "deploying "+name); err != nil {
				return err
			}
			addrs[name] = *res.Address
		case rec.Receipt.ContractAddress != nil:
			addrs[name] = *rec.Receipt.ContractAddress
			s.out.printf("  %-9s deployed at %s by the servicer's deployer\n", name, addrs[name].Hex())
		default:
			return fmt.Errorf("deploying %s: the receipt names neither a contract nor a proposal", name)
		}
	}
	s.report.Loan, s.report.Pool, s.report.Portfolio = addrs["loan"], addrs["pool"], addrs["portfolio"]
	if _, err := s.submit(ctx, s.p[securitizer], client.CallOp(s.report.Pool, "createPool",
		map[string]any{"id": "P1", "loan_contract": s.report.Loan}), "creating pool P1"); err != nil {
		return err
	}
	s.out.printf("  the securitizer creates pool P1, fed by the loan contract\n")
	if _, err := s.submit(ctx, s.p[owner], client.CallOp(s.report.Portfolio, "open",
		map[string]any{"loan_contract": s.report.Loan}), "opening the portfolio"); err != nil {
		return err
	}
	s.out.printf("  the owner opens its portfolio, fed by the loan contract\n\n")
	return nil
}
