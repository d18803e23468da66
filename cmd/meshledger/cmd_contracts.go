package main

import (
	"fmt"
	"iter"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/api"
)

func newContractsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:               "contracts [ADDRESS]",
		Short:             "List deployed contracts, or show one (its organisation, code versions and methods)",
		Example:           "  meshledger contracts\n  meshledger contracts 0xC0nTrAcT --json",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: a.completeContract,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client(false)
			if err != nil {
				return err
			}
			var list []api.Contract
			if len(args) == 1 {
				addr, err := parseAddress("contract", args[0])
				if err != nil {
					return err
				}
				ct, err := c.Contract(cmd.Context(), addr)
				if err != nil {
					return err
				}
				if a.jsonOut {
					return printJSON(a.stdout, ct)
				}
				list = []api.Contract{*ct}
			} else {
				if list, err = collect(c.Contracts(cmd.Context())); err != nil {
					return err
				}
				if a.jsonOut {
					return printJSON(a.stdout, api.Contracts{Contracts: list})
				}
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ADDRESS\tNAME\tORG\tHEIGHT\tDEPLOYER\tVERSIONS\tMETHODS")
			for _, ct := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\n", ct.Address.Hex(), ct.Name, ct.Org, ct.Height, ct.Deployer.Hex(),
					len(ct.Versions), strings.Join(ct.Methods, ","))
			}
			return tw.Flush()
		},
	}
}

// collect reads an iterator of the client to its end, or its first error.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var all []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		all = append(all, v)
	}
	return all, nil
}
