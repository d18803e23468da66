package bfttest

import (
	"fmt"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/tmhash"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
)

// Validators is a validator set with its private keys, in the set's
// order.
type Validators struct {
	Set   *types.ValidatorSet
	Privs []types.PrivValidator
}

// NewValidators makes a set of len(powers) validators whose keys derive
// from seed, so that tests are repeatable.
func NewValidators(seed string, powers ...int64) Validators {
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
	return Validators{Set: set, Privs: privs}
}

// Epoch is a validator set signing from consensus height From on.
type Epoch struct {
	From int64
	Vals Validators
}

// Chain makes light blocks on demand. Its zero AppHash gives each height
// a hash of the height as its app hash.
type Chain struct {
	T      testing.TB
	ID     string
	Epochs []Epoch // by From; the first signs from height 1
	// AppHash overrides the app hash of a height.
	AppHash map[int64][]byte
}

// NewChain returns a chain of id signed by the epochs' sets.
func NewChain(t testing.TB, id string, epochs ...Epoch) *Chain {
	return &Chain{T: t, ID: id, Epochs: epochs, AppHash: map[int64][]byte{}}
}

// ValsAt is the set that signs height h.
func (c *Chain) ValsAt(h int64) Validators {
	v := c.Epochs[0].Vals
	for _, e := range c.Epochs {
		if e.From <= h {
			v = e.Vals
		}
	}
	return v
}

// GenesisTime is the time of height 0; height h is h seconds later.
var GenesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Filler is a 32-byte hash standing for a part of a header no test
// checks.
func Filler(what string, h int64) []byte { return tmhash.Sum(fmt.Appendf(nil, "%s-%d", what, h)) }

// Header is the header of height h.
func (c *Chain) Header(h int64) *types.Header {
	vals := c.ValsAt(h)
	app, ok := c.AppHash[h]
	if !ok {
		app = Filler("app", h)
	}
	return &types.Header{
		Version:            cmtversion.Consensus{Block: version.BlockProtocol},
		ChainID:            c.ID,
		Height:             h,
		Time:               GenesisTime.Add(time.Duration(h) * time.Second),
		LastBlockID:        types.BlockID{Hash: Filler("last", h), PartSetHeader: types.PartSetHeader{Total: 1, Hash: Filler("lastparts", h)}},
		LastCommitHash:     Filler("lastcommit", h),
		DataHash:           Filler("data", h),
		ValidatorsHash:     vals.Set.Hash(),
		NextValidatorsHash: c.ValsAt(h + 1).Set.Hash(),
		ConsensusHash:      Filler("consensus", h),
		AppHash:            app,
		LastResultsHash:    Filler("results", h),
		EvidenceHash:       Filler("evidence", h),
		ProposerAddress:    vals.Set.GetProposer().Address,
	}
}

// LightBlock is the light block of height h, signed by its set.
func (c *Chain) LightBlock(h int64) *types.LightBlock { return c.SignedBy(h, c.ValsAt(h)) }

// SignedBy is the light block of height h claiming and signed by vals,
// which may be another set than the height's: an impostor.
func (c *Chain) SignedBy(h int64, vals Validators) *types.LightBlock {
	hdr := c.Header(h)
	hdr.ValidatorsHash = vals.Set.Hash()
	hdr.ProposerAddress = vals.Set.GetProposer().Address
	lb := &types.LightBlock{SignedHeader: &types.SignedHeader{Header: hdr}, ValidatorSet: vals.Set}
	return c.Resign(lb, vals)
}

// Resign replaces lb's commit with one by every validator of vals over
// lb's header as it now stands.
func (c *Chain) Resign(lb *types.LightBlock, vals Validators) *types.LightBlock {
	c.T.Helper()
	h := lb.Height
	blockID := types.BlockID{Hash: lb.Header.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: Filler("parts", h)}}
	voteSet := types.NewVoteSet(c.ID, h, 0, cmtproto.PrecommitType, vals.Set)
	ext, err := types.MakeExtCommit(blockID, h, 0, voteSet, vals.Privs, lb.Time, false)
	if err != nil {
		c.T.Fatalf("bfttest: commit %d: %v", h, err)
	}
	lb.Commit = ext.ToCommit()
	return lb
}

// Encode is lb in the protobuf encoding the API serves.
func Encode(t testing.TB, lb *types.LightBlock) []byte {
	t.Helper()
	pb, err := lb.ToProto()
	if err != nil {
		t.Fatalf("bfttest: light block %d: %v", lb.Height, err)
	}
	b, err := pb.Marshal()
	if err != nil {
		t.Fatalf("bfttest: light block %d: %v", lb.Height, err)
	}
	return b
}
