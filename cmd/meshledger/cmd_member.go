package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

func newMemberCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "member",
		Short: "List and show members; add, re-role or remove members of your organisation",
		Long: `Members are the addresses that belong to an organisation, with their roles.
An organisation's admin (--key) adds, re-roles and removes its own members
at once, without a proposal. Roles are names: admin and deployer are the
network's; contracts give meaning to others (servicer, owner, ...). The
network role auditor is granted by a proposal instead ('meshledger role').`,
	}
	cmd.AddCommand(newMemberListCmd(a), newMemberShowCmd(a), newMemberAddCmd(a), newMemberRolesCmd(a), newMemberRemoveCmd(a))
	return cmd
}

// membersList is the --json output of member list.
type membersList struct {
	Members []api.Member `json:"members"`
}

func newMemberListCmd(a *app) *cobra.Command {
	var org string
	cmd := &cobra.Command{
		Use:     "list [--org ID]",
		Short:   "List the members of every organisation, or of one",
		Example: "  meshledger member list\n  meshledger member list --org dev --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client(false)
			if err != nil {
				return err
			}
			ids := []string{org}
			if org == "" {
				orgs, err := c.Orgs(cmd.Context())
				if err != nil {
					return err
				}
				ids = ids[:0]
				for _, o := range orgs.Orgs {
					ids = append(ids, o.ID)
				}
			}
			out := membersList{Members: []api.Member{}}
			for _, id := range ids {
				d, err := c.Org(cmd.Context(), id)
				if err != nil {
					return err
				}
				out.Members = append(out.Members, d.Members...)
			}
			if a.jsonOut {
				return printJSON(a.stdout, out)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ADDRESS\tORG\tROLES")
			for _, m := range out.Members {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Address.Hex(), m.Org, strings.Join(m.Roles, ","))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "only this organisation's members")
	_ = cmd.RegisterFlagCompletionFunc("org", a.completeOrg)
	return cmd
}

func newMemberShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "show ADDRESS",
		Short:   "Show a member's organisation and roles",
		Example: "  meshledger member show 0xAb…",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := parseAddress("address", args[0])
			if err != nil {
				return err
			}
			c, err := a.client(false)
			if err != nil {
				return err
			}
			d, err := c.Member(cmd.Context(), addr)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, d)
			}
			var k kv
			k.add("address", d.Member.Address.Hex())
			k.add("org", d.Member.Org)
			k.add("roles", orNone(d.Member.Roles))
			k.add("height", fmt.Sprint(d.Height))
			return k.print(a.stdout)
		},
	}
}

// memberRolesCmd builds add and roles, which differ only in the operation.
// needRoles makes --roles mandatory (roles: replacing with nothing is
// more likely a forgotten flag than a wish).
func memberRolesCmd(a *app, use, short, example string, needRoles bool, op func(addr common.Address, roles []string) client.Op) *cobra.Command {
	var roles []string
	var noWait bool
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := parseAddress("address", args[0])
			if err != nil {
				return err
			}
			if needRoles && !cmd.Flags().Changed("roles") {
				return fmt.Errorf("--roles is required")
			}
			rs, err := parseRoles(roles)
			if err != nil {
				return err
			}
			c, err := a.client(true)
			if err != nil {
				return err
			}
			return a.submit(cmd, c, op(addr, rs), noWait)
		},
	}
	cmd.Flags().StringSliceVar(&roles, "roles", nil, "comma-separated roles (e.g. servicer or deployer,owner)")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once the node has admitted the transaction")
	return cmd
}

func newMemberAddCmd(a *app) *cobra.Command {
	return memberRolesCmd(a, "add ADDRESS --roles ROLE,...",
		"Add an address to your organisation (--key must be its admin)",
		"  meshledger member add 0xAb… --roles servicer\n  meshledger member add 0xAb… --roles deployer,owner", false,
		func(addr common.Address, roles []string) client.Op { return client.AddMemberOp(addr, roles...) })
}

func newMemberRolesCmd(a *app) *cobra.Command {
	return memberRolesCmd(a, "roles ADDRESS --roles ROLE,...",
		"Replace the roles of a member of your organisation",
		"  meshledger member roles 0xAb… --roles servicer,owner", true,
		func(addr common.Address, roles []string) client.Op { return client.SetRolesOp(addr, roles...) })
}

func newMemberRemoveCmd(a *app) *cobra.Command {
	var noWait bool
	cmd := &cobra.Command{
		Use:     "remove ADDRESS",
		Short:   "Remove a member from your organisation",
		Example: "  meshledger member remove 0xAb…",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := parseAddress("address", args[0])
			if err != nil {
				return err
			}
			c, err := a.client(true)
			if err != nil {
				return err
			}
			return a.submit(cmd, c, client.RemoveMemberOp(addr), noWait)
		},
	}
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once the node has admitted the transaction")
	return cmd
}
