package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/api"
)

func newBlockCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "block [HEIGHT]",
		Short:   "Show a block header and the transactions --key may read (default: the latest block)",
		Example: "  meshledger block\n  meshledger block 12 --json",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client(false)
			if err != nil {
				return err
			}
			var b *api.Block
			if len(args) == 1 {
				h, perr := strconv.ParseUint(args[0], 10, 64)
				if perr != nil {
					return fmt.Errorf("height %q: %w", args[0], perr)
				}
				b, err = c.Block(cmd.Context(), h)
			} else {
				b, err = c.LatestBlock(cmd.Context())
			}
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, b)
			}
			var k kv
			headerKV(&k, &b.Header)
			// A reader sees the hashes of the transactions it may read;
			// the count (and the header's tx root) covers them all.
			txs := fmt.Sprint(b.TxCount)
			if len(b.TxHashes) != b.TxCount {
				txs += fmt.Sprintf(" (%d readable with this key)", len(b.TxHashes))
			}
			k.add("txs", txs)
			for _, h := range b.TxHashes {
				k.add("tx", h.Hex())
			}
			return k.print(a.stdout)
		},
	}
}
