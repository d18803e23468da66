package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/sdk/client"
)

func newOrgCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "org",
		Short: "List and show organisations; propose adding or removing one",
		Long: `Organisations are the parties of the network. Adding or removing one is a
network-level change: a proposal that takes effect once enough organisations'
admins approve it (see 'meshledger proposal').`,
	}
	cmd.AddCommand(newOrgListCmd(a), newOrgShowCmd(a), newOrgProposeAddCmd(a), newOrgProposeRemoveCmd(a), newOrgProposeValidatorCmd(a))
	return cmd
}

func newOrgListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the organisations",
		Example: "  meshledger org list\n  meshledger org list --json | jq -r '.orgs[].id'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client(false)
			if err != nil {
				return err
			}
			orgs, err := c.Orgs(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, orgs)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tADMINS\tNODES")
			for _, o := range orgs.Orgs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.ID, o.Name, hexList(o.Admins), hexList(o.Nodes))
			}
			return tw.Flush()
		},
	}
}

func newOrgShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:               "show ID",
		Short:             "Show an organisation and its members",
		Example:           "  meshledger org show dev\n  meshledger org show dev --json",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeOrg,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client(false)
			if err != nil {
				return err
			}
			d, err := c.Org(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, d)
			}
			var k kv
			k.add("id", d.Org.ID)
			k.add("name", d.Org.Name)
			k.add("admins", hexList(d.Org.Admins))
			k.add("nodes", hexList(d.Org.Nodes))
			k.add("added at", fmt.Sprintf("block %d", d.Org.AddedHeight))
			for _, m := range d.Members {
				k.add("member", fmt.Sprintf("%s %s", m.Address.Hex(), strings.Join(m.Roles, ",")))
			}
			return k.print(a.stdout)
		},
	}
}

func newOrgProposeAddCmd(a *app) *cobra.Command {
	var name string
	var admins, nodes []string
	cmd := &cobra.Command{
		Use:   "propose-add ID --name NAME --admin ADDRESS... [--node-address ADDRESS...]",
		Short: "Propose a new organisation with its first admins",
		Long: `Propose adding an organisation. --key must be an admin of an existing
organisation, which approves the proposal at once; when that reaches the
threshold (a network of one organisation) it takes effect in this transaction.`,
		Example: `  meshledger org propose-add servicer --name "Servicing Co" --admin 0xAb…
  meshledger org propose-add bank --name Bank --admin 0xAb… --admin 0xCd… --node-address 0xEf…`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return fmt.Errorf("--name is required")
			}
			if len(admins) == 0 {
				return fmt.Errorf("--admin is required: an organisation needs at least one admin")
			}
			adm, err := parseAddresses("--admin", admins)
			if err != nil {
				return err
			}
			nds, err := parseAddresses("--node-address", nodes)
			if err != nil {
				return err
			}
			c, err := a.client(true)
			if err != nil {
				return err
			}
			p := registry.AddOrgParams{ID: args[0], Name: name, Admins: adm, Nodes: nds}
			return a.submitGoverned(cmd, c, client.AddOrgOp(p), nil)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "display name of the organisation")
	cmd.Flags().StringArrayVar(&admins, "admin", nil, "address of an admin of the new organisation (repeatable)")
	// Not --node: that is the global flag naming the API to talk to.
	cmd.Flags().StringArrayVar(&nodes, "node-address", nil, "signing address of a node the organisation operates (repeatable)")
	return cmd
}

func newOrgProposeRemoveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:               "propose-remove ID",
		Short:             "Propose removing an organisation with all its members",
		Example:           "  meshledger org propose-remove servicer",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: a.completeOrg,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client(true)
			if err != nil {
				return err
			}
			return a.submitGoverned(cmd, c, client.RemoveOrgOp(args[0]), nil)
		},
	}
}

// hexList renders addresses comma-separated, "-" for none.
func hexList(as []common.Address) string {
	if len(as) == 0 {
		return "-"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.Hex()
	}
	return strings.Join(s, ",")
}
