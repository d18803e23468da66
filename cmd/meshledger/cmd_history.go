package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

func newHistoryCmd(a *app) *cobra.Command {
	var isHex, verify bool
	var limit int
	cmd := &cobra.Command{
		Use:   "history CONTRACT KEY",
		Short: "Show the lineage of one state key: every change, oldest first",
		Long: `Show the lineage of one state key: every change, oldest first.

With --verify the whole lineage is fetched with its proofs and checked:
the latest state leaf of the key (proven against a header signed by a
trusted node, see --trust) holds the newest version, each version names
the hash of the one before, back to version 1, and each version's
transaction and receipt are proven against its block's signed header,
the receipt writing exactly that value. A missing, reordered or altered
entry, or a bad proof, fails with the version at fault.`,
		Example: `  meshledger history 0xC0nTrAcT loan/L1
  meshledger history 0xC0nTrAcT loan/L1 --json | jq '.entries[].signer'
  meshledger history 0xC0nTrAcT loan/L1 --verify --trust 0xNodeAddress`,
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
			if verify {
				return a.verifyLineage(cmd, c, contract, key)
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
	cmd.Flags().BoolVar(&verify, "verify", false, "fetch the lineage with its proofs and verify every version (ignores --limit)")
	return cmd
}

// verifyLineage prints the verified lineage of contract's key, or fails
// with the client's *LineageError naming the version at fault.
func (a *app) verifyLineage(cmd *cobra.Command, c *client.Client, contract common.Address, key []byte) error {
	v, err := a.verifier(cmd.Context(), c)
	if err != nil {
		return err
	}
	out := api.Lineage{Contract: contract, Key: key, Entries: []api.LineageEntry{}}
	err = c.VerifyLineage(cmd.Context(), v, contract, key, func(e *api.LineageEntry) error {
		out.Entries = append(out.Entries, *e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("lineage of %s %x not verified: %w", contract.Hex(), key, err)
	}
	if a.jsonOut {
		return printJSON(a.stdout, out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tHEIGHT\tINDEX\tTX\tVALUE")
	for _, e := range out.Entries {
		val := showBytes(e.Value)
		if e.Deleted {
			val = "(deleted)"
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\n", e.Version, e.Height, e.TxIndex, e.TxHash.Hex(), val)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.stdout, "verified: %d versions, chained by hash to the latest state proof\n", len(out.Entries))
	return err
}
