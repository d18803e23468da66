package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

func newProposalCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proposal",
		Short: "List, show, approve or reject network-level proposals",
		Long: `Network-level changes (organisations, network roles, the policy, and contract
deploys and upgrades under the approval policy) are proposals. Each
organisation's admin approves or rejects once for its organisation; the
approval that reaches the threshold makes the change take effect in that same
transaction. Proposals expire after the policy's TTL.`,
	}
	cmd.AddCommand(newProposalListCmd(a), newProposalShowCmd(a), newProposalVoteCmd(a, true), newProposalVoteCmd(a, false))
	return cmd
}

func newProposalListCmd(a *app) *cobra.Command {
	var status string
	cmd := &cobra.Command{
		Use:     "list [--status open|executed|rejected|expired]",
		Short:   "List proposals, oldest first",
		Example: "  meshledger proposal list --status open\n  meshledger proposal list --json | jq '.proposals[].id'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if status != "" && !slices.Contains(api.ProposalStatuses, status) {
				return fmt.Errorf("--status %q: want one of %s", status, strings.Join(api.ProposalStatuses, ", "))
			}
			c, err := a.client(false)
			if err != nil {
				return err
			}
			list, err := collect(c.Proposals(cmd.Context(), status))
			if err != nil {
				return err
			}
			if a.jsonOut {
				if list == nil {
					list = []api.Proposal{}
				}
				return printJSON(a.stdout, api.Proposals{Proposals: list})
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tPROPOSER\tAPPROVALS\tREJECTIONS\tEXPIRES")
			for _, p := range list {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Kind, p.Status, p.ProposerOrg,
					orNone(p.Approvals), orNone(p.Rejections), showTime(p.ExpiresMs))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only proposals with this status")
	return cmd
}

func newProposalShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:               "show ID",
		Short:             "Show a proposal: what it changes and who voted",
		Example:           "  meshledger proposal show 3",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeProposal(false),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseProposalID(args[0])
			if err != nil {
				return err
			}
			c, err := a.client(false)
			if err != nil {
				return err
			}
			d, err := c.Proposal(cmd.Context(), id)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, d)
			}
			return printProposal(a.stdout, &d.Proposal)
		},
	}
}

// newProposalVoteCmd builds approve (approve=true) and reject.
func newProposalVoteCmd(a *app, approve bool) *cobra.Command {
	verb, op := "reject", client.RejectOp
	short := "Reject a proposal for your organisation"
	if approve {
		verb, op = "approve", client.ApproveOp
		short = "Approve a proposal for your organisation; the approval reaching the threshold executes it"
	}
	return &cobra.Command{
		Use:               verb + " ID",
		Short:             short,
		Example:           "  meshledger proposal " + verb + " 3 --key bank-admin.key",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeProposal(true),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseProposalID(args[0])
			if err != nil {
				return err
			}
			c, err := a.client(true)
			if err != nil {
				return err
			}
			return a.submitGoverned(cmd, c, op(id), &id)
		},
	}
}
