package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/sdk/api"
)

// ErrLogProof: a history log proof does not prove what was asked against
// the roots the caller trusts (a wrong size, block or root, too many
// hashes, or a path that does not hash to the root). It always comes
// wrapped together with ErrVerify.
var ErrLogProof = errors.New("client: history log proof refused")

// ErrBadArgument: a log proof asked for that no node could give (a block
// not before the header whose log it is asked into, headers out of order).
// Nothing is sent.
var ErrBadArgument = errors.New("client: bad argument")

func logProofErr(format string, args ...any) error {
	return fmt.Errorf("%w: %w: "+format, append([]any{ErrVerify, ErrLogProof}, args...)...)
}

// VerifyLogInclusion checks that p proves its block is leaf p.Height of
// the log of p.Size blocks whose root is root, a root the caller trusts
// (the LogRoot of a verified header at height p.Size). The proof's own
// Root is not trusted: it must equal root.
func VerifyLogInclusion(p *api.LogInclusionProof, root common.Hash) error {
	switch {
	case p == nil:
		return logProofErr("no inclusion proof")
	case len(p.Hashes) > api.MaxLogProofHashes:
		return logProofErr("inclusion proof of %d hashes (at most %d)", len(p.Hashes), api.MaxLogProofHashes)
	case p.Root != root:
		return logProofErr("inclusion proof for root %s, trusted root %s", p.Root, root)
	}
	if err := VerifyLogInclusionProof(p); err != nil {
		return fmt.Errorf("%w: %w", ErrLogProof, err)
	}
	return nil
}

// VerifyLogConsistency checks that p proves the log of p.To blocks, root
// toRoot, extends the log of p.From blocks, root fromRoot: roots the
// caller trusts (the LogRoots of verified headers at heights p.From and
// p.To).
func VerifyLogConsistency(p *api.LogConsistencyProof, fromRoot, toRoot common.Hash) error {
	switch {
	case p == nil:
		return logProofErr("no consistency proof")
	case len(p.Hashes) > api.MaxLogProofHashes:
		return logProofErr("consistency proof of %d hashes (at most %d)", len(p.Hashes), api.MaxLogProofHashes)
	case p.FromRoot != fromRoot || p.ToRoot != toRoot:
		return logProofErr("consistency proof for roots %s, %s; trusted %s, %s", p.FromRoot, p.ToRoot, fromRoot, toRoot)
	case p.From == 0 && fromRoot != block.EmptyLogRoot:
		// RFC 6962 proves nothing from the empty log, and the library
		// checks no root then: the empty log has one root.
		return logProofErr("log of 0 blocks with root %s, not the empty log's %s", fromRoot, block.EmptyLogRoot)
	}
	if err := VerifyLogConsistencyProof(p); err != nil {
		return fmt.Errorf("%w: %w", ErrLogProof, err)
	}
	return nil
}

// LogInclusionProof fetches, without verifying, the node's proof that the
// block at height is in the log of size blocks (size 0: the latest
// header's log). Use VerifiedLogInclusion unless the proof is evidence to
// keep whatever it shows.
func (c *Client) LogInclusionProof(ctx context.Context, height, size uint64) (*api.LogInclusionProof, error) {
	q := url.Values{api.ParamHeight: {strconv.FormatUint(height, 10)}}
	if size != 0 {
		q.Set(api.ParamSize, strconv.FormatUint(size, 10))
	}
	var p api.LogInclusionProof
	if err := c.get(ctx, api.PathLogInclusion, q, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// LogConsistencyProof fetches, without verifying, the node's proof that
// the log of to blocks extends the log of from blocks (to 0: the latest
// header's log).
func (c *Client) LogConsistencyProof(ctx context.Context, from, to uint64) (*api.LogConsistencyProof, error) {
	q := url.Values{api.ParamFrom: {strconv.FormatUint(from, 10)}}
	if to != 0 {
		q.Set(api.ParamTo, strconv.FormatUint(to, 10))
	}
	var p api.LogConsistencyProof
	if err := c.get(ctx, api.PathLogConsistency, q, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// VerifiedLogInclusion proves that the block at height is in the chain
// that at, a header the caller has verified (Verifier.VerifyHeader),
// commits: it fetches the inclusion proof into the log of at.Height blocks
// and checks it against at.LogRoot. The returned proof's BlockHash is then
// the hash of the block at height in that chain.
func (c *Client) VerifiedLogInclusion(ctx context.Context, height uint64, at *block.Header) (*api.LogInclusionProof, error) {
	if height >= at.Height {
		return nil, fmt.Errorf("%w: block %d is not in the log of header %d (blocks 0..%d)", ErrBadArgument, height, at.Height, int64(at.Height)-1)
	}
	p, err := c.LogInclusionProof(ctx, height, at.Height)
	if err != nil {
		return nil, err
	}
	if p.Height != height || p.Size != at.Height {
		return nil, logProofErr("asked block %d in log %d, served block %d in log %d", height, at.Height, p.Height, p.Size)
	}
	if err := VerifyLogInclusion(p, at.LogRoot); err != nil {
		return nil, err
	}
	return p, nil
}

// VerifiedLogConsistency proves that the chain header to commits extends
// the chain header from commits (both verified by the caller): the log of
// to.Height blocks extends the log of from.Height blocks, so no block
// before from was rewritten.
func (c *Client) VerifiedLogConsistency(ctx context.Context, from, to *block.Header) (*api.LogConsistencyProof, error) {
	if from.Height > to.Height {
		return nil, fmt.Errorf("%w: header %d is after header %d", ErrBadArgument, from.Height, to.Height)
	}
	if from.Height == to.Height {
		// No node to ask: the logs are one if the roots are.
		p := &api.LogConsistencyProof{From: from.Height, To: to.Height, FromRoot: from.LogRoot, ToRoot: to.LogRoot, Hashes: []common.Hash{}}
		if from.LogRoot != to.LogRoot {
			return nil, logProofErr("two logs of %d blocks: roots %s and %s", from.Height, from.LogRoot, to.LogRoot)
		}
		return p, nil
	}
	p, err := c.LogConsistencyProof(ctx, from.Height, to.Height)
	if err != nil {
		return nil, err
	}
	if p.From != from.Height || p.To != to.Height {
		return nil, logProofErr("asked logs %d..%d, served %d..%d", from.Height, to.Height, p.From, p.To)
	}
	if err := VerifyLogConsistency(p, from.LogRoot, to.LogRoot); err != nil {
		return nil, err
	}
	return p, nil
}
