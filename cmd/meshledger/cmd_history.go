package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

func newHistoryCmd(a *app) *cobra.Command {
	var isHex bool
	var limit int
	cmd := &cobra.Command{
		Use:   "history CONTRACT KEY",
		Short: "Show the lineage of one state key: every change, oldest first",
		Example: `  meshledger history 0xC0nTrAcT loan/L1
  meshledger history 0xC0nTrAcT loan/L1 --json | jq '.entries[].signer'`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeContract,
		RunE: func(cmd *cobra.Command, args []string) error {
			contract, key, err := parseContractKey(args, isHex)
			if err != nil {
				return err
			}
			c, err := a.client(false)
			if err != nil {
				return err
			}
			// --limit asks for one page of that size, as the node caps it;
			// without it every page is read.
			var opts []client.PageOption
			var entries []api.HistoryEntry
			want := -1
			if limit > 0 {
				want = min(limit, api.MaxHistoryLimit)
				opts = append(opts, client.PageSize(want))
				entries = []api.HistoryEntry{} // as one page decodes: [] in --json, not null
			}
			for e, err := range c.History(cmd.Context(), contract, key, opts...) {
				if err != nil {
					return err
				}
				if entries = append(entries, e); len(entries) == want {
					break
				}
			}
			if a.jsonOut {
				return printJSON(a.stdout, api.History{Contract: contract, Key: key, Entries: entries})
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "HEIGHT\tINDEX\tTIME\tTX\tSIGNER\tVALUE")
			for _, e := range entries {
				val := showBytes(e.Value)
				if e.Deleted {
					val = "(deleted)"
				}
				fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\n", e.Height, e.Index, showTime(e.TimeMs), e.TxHash.Hex(), e.Signer.Hex(), val)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&isHex, "hex", false, "KEY is 0x-hex bytes rather than text")
	cmd.Flags().IntVar(&limit, "limit", 0, "show at most this many changes (default: all)")
	return cmd
}
