package bft_test

import (
	"context"
	"log"
	"os"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/bft"
)

// A partner reading a CometBFT chain verifies what any node serves
// against the validators of the genesis its own organisation runs.
func Example() {
	ctx := context.Background()
	key, err := client.LoadHexKey("member.key")
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.New("http://127.0.0.1:8080", client.WithKey(key))
	if err != nil {
		log.Fatal(err)
	}
	genesis, err := os.ReadFile("cometbft/config/genesis.json") // from your organisation, not from the node
	if err != nil {
		log.Fatal(err)
	}
	trust, err := bft.FromGenesis(genesis)
	if err != nil {
		log.Fatal(err)
	}
	validators, err := bft.New(trust, c)
	if err != nil {
		log.Fatal(err)
	}
	v := c.Verifier().WithConsensus(validators)

	st, err := c.State(ctx, registry.Address, []byte(registry.KeyPolicy), nil)
	if err != nil {
		log.Fatal(err)
	}
	// MPT proof → ledger header → app hash → commit by > 2/3 of the
	// validators' power.
	if err := v.VerifyState(st); err != nil {
		log.Fatal(err)
	}
}
