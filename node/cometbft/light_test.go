package cometbft_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/node/cometbft"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client/bft"
)

// nodeSource serves a node's light blocks as the API would, for a
// client's verifier.
type nodeSource struct{ n *cometbft.Node }

func (s nodeSource) ConsensusCommit(context.Context, uint64) (*api.ConsensusCommit, error) {
	return nil, errors.New("not served here")
}

func (s nodeSource) ConsensusLightBlock(_ context.Context, h uint64) (*api.ConsensusLightBlock, error) {
	b, err := s.n.EncodedLightBlock(h)
	if err != nil {
		return nil, err
	}
	return &api.ConsensusLightBlock{ConsensusHeight: h, LightBlock: b}, nil
}

// What one validator serves, a client that trusts only the genesis
// verifies: the commit of four real validators, decoded from the API's
// encoding with CometBFT's types.
func TestEncodedLightBlockVerifiesAgainstTheGenesisValidators(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four validators")
	}
	c := startCluster(t, 4, cometbft.HomeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := c.commit(ctx, 0, "k=v")
	c.waitHeight(ctx, res.Height+1, []int{0, 1, 2, 3})

	genesis, err := cmtjson.Marshal(c.info.Genesis)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := bft.FromGenesis(genesis)
	if err != nil {
		t.Fatalf("FromGenesis: %v", err)
	}
	served := c.nodes[2]
	v, err := bft.New(cfg, nodeSource{served})
	if err != nil {
		t.Fatal(err)
	}
	b, err := served.EncodedLightBlock(uint64(res.Height + 1))
	if err != nil {
		t.Fatalf("EncodedLightBlock: %v", err)
	}
	lb, err := bft.DecodeLightBlock(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyLightBlock(ctx, lb); err != nil {
		t.Fatalf("verify the served light block: %v", err)
	}
	// Another validator holds the same header, app hash included.
	direct, err := c.nodes[0].SignedHeader(res.Height + 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(lb.Hash(), direct.Hash()) || !bytes.Equal(lb.AppHash, direct.AppHash) {
		t.Fatalf("served app hash %X, node 0 has %X", lb.AppHash, direct.AppHash)
	}

	for _, h := range []uint64{0, uint64(served.Height()) + 1, math.MaxUint64} {
		_, err := served.EncodedLightBlock(h)
		if !errors.Is(err, ledger.ErrNotFound) || !errors.Is(err, cometbft.ErrNoBlock) {
			t.Errorf("EncodedLightBlock(%d): %v, want ErrNotFound and ErrNoBlock", h, err)
		}
	}
}

// The client computes the CometBFT chain id the node uses without
// linking the node.
func TestChainIDMatchesTheClients(t *testing.T) {
	for _, id := range []uint64{0, 7, 1337, math.MaxUint64} {
		if got, want := bft.ChainID(id), cometbft.ChainID(id); got != want {
			t.Errorf("chain %d: client %q, node %q", id, got, want)
		}
	}
}
