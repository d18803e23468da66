package bft

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// Source serves the consensus evidence a Verifier checks. *client.Client
// implements it (GET /v1/consensus/...). Nothing it returns is trusted.
type Source interface {
	ConsensusCommit(ctx context.Context, ledgerHeight uint64) (*api.ConsensusCommit, error)
	ConsensusLightBlock(ctx context.Context, consensusHeight uint64) (*api.ConsensusLightBlock, error)
}

var (
	_ Source                   = (*client.Client)(nil)
	_ client.ConsensusVerifier = (*Verifier)(nil)
)

// Verifier checks ledger headers of a CometBFT chain against the
// validators it trusts (see the package documentation). Verifications run
// one at a time: each may extend what the Verifier trusts.
type Verifier struct {
	cfg Config
	src Source

	mu sync.Mutex
	// anchors are the validator sets trusted so far, each from the
	// height where it was verified, in height order. The first is the
	// configured set.
	anchors []anchor
	// verified remembers ledger header hashes already verified, by
	// height; order is their insertion order, for eviction.
	verified map[uint64]common.Hash
	order    []uint64
}

// anchor is a validator set trusted at a consensus height.
type anchor struct {
	height int64
	vals   *types.ValidatorSet
	hash   []byte
	// next is the NextValidatorsHash of the verified header at height,
	// nil when no header of that height has been verified (the
	// configured set).
	next []byte
}

// New returns a Verifier that trusts cfg's validator set and fetches
// evidence from src (a *client.Client of any node of the chain).
func New(cfg Config, src Source) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if src == nil {
		return nil, fmt.Errorf("%w: no source of evidence", ErrConfig)
	}
	cfg = cfg.WithDefaults()
	vals := cfg.Validators.Copy()
	return &Verifier{
		cfg:      cfg,
		src:      src,
		anchors:  []anchor{{height: cfg.Height, vals: vals, hash: vals.Hash()}},
		verified: make(map[uint64]common.Hash),
	}, nil
}

