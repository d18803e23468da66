package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
)

func (s *Server) handleChain(c echo.Context) error {
	l := s.deps.Ledger
	latest := l.Latest()
	spec := tx.TypedData(l.ChainID())
	domain, err := json.Marshal(spec.Domain)
	if err != nil {
		return fmt.Errorf("encode domain: %w", err)
	}
	types, err := json.Marshal(spec.Types)
	if err != nil {
		return fmt.Errorf("encode types: %w", err)
	}
	out := api.Chain{
		ChainID:      l.ChainID(),
		GenesisHash:  s.genesis,
		LatestHeight: latest.Header.Height,
		LatestHash:   latest.Hash(),
		NodeAddress:  s.deps.NodeAddress,
		Consensus:    api.ConsensusSolo,
		Domain:       domain,
		Types:        types,
		PrimaryTypes: spec.PrimaryTypes,
		SessionType:  api.SessionType,
	}
	if cs := s.deps.Consensus; cs != nil {
		out.Consensus, out.ConsensusHeight = api.ConsensusCometBFT, cs.Height()
		if out.Validators, err = cs.Validators(); err != nil {
			return fmt.Errorf("validator set: %w", err)
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleAccount(c echo.Context) error {
	addr, err := parseAddress("address", c.Param("address"))
	if err != nil {
		return err
	}
	ap, err := s.deps.Ledger.ProveAccount(addr)
	if err != nil {
		return fmt.Errorf("next nonce of %s: %w", addr, err)
	}
	pending, err := s.deps.Pool.PendingNonce(addr)
	if err != nil {
		return fmt.Errorf("pending nonce of %s: %w", addr, err)
	}
	p, hdr := toStateProof(ap.Proof), toSignedHeader(ap.Header)
	return c.JSON(http.StatusOK, api.Account{
		Address: addr, Nonce: ap.Nonce, PendingNonce: max(pending, ap.Nonce), Proof: &p, Header: &hdr,
	})
}

func (s *Server) handleHealth(c echo.Context) error {
	if s.closed() {
		return fmt.Errorf("%w: shutting down", ErrUnavailable)
	}
	return c.JSON(http.StatusOK, api.Health{Status: "ok", Height: s.deps.Ledger.Latest().Header.Height})
}

func (s *Server) handleLatestBlock(c echo.Context) error {
	return s.writeBlock(c, s.deps.Ledger.Latest().Header.Height)
}

func (s *Server) handleBlock(c echo.Context) error {
	h, err := parseUint("height", c.Param("height"))
	if err != nil {
		return err
	}
	if latest := s.deps.Ledger.Latest().Header.Height; h > latest {
		return fmt.Errorf("%w: block %d, latest %d", ErrHeightUnavailable, h, latest)
	}
	return s.writeBlock(c, h)
}

// writeBlock writes block h with the hashes of the transactions the reader
// may read (every member reads the header).
func (s *Server) writeBlock(c echo.Context, h uint64) error {
	b, err := s.deps.Ledger.Block(h)
	if err != nil {
		return fmt.Errorf("block %d: %w", h, err)
	}
	visible, err := s.visibleTxHashes(c.Request().Context(), viewerOf(c), h, b.TxHashes)
	if err != nil {
		return fmt.Errorf("block %d: %w", h, err)
	}
	out := toBlock(b)
	out.TxHashes = visible
	return c.JSON(http.StatusOK, out)
}
