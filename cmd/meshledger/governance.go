package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// governedResult is the --json output of a command that creates or votes
// on a proposal: the transaction's record and the proposal as it stands
// after it (executed when this transaction reached the threshold).
type governedResult struct {
	Tx       *api.Tx       `json:"tx"`
	Proposal *api.Proposal `json:"proposal,omitempty"`
}

// submitGoverned signs op, waits for its receipt and prints it with the
// proposal it created (id nil: read from the receipt) or voted on, as the
// chain left it — from the registry's events in the receipt, else read
// back — so the output says what the chain decided: took effect now, or
// waits for more organisations.
func (a *app) submitGoverned(cmd *cobra.Command, c *client.Client, op client.Op, id *uint64) error {
	ctx := cmd.Context()
	admitted, err := c.Submit(ctx, op)
	if err != nil {
		return err
	}
	rec, err := c.WaitTx(ctx, admitted.Hash)
	if errors.Is(err, client.ErrNotAMember) {
		// Admitted while a member, no longer one now: the transaction
		// (the last approval of removing the sender's own organisation)
		// or another one removed it, and with it the right to read.
		if a.jsonOut {
			return printJSON(a.stdout, map[string]string{"hash": admitted.Hash.Hex(), "status": "admitted", "note": "the sender is no longer a member"})
		}
		_, err = fmt.Fprintf(a.stdout, "hash:    %s\nstatus:  admitted; its sender is no longer a member, so the record cannot be read back with this key (ask another organisation's member: meshledger tx %s)\n",
			admitted.Hash.Hex(), admitted.Hash.Hex())
		return err
	}
	if err != nil {
		return err
	}
	if failed := client.ReceiptError(rec); failed != nil {
		if a.jsonOut {
			err = printJSON(a.stdout, governedResult{Tx: rec})
		} else {
			err = printTxRecord(a.stdout, rec)
		}
		if err != nil {
			return err
		}
		return failed
	}
	if id == nil {
		if res, ok := client.ProposalOf(rec); ok {
			id = &res.Proposal
		}
	}
	var p *api.Proposal
	if id != nil {
		if p = proposalFromReceipt(rec, *id); p == nil {
			d, err := c.Proposal(ctx, *id)
			switch {
			case err == nil:
				p = &d.Proposal
			case errors.Is(err, client.ErrNotAMember) || errors.Is(err, client.ErrForbidden):
				// The transaction itself may have cost the sender its
				// membership (its organisation's removal): the record
				// stands on its own.
			default:
				return fmt.Errorf("read proposal %d: %w", *id, err)
			}
		}
	}
	if a.jsonOut {
		return printJSON(a.stdout, governedResult{Tx: rec, Proposal: p})
	}
	if err := printTxRecord(a.stdout, rec); err != nil {
		return err
	}
	if p == nil {
		return nil
	}
	return a.printProposalOutcome(ctx, c, p)
}

// proposalFromReceipt is proposal id as the transaction left it, from the
// registry's events in its receipt (created, executed or rejected carry
// the whole proposal; the last one is its state after the transaction),
// or nil when the receipt has none (a vote that decided nothing).
func proposalFromReceipt(rec *api.Tx, id uint64) *api.Proposal {
	var last *api.Proposal
	for _, e := range rec.Receipt.Events {
		if e.Contract != registry.Address {
			continue
		}
		switch e.Name {
		case registry.EventProposalCreated, registry.EventProposalExecuted, registry.EventProposalRejected:
		default:
			continue
		}
		var p api.Proposal
		if json.Unmarshal(e.Data, &p) == nil && p.ID == id {
			last = &p
		}
	}
	return last
}

// printProposalOutcome says in one line what became of a proposal after a
// transaction: it took effect, or how many approvals it still needs.
func (a *app) printProposalOutcome(ctx context.Context, c *client.Client, p *api.Proposal) error {
	switch p.Status {
	case registry.StatusExecuted:
		_, err := fmt.Fprintf(a.stdout, "proposal %d (%s) was approved and took effect in this transaction\n", p.ID, p.Kind)
		return err
	case registry.StatusRejected:
		_, err := fmt.Fprintf(a.stdout, "proposal %d (%s) is rejected: the remaining organisations can no longer approve it\n", p.ID, p.Kind)
		return err
	}
	need := ""
	if t, n, err := threshold(ctx, c); err == nil {
		need = fmt.Sprintf(", %d of %d organisations must approve", t, n)
	}
	_, err := fmt.Fprintf(a.stdout, "proposal %d (%s) is %s: approved by %s%s; other organisations' admins run 'meshledger proposal approve %d'\n",
		p.ID, p.Kind, p.Status, orNone(p.Approvals), need, p.ID)
	return err
}

// threshold is how many organisations must approve a proposal now, and how
// many there are, by the registry's own rule (registry.Threshold).
func threshold(ctx context.Context, c *client.Client) (need, orgs int, err error) {
	pol, err := c.Policy(ctx)
	if err != nil {
		return 0, 0, err
	}
	o, err := c.Orgs(ctx)
	if err != nil {
		return 0, 0, err
	}
	n := len(o.Orgs)
	return registry.Threshold(&registry.Policy{Threshold: pol.Policy.Threshold}, n), n, nil
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ",")
}

// parseAddresses parses repeated address flags or arguments.
func parseAddresses(what string, ss []string) ([]common.Address, error) {
	out := make([]common.Address, 0, len(ss))
	for _, s := range ss {
		a, err := parseAddress(what, s)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// parseProposalID parses a proposal id argument.
func parseProposalID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("proposal id %q: want a decimal number", s)
	}
	return id, nil
}

// parseRoles checks a --roles list: non-empty names without spaces. Which
// roles exist is the registry's call (contracts define their own); the CLI
// only catches typing mistakes before a transaction is signed.
func parseRoles(roles []string) ([]string, error) {
	out := make([]string, 0, len(roles))
	for _, r := range roles {
		r = strings.TrimSpace(r)
		if r == "" || strings.ContainsAny(r, " \t\n") {
			return nil, fmt.Errorf("--roles: %q is not a role name", r)
		}
		out = append(out, r)
	}
	return out, nil
}

// printProposal prints one proposal for people.
func printProposal(w io.Writer, p *api.Proposal) error {
	var k kv
	k.add("id", fmt.Sprint(p.ID))
	k.add("kind", p.Kind)
	k.add("status", p.Status)
	k.add("proposer", fmt.Sprintf("%s (%s)", p.Proposer.Hex(), p.ProposerOrg))
	k.add("params", showBytes(p.Params))
	k.add("created", fmt.Sprintf("block %d, %s", p.Height, showTime(p.CreatedMs)))
	k.add("expires", showTime(p.ExpiresMs))
	k.add("approvals", orNone(p.Approvals))
	k.add("rejections", orNone(p.Rejections))
	if p.DecidedHeight != 0 {
		k.add("decided", fmt.Sprintf("block %d", p.DecidedHeight))
	}
	return k.print(w)
}