// VerifyConsensus checks that the trusted validators committed a CometBFT
// header whose app hash is hash, the hash of ledger header h. It
// implements client.ConsensusVerifier.
func (v *Verifier) VerifyConsensus(ctx context.Context, h *block.Header, hash common.Hash) error {
	if h == nil {
		return fmt.Errorf("%w: no header", ErrMalformed)
	}
	if got := ChainID(h.ChainID); got != v.cfg.ChainID {
		return fmt.Errorf("%w: ledger header of chain %s, trusted %s", ErrWrongChain, got, v.cfg.ChainID)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if known, ok := v.verified[h.Height]; ok && known == hash {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.FetchTimeout)
	defer cancel()
	cc, err := v.fetchCommit(ctx, h.Height)
	if err != nil {
		return err
	}
	if cc.LedgerHeight != h.Height {
		return fmt.Errorf("%w: evidence for block %d, asked for %d", ErrMalformed, cc.LedgerHeight, h.Height)
	}
	lb, err := DecodeLightBlock(cc.LightBlock)
	if err != nil {
		return err
	}
	// The cheap check first: evidence for another state needs no
	// signature checked.
	if !bytes.Equal(lb.AppHash, hash[:]) {
		return fmt.Errorf("%w: block %d hashes to %s, consensus header %d has app hash %X",
			ErrAppHashMismatch, h.Height, hash.Hex(), lb.Height, []byte(lb.AppHash))
	}
	if err := v.verify(ctx, lb); err != nil {
		return fmt.Errorf("block %d: %w", h.Height, err)
	}
	v.remember(h.Height, hash)
	return nil
}

// VerifyLightBlock checks that lb is well formed, of the trusted chain,
// and committed by a validator set the Verifier trusts or can reach from
// it (fetching light blocks from the source to follow changes).
func (v *Verifier) VerifyLightBlock(ctx context.Context, lb *types.LightBlock) error {
	if lb == nil || lb.SignedHeader == nil || lb.Header == nil {
		return fmt.Errorf("%w: no signed header", ErrMalformed)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, v.cfg.FetchTimeout)
	defer cancel()
	return v.verify(ctx, lb)
}

// DecodeLightBlock decodes the protobuf light block the API serves into
// CometBFT's type. It checks the encoding only, not the signatures.
func DecodeLightBlock(b []byte) (*types.LightBlock, error) {
	var pb cmtproto.LightBlock
	if err := pb.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	lb, err := types.LightBlockFromProto(&pb)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if lb.SignedHeader == nil || lb.ValidatorSet == nil {
		return nil, fmt.Errorf("%w: a light block needs a signed header and a validator set", ErrMalformed)
	}
	return lb, nil
}

// verify checks lb's commit against the trusted set of its height,
// following validator-set changes from the source when lb's set is not
// that one. v.mu is held.
func (v *Verifier) verify(ctx context.Context, lb *types.LightBlock) error {
	if err := v.validateBasic(lb); err != nil {
		return err
	}
	for {
		a, ok := v.anchorAt(lb.Height)
		if !ok {
			return fmt.Errorf("%w: consensus height %d is below the trusted height %d", ErrUntrustedValidators, lb.Height, v.anchors[0].height)
		}
		if bytes.Equal(lb.ValidatorsHash, a.hash) {
			if err := a.vals.VerifyCommitLight(v.cfg.ChainID, lb.Commit.BlockID, lb.Height, lb.Commit); err != nil {
				return commitErr(lb.Height, err)
			}
			return nil
		}
		if a.height == lb.Height {
			return fmt.Errorf("%w: consensus height %d is signed by set %X, the trusted set of that height is %X",
				ErrUntrustedValidators, lb.Height, []byte(lb.ValidatorsHash), a.hash)
		}
		// Each pass trusts one more set, at a height at most lb's.
		if err := v.followChange(ctx, a, lb); err != nil {
			return err
		}
	}
}

// followChange finds, by bisection between a and target, a height where
// the validator set changes from a's, and trusts the new set if the last
// header a's set signed names it as the next set and more than two thirds
// of it signed the first header of its own. The new anchor is at most
// target's height. v.mu is held.
func (v *Verifier) followChange(ctx context.Context, a anchor, target *types.LightBlock) error {
	lo, hi := a, target
	for hi.Height-lo.height > 1 {
		mid := lo.height + (hi.Height-lo.height)/2
		m, err := v.fetchLightBlock(ctx, mid)
		if err != nil {
			return err
		}
		if !bytes.Equal(m.ValidatorsHash, lo.hash) {
			hi = m
			continue
		}
		if err := lo.vals.VerifyCommitLight(v.cfg.ChainID, m.Commit.BlockID, m.Height, m.Commit); err != nil {
			return commitErr(m.Height, err)
		}
		lo = anchor{height: mid, vals: lo.vals, hash: lo.hash, next: m.NextValidatorsHash}
	}
	if lo.next == nil {
		m, err := v.fetchLightBlock(ctx, lo.height)
		if err != nil {
			return err
		}
		if !bytes.Equal(m.ValidatorsHash, lo.hash) {
			return fmt.Errorf("%w: consensus height %d is signed by set %X, the trusted set of that height is %X",
				ErrUntrustedValidators, m.Height, []byte(m.ValidatorsHash), lo.hash)
		}
		if err := lo.vals.VerifyCommitLight(v.cfg.ChainID, m.Commit.BlockID, m.Height, m.Commit); err != nil {
			return commitErr(m.Height, err)
		}
		lo.next = m.NextValidatorsHash
	}
	if !bytes.Equal(hi.ValidatorsHash, lo.next) {
		return fmt.Errorf("%w: consensus height %d is signed by set %X, but the trusted header %d names %X as the next set",
			ErrUntrustedValidators, hi.Height, []byte(hi.ValidatorsHash), lo.height, lo.next)
	}
	if err := hi.ValidatorSet.VerifyCommitLight(v.cfg.ChainID, hi.Commit.BlockID, hi.Height, hi.Commit); err != nil {
		return commitErr(hi.Height, err)
	}
	v.addAnchor(lo)
	v.addAnchor(anchor{height: hi.Height, vals: hi.ValidatorSet.Copy(), hash: hi.ValidatorSet.Hash(), next: hi.NextValidatorsHash})
	return nil
}

// validateBasic runs CometBFT's structural checks: the commit is for the
// header (height and block ID), the validator set hashes to the header's,
// the chain is the trusted one.
func (v *Verifier) validateBasic(lb *types.LightBlock) error {
	if lb.SignedHeader != nil && lb.Header != nil && lb.ChainID != v.cfg.ChainID {
		return fmt.Errorf("%w: light block of chain %q, trusted %q", ErrWrongChain, lb.ChainID, v.cfg.ChainID)
	}
	if err := lb.ValidateBasic(v.cfg.ChainID); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// anchorAt returns the trusted set of the highest anchor at or below
// height.
func (v *Verifier) anchorAt(height int64) (anchor, bool) {
	i := sort.Search(len(v.anchors), func(i int) bool { return v.anchors[i].height > height })
	if i == 0 {
		return anchor{}, false
	}
	return v.anchors[i-1], true
}

// addAnchor inserts a in height order, replacing one of the same height.
func (v *Verifier) addAnchor(a anchor) {
	i := sort.Search(len(v.anchors), func(i int) bool { return v.anchors[i].height >= a.height })
	if i < len(v.anchors) && v.anchors[i].height == a.height {
		v.anchors[i] = a
		return
	}
	v.anchors = append(v.anchors, anchor{})
	copy(v.anchors[i+1:], v.anchors[i:])
	v.anchors[i] = a
}

func (v *Verifier) remember(height uint64, hash common.Hash) {
	if v.cfg.CacheSize == 0 {
		return
	}
	if _, ok := v.verified[height]; !ok {
		if len(v.order) >= v.cfg.CacheSize {
			delete(v.verified, v.order[0])
			v.order = v.order[1:]
		}
		v.order = append(v.order, height)
	}
	v.verified[height] = hash
}

// Pauses between asks for a commit not yet made: the header that vouches
// for a ledger block is committed one consensus round after it.
const (
	firstPause = 20 * time.Millisecond
	maxPause   = 500 * time.Millisecond
)

// fetchCommit asks the source for the evidence over a ledger block,
// waiting while the node answers height_unavailable.
func (v *Verifier) fetchCommit(ctx context.Context, ledgerHeight uint64) (*api.ConsensusCommit, error) {
	for pause := firstPause; ; pause = min(2*pause, maxPause) {
		cc, err := v.src.ConsensusCommit(ctx, ledgerHeight)
		if err == nil {
			return cc, nil
		}
		if !client.IsCode(err, string(api.CodeHeightUnavailable)) {
			return nil, fmt.Errorf("bft: evidence for block %d: %w", ledgerHeight, err)
		}
		if err := sleep(ctx, pause); err != nil {
			return nil, fmt.Errorf("bft: evidence for block %d not yet committed: %w", ledgerHeight, err)
		}
	}
}

// fetchLightBlock asks the source for the light block of a consensus
// height and checks its structure and height.
func (v *Verifier) fetchLightBlock(ctx context.Context, height int64) (*types.LightBlock, error) {
	r, err := v.src.ConsensusLightBlock(ctx, uint64(height))
	if err != nil {
		return nil, fmt.Errorf("bft: light block %d: %w", height, err)
	}
	lb, err := DecodeLightBlock(r.LightBlock)
	if err != nil {
		return nil, fmt.Errorf("light block %d: %w", height, err)
	}
	if lb.Height != height {
		return nil, fmt.Errorf("%w: asked for consensus height %d, got %d", ErrMalformed, height, lb.Height)
	}
	if err := v.validateBasic(lb); err != nil {
		return nil, fmt.Errorf("light block %d: %w", height, err)
	}
	return lb, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
