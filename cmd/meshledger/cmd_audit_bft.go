package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"

	"github.com/meshledger/meshledger/ledger/audit"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/node/cometbft"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/bft"
)

// verifyConsensus checks, on a BFT chain, that the validators the genesis
// names (and those governance added since, followed through light blocks)
// committed the last block the audit replayed. A BFT header is unsigned:
// its authority is the commit of > 2/3 of the voting power over a
// CometBFT header whose app hash is the ledger header's hash. Headers
// chain by parent hash and the replay checked every link, so the commit of
// the last block vouches for every block before it; one commit is enough.
//
// A failed verification is a *audit.Mismatch (the node serves a chain
// the validators did not commit); an error fetching the evidence is not.
func verifyConsensus(ctx context.Context, c bft.Source, g *block.Genesis, tip *block.SignedHeader) error {
	if tip.Header.Height == 0 {
		return nil // the genesis block is every node's by construction
	}
	var vals []*types.Validator
	for _, o := range g.Orgs {
		if o.Validator != nil {
			vals = append(vals, types.NewValidator(ed25519.PubKey(o.Validator.PubKey), o.Validator.Power))
		}
	}
	if len(vals) == 0 {
		return fmt.Errorf("the genesis of BFT chain %d names no validators", g.ChainID)
	}
	v, err := bft.New(bft.Config{ChainID: cometbft.ChainID(g.ChainID), Validators: types.NewValidatorSet(vals), Height: 1}, c)
	if err != nil {
		return fmt.Errorf("trust the genesis validators: %w", err)
	}
	err = v.VerifyConsensus(ctx, &tip.Header, tip.Hash())
	if err == nil || !errors.Is(err, client.ErrVerify) {
		return err
	}
	return &audit.Mismatch{Height: tip.Header.Height, TxIndex: -1, What: audit.MismatchConsensus,
		Expected: "a commit by more than 2/3 of the trusted validators' power of app hash " + tip.Hash().Hex(),
		Got:      err.Error()}
}
