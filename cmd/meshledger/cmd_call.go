package main

import (
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/client"
)

func newCallCmd(a *app) *cobra.Command {
	var noWait bool
	cmd := &cobra.Command{
		Use:   "call CONTRACT METHOD [ARGS_JSON]",
		Short: "Call a contract method in a signed transaction",
		Long: `Sign a call with --key, submit it and wait for its receipt. A call that the
contract refuses is committed with a failed receipt: the command prints it
and exits with status 4.`,
		Example: `  meshledger call 0xC0nTrAcT create '{"id":"L1","borrower":"0x…","servicer":"0x…","principal":30000000,"rate_bps":650,"term_months":360,"first_due":1893456000}'
  meshledger call 0xC0nTrAcT pay '{"id":"L1","amount":180000}' --key servicer.key`,
		Args:              cobra.RangeArgs(2, 3),
		ValidArgsFunction: a.completeContractMethod,
		RunE: func(cmd *cobra.Command, args []string) error {
			contract, method, raw, err := parseCallArgs(args)
			if err != nil {
				return err
			}
			c, err := a.client(true)
			if err != nil {
				return err
			}
			return a.submit(cmd, c, client.CallOp(contract, method, raw), noWait)
		},
	}
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once the node has admitted the transaction")
	return cmd
}
