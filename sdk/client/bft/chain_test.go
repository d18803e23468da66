package bft_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/bft"
	"github.com/meshledger/meshledger/sdk/client/bft/bfttest"
)

// ledgerHeader is a BFT ledger header of chain 7 (unsigned) at height.
func ledgerHeader(height uint64) (*block.Header, common.Hash) {
	h := &block.Header{
		ChainID: 7, Height: height, ParentHash: common.Hash{1}, TimeMs: 1_700_000_000_000 + int64(height),
		TxRoot: common.Hash{2}, ReceiptRoot: common.Hash{3}, StateRoot: common.Hash{4}, Proposer: common.Address{5},
	}
	return h, h.Hash()
}

// source serves a chain as a node would, with hooks to misbehave.
type source struct {
	c *bfttest.Chain
	// consensusOf maps ledger heights to the consensus height that made
	// them (default: the same height).
	consensusOf map[uint64]int64
	// commit, when set, replaces the light block served for a ledger
	// block's commit.
	commit func(ledgerHeight uint64, lb *types.LightBlock) []byte
	// lightBlockAt, when set, replaces the light blocks served by
	// height.
	lightBlockAt func(h int64) *types.LightBlock
	// unavailable answers height_unavailable this many times first.
	unavailable int
	// fail answers every request with this error.
	fail error

	mu       sync.Mutex
	requests int
}

func (s *source) ConsensusCommit(_ context.Context, ledgerHeight uint64) (*api.ConsensusCommit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.fail != nil {
		return nil, s.fail
	}
	if s.unavailable > 0 {
		s.unavailable--
		return nil, &client.APIError{Status: http.StatusNotFound, Code: string(api.CodeHeightUnavailable), Message: "not yet"}
	}
	ch, ok := s.consensusOf[ledgerHeight]
	if !ok {
		ch = int64(ledgerHeight)
	}
	lb := s.c.LightBlock(ch + 1)
	b := bfttest.Encode(s.c.T, lb)
	if s.commit != nil {
		b = s.commit(ledgerHeight, lb)
	}
	return &api.ConsensusCommit{LedgerHeight: ledgerHeight, ConsensusHeight: uint64(ch), LightBlock: b}, nil
}

func (s *source) ConsensusLightBlock(_ context.Context, h uint64) (*api.ConsensusLightBlock, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.fail != nil {
		return nil, s.fail
	}
	lb := s.c.LightBlock(int64(h))
	if s.lightBlockAt != nil {
		lb = s.lightBlockAt(int64(h))
	}
	return &api.ConsensusLightBlock{ConsensusHeight: h, LightBlock: bfttest.Encode(s.c.T, lb)}, nil
}

func (s *source) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// newVerifier trusts the chain's first set from height 1.
func newVerifier(t testing.TB, src *source) *bft.Verifier {
	t.Helper()
	v, err := bft.New(bft.Config{ChainID: src.c.ID, Validators: src.c.Epochs[0].Vals.Set, Height: 1}, src)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
