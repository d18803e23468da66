package main

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/api"
)

func parseHash(s string) (common.Hash, error) {
	b, err := hexutil.Decode(s)
	if err != nil || len(b) != common.HashLength {
		return common.Hash{}, fmt.Errorf("hash %q: want 0x and 64 hex digits", s)
	}
	return common.BytesToHash(b), nil
}

func newTxCmd(a *app) *cobra.Command {
	var verify, wait bool
	cmd := &cobra.Command{
		Use:   "tx HASH",
		Short: "Show a transaction: status, receipt and (with --verify) its proofs checked",
		Example: `  meshledger tx 0x5f…
  meshledger tx 0x5f… --wait --verify --trust 0xNodeAddress`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := parseHash(args[0])
			if err != nil {
				return err
			}
			c, err := a.client(false)
			if err != nil {
				return err
			}
			var rec *api.Tx
			if wait {
				rec, err = c.WaitTx(cmd.Context(), h)
			} else {
				rec, err = c.Tx(cmd.Context(), h)
			}
			if err != nil {
				return err
			}
			if verify {
				v, err := a.verifier(cmd.Context(), c)
				if err != nil {
					return err
				}
				if err := v.VerifyTx(rec); err != nil {
					return err
				}
			}
			if a.jsonOut {
				return printJSON(a.stdout, rec)
			}
			if err := printTxRecord(a.stdout, rec); err != nil {
				return err
			}
			if verify {
				_, err = fmt.Fprintf(a.stdout, "verified: tx, receipt and %d write proofs against header %d signed by %s\n",
					len(rec.WriteProofs), rec.Receipt.Height, rec.Header.Header.Proposer.Hex())
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&verify, "verify", false, "check the header signature and every inclusion and state proof")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the transaction is committed or rejected")
	return cmd
}
