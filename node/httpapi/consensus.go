package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/sdk/api"
)

// ErrNotBFT: consensus evidence was asked of a solo chain, whose headers
// carry the producer's signature instead.
var ErrNotBFT = errors.New("not a BFT chain")

// ConsensusProofs is the part of Consensus that serves CometBFT's
// evidence behind a BFT chain's headers: the light block whose commit
// signs the header that carries a ledger header's hash as its app hash.
// The API reaches CometBFT only through it, so that this package links
// none of CometBFT's node packages.
//
// Implementations must be safe for concurrent use and answer only what
// this node has committed.
type ConsensusProofs interface {
	// ConsensusHeightOf returns the consensus height whose block made the
	// ledger block at ledgerHeight (ledger.Ledger.ConsensusHeightOf), an
	// error wrapping ledger.ErrNotFound when there is none.
	ConsensusHeightOf(ledgerHeight uint64) (uint64, error)
	// LightBlock returns CometBFT's light block of a consensus height
	// (tendermint.types.LightBlock, protobuf): its header, the commit over
	// it and the validator set that signed it. A height this node does
	// not hold is an error wrapping ledger.ErrNotFound. The API asks only
	// for heights at most Consensus.Height().
	LightBlock(ctx context.Context, height uint64) ([]byte, error)
}

// consensus returns the chain's consensus view, ErrNotBFT on a solo
// chain.
func (s *Server) consensus() (Consensus, error) {
	if s.deps.Consensus == nil {
		return nil, fmt.Errorf("%w: this chain's headers are signed by its producer; verify them with its key", ErrNotBFT)
	}
	return s.deps.Consensus, nil
}

// handleConsensusCommit serves the light block that vouches for a ledger
// block: consensus height H made it, and header H+1 carries its hash as
// the app hash. The genesis hash is CometBFT's initial app hash, in
// header 1.
func (s *Server) handleConsensusCommit(c echo.Context) error {
	h, err := parseUint("height", c.Param("height"))
	if err != nil {
		return err
	}
	cs, err := s.consensus()
	if err != nil {
		return err
	}
	if latest := s.deps.Ledger.Latest().Header.Height; h > latest {
		return fmt.Errorf("%w: block %d, latest %d", ErrHeightUnavailable, h, latest)
	}
	var ch uint64
	if h > 0 {
		if ch, err = cs.ConsensusHeightOf(h); err != nil {
			return fmt.Errorf("consensus height of block %d: %w", h, err)
		}
	}
	lb, err := s.lightBlock(c.Request().Context(), cs, ch+1)
	if err != nil {
		return fmt.Errorf("commit over block %d: %w", h, err)
	}
	return c.JSON(http.StatusOK, api.ConsensusCommit{LedgerHeight: h, ConsensusHeight: ch, LightBlock: lb})
}

// handleConsensusLightBlock serves the light block of any consensus
// height, for clients following validator-set changes.
func (s *Server) handleConsensusLightBlock(c echo.Context) error {
	h, err := parseUint("height", c.Param("height"))
	if err != nil {
		return err
	}
	if h == 0 {
		return fmt.Errorf("%w: height: consensus heights start at 1", ErrBadRequest)
	}
	cs, err := s.consensus()
	if err != nil {
		return err
	}
	lb, err := s.lightBlock(c.Request().Context(), cs, h)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, api.ConsensusLightBlock{ConsensusHeight: h, LightBlock: lb})
}

// lightBlock reads the light block of height. A height not yet committed
// is height_unavailable, which a client retries: right after a ledger
// block commits at H, the header of H+1 that vouches for it still awaits
// its own commit.
func (s *Server) lightBlock(ctx context.Context, cs Consensus, height uint64) ([]byte, error) {
	if latest := cs.Height(); height > latest {
		return nil, fmt.Errorf("%w: consensus height %d, latest %d", ErrHeightUnavailable, height, latest)
	}
	lb, err := cs.LightBlock(ctx, height)
	if err != nil {
		return nil, fmt.Errorf("light block %d: %w", height, err)
	}
	return lb, nil
}
