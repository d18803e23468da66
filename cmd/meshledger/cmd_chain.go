package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newChainCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "chain",
		Short:   "Show the chain: id, genesis, latest block and the node's signing address",
		Example: "  meshledger chain\n  meshledger chain --json | jq .nodeAddress",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client(false)
			if err != nil {
				return err
			}
			ch, err := c.Chain(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				return printJSON(a.stdout, ch)
			}
			var k kv
			k.add("chain id", fmt.Sprint(ch.ChainID))
			k.add("genesis", ch.GenesisHash.Hex())
			k.add("latest height", fmt.Sprint(ch.LatestHeight))
			k.add("latest hash", ch.LatestHash.Hex())
			k.add("node address", ch.NodeAddress.Hex())
			return k.print(a.stdout)
		},
	}
}
