package main

import (
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/client"
)

func newRoleCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "role",
		Short: "Propose granting or revoking a network role (auditor)",
		Long: `Network roles (auditor: reads everything) are not an organisation's to give:
granting or revoking one is a proposal the organisations approve. Organisation
roles (admin, deployer, servicer, ...) are set by the organisation's admin
with 'meshledger member add|roles'.`,
	}
	cmd.AddCommand(newRoleProposeCmd(a, true), newRoleProposeCmd(a, false))
	return cmd
}

// newRoleProposeCmd builds grant (grant=true) and revoke.
func newRoleProposeCmd(a *app, grant bool) *cobra.Command {
	verb, op, short := "revoke", client.RevokeRoleOp, "Propose revoking a network role from a member"
	if grant {
		verb, op, short = "grant", client.GrantRoleOp, "Propose granting a network role to a member"
	}
	return &cobra.Command{
		Use:     verb + " ADDRESS ROLE",
		Short:   short,
		Example: "  meshledger role " + verb + " 0xAb… auditor",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := parseAddress("address", args[0])
			if err != nil {
				return err
			}
			roles, err := parseRoles(args[1:])
			if err != nil {
				return err
			}
			c, err := a.client(true)
			if err != nil {
				return err
			}
			return a.submitGoverned(cmd, c, op(addr, roles[0]), nil)
		},
	}
}
