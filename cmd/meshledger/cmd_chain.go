package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshledger/meshledger/sdk/api"
)

func newChainCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "chain",
		Short:   "Show the chain: id, genesis, latest block, the node's address, and how blocks are made (the validators of a CometBFT network)",
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
			if ch.Consensus != "" {
				k.add("consensus", ch.Consensus)
			}
			if ch.Consensus == api.ConsensusCometBFT {
				k.add("consensus height", fmt.Sprint(ch.ConsensusHeight))
				k.add("validators", fmt.Sprint(len(ch.Validators)))
				for _, v := range ch.Validators {
					k.add("  "+v.Address, fmt.Sprintf("power %d", v.Power))
				}
			}
			return k.print(a.stdout)
		},
	}
}
