package registry

import (
	"fmt"
	"slices"
	"strconv"
)

// Vote is the data of a ProposalVoted event.
type Vote struct {
	ID      uint64 `json:"id"`
	Org     string `json:"org"`
	Approve bool   `json:"approve"`
}

// Threshold returns how many organisations' approvals a proposal needs
// when there are n organisations: a majority (n/2+1) when the policy's
// threshold is 0, else the policy's threshold capped at n, so that
// removing organisations never leaves a proposal impossible to pass.
func Threshold(p *Policy, n int) int {
	if p.Threshold == 0 {
		return n/2 + 1
	}
	return min(int(p.Threshold), n)
}

// registryKinds are the kinds propose accepts; deploy and upgrade
// proposals come from Deploy and Upgrade transactions instead.
var registryKinds = []string{KindAddOrg, KindRemoveOrg, KindSetPolicy, KindGrantRole, KindRevokeRole, KindSetNodes, KindSetValidator}

func (c *call) propose(admin *Member, args []byte) ([]byte, *Effect, error) {
	var a ProposeArgs
	if err := decodeStrict("arguments", args, &a, "kind", "params"); err != nil {
		return nil, nil, err
	}
	if !slices.Contains(registryKinds, a.Kind) {
		if a.Kind == KindDeploy || a.Kind == KindUpgrade {
			return nil, nil, invalid("kind %q: %s proposals are made by sending the %s transaction", a.Kind, a.Kind, a.Kind)
		}
		return nil, nil, invalid("kind %q: want one of %v", a.Kind, registryKinds)
	}
	params, err := canonicalParams(a.Kind, a.Params)
	if err != nil {
		return nil, nil, err
	}
	// Check now what the proposal will need at execution, so a proposal
	// that could never execute is refused before organisations vote on
	// it; execution checks again against the state of its own time.
	if err := c.applyKind(a.Kind, params, true); err != nil {
		return nil, nil, err
	}
	return c.newProposal(a.Kind, params, admin)
}

// proposeEffect records a deploy or upgrade proposal for a deployer.
func (c *call) proposeEffect(kind string, params any) (*Outcome, error) {
	m, err := readMember(c.st, c.env.Caller)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("%w: %s is not a member", ErrForbidden, lowerHex(c.env.Caller))
	}
	if !m.HasRole(RoleDeployer) {
		return nil, fmt.Errorf("%w: %s lacks the %s role", ErrForbidden, lowerHex(c.env.Caller), RoleDeployer)
	}
	ret, eff, err := c.newProposal(kind, mustJSON(params), m)
	if err != nil {
		return nil, err
	}
	return &Outcome{Return: ret, Events: c.events, Effect: eff}, nil
}

// newProposal stores a proposal by proposer, approved by its organisation,
// and executes it at once if that approval reaches the threshold.
func (c *call) newProposal(kind string, params []byte, proposer *Member) ([]byte, *Effect, error) {
	policy, err := c.policy()
	if err != nil {
		return nil, nil, err
	}
	id, err := nextProposalID(c.st)
	if err != nil {
		return nil, nil, err
	}
	c.st.Set([]byte(KeyNextProposal), strconv.AppendUint(nil, id+1, 10))
	p := &Proposal{
		ID:          id,
		Kind:        kind,
		Params:      params,
		Proposer:    proposer.Address,
		ProposerOrg: proposer.Org,
		Height:      c.env.Height,
		CreatedMs:   c.env.TimeMs,
		ExpiresMs:   c.env.TimeMs + policy.ProposalTTLMs,
		Approvals:   []string{proposer.Org},
		Rejections:  []string{},
		Status:      StatusOpen,
	}
	c.emit(EventProposalCreated, p)
	eff, err := c.decide(p)
	if err != nil {
		return nil, nil, err
	}
	return mustJSON(p), eff, nil
}

