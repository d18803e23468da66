package bft_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/bft"
)

// validators is a validator set with its private keys, in the set's
// order.
type validators struct {
	set   *types.ValidatorSet
	privs []types.PrivValidator
}

// newValidators makes a set of len(powers) ed25519 validators whose keys
// derive from seed, so that tests are repeatable.
func newValidators(t testing.TB, seed string, powers ...int64) validators {
	t.Helper()
	byAddr := map[string]types.PrivValidator{}
	vals := make([]*types.Validator, len(powers))
	for i, p := range powers {
		pk := ed25519.GenPrivKeyFromSecret(fmt.Appendf(nil, "%s-%d", seed, i))
		vals[i] = types.NewValidator(pk.PubKey(), p)
		byAddr[string(pk.PubKey().Address())] = types.NewMockPVWithParams(pk, false, false)
	}
	set := types.NewValidatorSet(vals)
	privs := make([]types.PrivValidator, set.Size())
	for i, v := range set.Validators {
		privs[i] = byAddr[string(v.Address)]
	}
	return validators{set: set, privs: privs}
}

// epoch: from consensus height from on, vals sign.
type epoch struct {
	from int64
	vals validators
}

// chain makes CometBFT light blocks on demand: headers whose validator
// hashes follow the epochs, signed by each height's set with CometBFT's
// own vote signing.
type chain struct {
	t      testing.TB
	id     string
	epochs []epoch
	// appHash overrides the app hash of a height (default: a hash of the
	// height).
	appHash map[int64][]byte
}

func newChain(t testing.TB, id string, epochs ...epoch) *chain {
	return &chain{t: t, id: id, epochs: epochs, appHash: map[int64][]byte{}}
}

func (c *chain) valsAt(h int64) validators {
	v := c.epochs[0].vals
	for _, e := range c.epochs {
		if e.from <= h {
			v = e.vals
		}
	}
	return v
}

var genesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func filler(what string, h int64) []byte { return tmhash.Sum(fmt.Appendf(nil, "%s-%d", what, h)) }

// header is the CometBFT header of height h.
func (c *chain) header(h int64) *types.Header {
	vals := c.valsAt(h)
	app, ok := c.appHash[h]
	if !ok {
		app = filler("app", h)
	}
	return &types.Header{
		Version:            cmtversion.Consensus{Block: version.BlockProtocol},
		ChainID:            c.id,
		Height:             h,
		Time:               genesisTime.Add(time.Duration(h) * time.Second),
		LastBlockID:        types.BlockID{Hash: filler("last", h), PartSetHeader: types.PartSetHeader{Total: 1, Hash: filler("lastparts", h)}},
		LastCommitHash:     filler("lastcommit", h),
		DataHash:           filler("data", h),
		ValidatorsHash:     vals.set.Hash(),
		NextValidatorsHash: c.valsAt(h + 1).set.Hash(),
		ConsensusHash:      filler("consensus", h),
		AppHash:            app,
		LastResultsHash:    filler("results", h),
		EvidenceHash:       filler("evidence", h),
		ProposerAddress:    vals.set.GetProposer().Address,
	}
}

// signedBy returns the light block of height h signed by vals (which may
// be another set than the height's: an impostor).
func (c *chain) signedBy(h int64, vals validators) *types.LightBlock {
	c.t.Helper()
	hdr := c.header(h)
	hdr.ValidatorsHash = vals.set.Hash()
	hdr.ProposerAddress = vals.set.GetProposer().Address
	blockID := types.BlockID{Hash: hdr.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: filler("parts", h)}}
	voteSet := types.NewVoteSet(c.id, h, 0, cmtproto.PrecommitType, vals.set)
	ext, err := types.MakeExtCommit(blockID, h, 0, voteSet, vals.privs, hdr.Time, false)
	if err != nil {
		c.t.Fatalf("commit %d: %v", h, err)
	}
	return &types.LightBlock{
		SignedHeader: &types.SignedHeader{Header: hdr, Commit: ext.ToCommit()},
		ValidatorSet: vals.set,
	}
}

func (c *chain) lightBlock(h int64) *types.LightBlock { return c.signedBy(h, c.valsAt(h)) }

func encode(t testing.TB, lb *types.LightBlock) []byte {
	t.Helper()
	pb, err := lb.ToProto()
	if err != nil {
		t.Fatal(err)
	}
	b, err := pb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

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
	c *chain
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
	lb := s.c.lightBlock(ch + 1)
	b := encode(s.c.t, lb)
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
	lb := s.c.lightBlock(int64(h))
	if s.lightBlockAt != nil {
		lb = s.lightBlockAt(int64(h))
	}
	return &api.ConsensusLightBlock{ConsensusHeight: h, LightBlock: encode(s.c.t, lb)}, nil
}

func (s *source) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// newVerifier trusts the chain's first set from height 1.
func newVerifier(t testing.TB, src *source) *bft.Verifier {
	t.Helper()
	v, err := bft.New(bft.Config{ChainID: src.c.id, Validators: src.c.epochs[0].vals.set, Height: 1}, src)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// resign makes a fresh commit by vals over lb's header as it now stands.
func (c *chain) resign(lb *types.LightBlock, vals validators) *types.LightBlock {
	c.t.Helper()
	h := lb.Height
	blockID := types.BlockID{Hash: lb.Header.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: filler("parts", h)}}
	voteSet := types.NewVoteSet(c.id, h, 0, cmtproto.PrecommitType, vals.set)
	ext, err := types.MakeExtCommit(blockID, h, 0, voteSet, vals.privs, lb.Time, false)
	if err != nil {
		c.t.Fatalf("commit %d: %v", h, err)
	}
	lb.Commit = ext.ToCommit()
	return lb
}
