package main

import (
	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/client"
)

func newContractCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contract",
		Short: "Show a deployed contract's methods and manage its lifecycle (show, upgrade)",
		Long: `Deployed contracts: their methods and argument schemas (show) and their
code (upgrade). To list contracts and their versions, use 'meshledger contracts'.`,
	}
	cmd.AddCommand(newContractShowCmd(a), newContractUpgradeCmd(a))
	return cmd
}

func newContractUpgradeCmd(a *app) *cobra.Command {
	var migrateArgs string
	cmd := &cobra.Command{
		Use:   "upgrade CONTRACT FILE.wasm|PACKAGE_DIR [--migrate-args JSON]",
		Short: "Replace a contract's code at the same address, keeping its state",
		Long: `Upgrade a contract: the new code replaces the old at the same address and
keeps its state; if the new code has a migrate method it runs with
--migrate-args. FILE may be a Wasm module or a Go contract package directory,
built first as deploy does. --key needs the deployer role in the contract's
organisation. Under the open deploy policy the upgrade takes effect at once;
under the approval policy it becomes a proposal that takes effect once
approved ('meshledger proposal approve').`,
		Example: `  meshledger contract upgrade 0xC0nTrAcT loan-v2.wasm
  meshledger contract upgrade 0xC0nTrAcT ./contracts/loan --migrate-args '{"from":1}'`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: a.completeContract,
		RunE: func(cmd *cobra.Command, args []string) error {
			contract, err := parseAddress("contract", args[0])
			if err != nil {
				return err
			}
			raw, err := argsJSON("--migrate-args", migrateArgs)
			if err != nil {
				return err
			}
			code, err := readContract(cmd, args[1])
			if err != nil {
				return err
			}
			c, err := a.client(true)
			if err != nil {
				return err
			}
			return a.submitGoverned(cmd, c, client.UpgradeOp(contract, code, raw), nil)
		},
	}
	cmd.Flags().StringVar(&migrateArgs, "migrate-args", "", "JSON arguments of the new code's migrate method")
	return cmd
}