func (c *call) vote(admin *Member, args []byte, approve bool) ([]byte, *Effect, error) {
	var a VoteArgs
	if err := decodeStrict("arguments", args, &a, "id"); err != nil {
		return nil, nil, err
	}
	if a.ID == 0 {
		return nil, nil, invalid("id: proposal ids start at 1")
	}
	p, err := readProposal(c.st, a.ID)
	if err != nil {
		return nil, nil, err
	}
	if p == nil {
		return nil, nil, fmt.Errorf("%w: no proposal %d", ErrNotFound, a.ID)
	}
	if p.Status != StatusOpen {
		return nil, nil, fmt.Errorf("%w: proposal %d is %s", ErrClosed, p.ID, p.Status)
	}
	if c.env.TimeMs >= p.ExpiresMs {
		return nil, nil, fmt.Errorf("%w: proposal %d expired at %d", ErrExpired, p.ID, p.ExpiresMs)
	}
	if slices.Contains(p.Approvals, admin.Org) || slices.Contains(p.Rejections, admin.Org) {
		return nil, nil, fmt.Errorf("%w: organisation %s voted on proposal %d already", ErrAlreadyVoted, admin.Org, p.ID)
	}
	if approve {
		p.Approvals = insertSorted(p.Approvals, admin.Org)
	} else {
		p.Rejections = insertSorted(p.Rejections, admin.Org)
	}
	c.emit(EventProposalVoted, Vote{ID: p.ID, Org: admin.Org, Approve: approve})
	eff, err := c.decide(p)
	if err != nil {
		return nil, nil, err
	}
	return mustJSON(p), eff, nil
}

// decide counts p's votes against the current organisations and the
// current policy, then executes p, rejects it, or leaves it open; it
// writes p in every case. Votes of organisations that no longer exist do
// not count. A registry kind is applied here; a deploy or upgrade comes
// back as an Effect for the ledger to run.
func (c *call) decide(p *Proposal) (*Effect, error) {
	policy, err := c.policy()
	if err != nil {
		return nil, err
	}
	orgs, err := orgIDs(c.st)
	if err != nil {
		return nil, err
	}
	approvers := counted(p.Approvals, orgs)
	rejecters := counted(p.Rejections, orgs)
	need := Threshold(policy, len(orgs))
	var eff *Effect
	switch {
	case len(approvers) >= need:
		p.Status = StatusExecuted
		p.DecidedHeight = c.env.Height
		if eff, err = c.execute(p, approvers); err != nil {
			return nil, err
		}
		c.emit(EventProposalExecuted, p)
	case len(orgs)-len(rejecters) < need:
		p.Status = StatusRejected
		p.DecidedHeight = c.env.Height
		c.emit(EventProposalRejected, p)
	}
	putJSON(c.st, ProposalKey(p.ID), p)
	return eff, nil
}

// counted returns the votes of organisations in orgs (both ascending).
func counted(votes, orgs []string) []string {
	out := make([]string, 0, len(votes))
	for _, v := range votes {
		if _, ok := slices.BinarySearch(orgs, v); ok {
			out = append(out, v)
		}
	}
	return out
}

func insertSorted(s []string, v string) []string {
	i, _ := slices.BinarySearch(s, v)
	return slices.Insert(s, i, v)
}

// execute carries out an approved proposal.
func (c *call) execute(p *Proposal, approvers []string) (*Effect, error) {
	switch p.Kind {
	case KindDeploy:
		var d DeployParams
		if err := decodeStored(p, &d); err != nil {
			return nil, err
		}
		return &Effect{Proposal: p, Deploy: &d, Approvers: approvers}, nil
	case KindUpgrade:
		var u UpgradeParams
		if err := decodeStored(p, &u); err != nil {
			return nil, err
		}
		return &Effect{Proposal: p, Upgrade: &u, Approvers: approvers}, nil
	}
	return nil, c.applyKind(p.Kind, p.Params, false)
}

func (c *call) policy() (*Policy, error) {
	p, err := readPolicy(c.st)
	if err != nil {
		return nil, err
	}
	if p == nil {
		// Only a store without genesis lacks a policy; refuse rather than
		// invent one, or nodes could differ on what governs.
		return nil, fmt.Errorf("registry: no policy record (store without genesis)")
	}
	return p, nil
}
