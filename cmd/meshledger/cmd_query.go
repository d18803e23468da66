package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/client"
)

func newQueryCmd(a *app) *cobra.Command {
	var height uint64
	var verify bool
	cmd := &cobra.Command{
		Use:   "query CONTRACT METHOD [ARGS_JSON]",
		Short: "Run a contract method read-only (no transaction, no key needed)",
		Example: `  meshledger query 0xC0nTrAcT get '{"id":"L1"}'
  meshledger query 0xC0nTrAcT get '{"id":"L1"}' --height 12 --verify`,
		Args:              cobra.RangeArgs(2, 3),
		ValidArgsFunction: a.completeContractMethod,
		RunE: func(cmd *cobra.Command, args []string) error {
			contract, method, raw, err := parseCallArgs(args)
			if err != nil {
				return err
			}
			c, err := a.client(false)
			if err != nil {
				return err
			}
			h := heightFlag(cmd, &height)
			q, err := c.Query(cmd.Context(), contract, method, raw, h)
			if err != nil {
				return err
			}
			verified := ""
			if verify {
				v, err := a.verifier(cmd.Context(), c)
				if err != nil {
					return err
				}
				if err := v.VerifyQuery(q); err != nil {
					return err
				}
				verified = fmt.Sprintf("%d reads proven against header %d signed by %s", len(q.Proofs), q.Height, q.Header.Header.Proposer.Hex())
			}
			if a.jsonOut {
				if err := printJSON(a.stdout, q); err != nil {
					return err
				}
			} else {
				var k kv
				k.add("height", fmt.Sprint(q.Height))
				result := string(q.Status)
				if q.Message != "" {
					result += ": " + q.Message
				}
				k.add("status", result)
				k.add("gas used", fmt.Sprint(q.GasUsed))
				if verified != "" {
					k.add("verified", verified)
				}
				k.add("result", showBytes(q.Return))
				if err := k.print(a.stdout); err != nil {
					return err
				}
			}
			if q.Status != "ok" {
				return &client.CallFailedError{Status: q.Status, Message: q.Message}
			}
			return nil
		},
	}
	cmd.Flags().Uint64Var(&height, "height", 0, "run against the state at this block height (default: latest)")
	cmd.Flags().BoolVar(&verify, "verify", false, "check the proofs of every key the call read against the signed header")
	return cmd
}
