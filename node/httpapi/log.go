package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ethereum/go-ethereum/common"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/sdk/api"
)

// The history log's proofs (docs/ledger.md, "History log"). Any member
// reads them, as it reads headers: a proof carries block hashes and log
// nodes only, never a transaction.

var (
	pLogHeight = param{name: api.ParamHeight, in: "query", desc: "the block to prove (leaf index = height)", typ: "integer", required: true}
	pLogSize   = param{name: api.ParamSize, in: "query", desc: "the log size: the log the header at this height commits (default: the latest header's)", typ: "integer"}
	pLogFrom   = param{name: api.ParamFrom, in: "query", desc: "the earlier log size (a header height)", typ: "integer", required: true}
	pLogTo     = param{name: api.ParamTo, in: "query", desc: "the later log size (default: the latest header's)", typ: "integer"}
)

func (s *Server) handleLogInclusion(c echo.Context) error {
	latest := s.deps.Ledger.Latest().Header.Height
	height, err := uintQuery(c, api.ParamHeight, nil)
	if err != nil {
		return err
	}
	size, err := uintQuery(c, api.ParamSize, &latest)
	if err != nil {
		return err
	}
	p, err := s.deps.Ledger.LogInclusion(height, size)
	if err != nil {
		return logError(err)
	}
	return c.JSON(http.StatusOK, api.LogInclusionProof{
		Height: p.Height, BlockHash: p.BlockHash, Size: p.Size, Root: p.Root, Hashes: nonNilHashes(p.Hashes),
	})
}

func (s *Server) handleLogConsistency(c echo.Context) error {
	latest := s.deps.Ledger.Latest().Header.Height
	from, err := uintQuery(c, api.ParamFrom, nil)
	if err != nil {
		return err
	}
	to, err := uintQuery(c, api.ParamTo, &latest)
	if err != nil {
		return err
	}
	p, err := s.deps.Ledger.LogConsistency(from, to)
	if err != nil {
		return logError(err)
	}
	return c.JSON(http.StatusOK, api.LogConsistencyProof{
		From: p.From, To: p.To, FromRoot: p.FromRoot, ToRoot: p.ToRoot, Hashes: nonNilHashes(p.Hashes),
	})
}

// uintQuery reads a decimal query parameter; when absent it is def, or a
// bad request naming the parameter when def is nil (required).
func uintQuery(c echo.Context, name string, def *uint64) (uint64, error) {
	v := c.QueryParam(name)
	if v == "" {
		if def == nil {
			return 0, fmt.Errorf("%w: %s is required", ErrBadRequest, name)
		}
		return *def, nil
	}
	return parseUint(name, v)
}

// logError translates a log size past the latest header into the API's
// "not yet committed" (404 height_unavailable), as for blocks; the
// ledger's other errors are classified as they are.
func logError(err error) error {
	if errors.Is(err, ledger.ErrLogSizeUnavailable) {
		return fmt.Errorf("%w: %v", ErrHeightUnavailable, err)
	}
	return err
}

// nonNilHashes makes an empty proof encode as [] rather than null.
func nonNilHashes(hs []common.Hash) []common.Hash {
	if hs == nil {
		return []common.Hash{}
	}
	return hs
}
