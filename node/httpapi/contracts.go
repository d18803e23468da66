package httpapi

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/sdk/api"
)

func (s *Server) handleContracts(c echo.Context) error {
	limit := api.DefaultContractsLimit
	if ls := c.QueryParam(api.ParamLimit); ls != "" {
		n, err := strconv.Atoi(ls)
		if err != nil || n <= 0 {
			return fmt.Errorf("%w: %s: want a positive integer, got %q", ErrBadLimit, api.ParamLimit, ls)
		}
		limit = min(n, api.MaxContractsLimit)
	}
	after, err := parseContractsCursor(c.QueryParam(api.ParamCursor))
	if err != nil {
		return err
	}
	page, err := s.deps.Ledger.ContractsAfter(after, limit)
	if err != nil {
		return fmt.Errorf("list contracts: %w", err)
	}
	out := api.Contracts{Contracts: make([]api.Contract, len(page.Contracts))}
	for i, ci := range page.Contracts {
		out.Contracts[i] = toContract(ci)
	}
	if page.Next != nil {
		out.NextCursor = formatContractsCursor(*page.Next)
	}
	return c.JSON(http.StatusOK, out)
}

// Contract list cursors are the last address of the page, lower-case hex
// without 0x: opaque to clients, and no other address spelling is taken,
// so that a cursor cannot be mistaken for an address parameter.
func formatContractsCursor(a common.Address) string { return hex.EncodeToString(a[:]) }

func parseContractsCursor(s string) (*common.Address, error) {
	if s == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != common.AddressLength || s != strings.ToLower(s) {
		return nil, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	a := common.BytesToAddress(b)
	return &a, nil
}

func (s *Server) handleContract(c echo.Context) error {
	addr, err := parseAddress("address", c.Param("address"))
	if err != nil {
		return err
	}
	cp, err := s.deps.Ledger.ProveContract(addr)
	if err != nil {
		return fmt.Errorf("contract %s: %w", addr, err)
	}
	out := toContract(cp.Info)
	p, hdr := toStateProof(cp.Proof), toSignedHeader(cp.Header)
	out.Proof, out.Header = &p, &hdr
	return c.JSON(http.StatusOK, out)
}

func (s *Server) handleState(c echo.Context) error {
	addr, err := parseAddress("address", c.Param("address"))
	if err != nil {
		return err
	}
	key, err := pathKey(c, "/state/")
	if err != nil {
		return err
	}
	h, err := heightParam(c, s.deps.Ledger.Latest().Header.Height)
	if err != nil {
		return err
	}
	if err := s.deps.Ledger.CanReadKey(c.Request().Context(), viewerOf(c), addr, key, h); err != nil {
		return fmt.Errorf("state of %s at %d: %w", addr, h, refuseRead(err))
	}
	st, err := s.deps.Ledger.State(addr, key, h)
	if err != nil {
		return fmt.Errorf("state of %s key %x at %d: %w", addr, key, h, err)
	}
	p, hdr := st.Proof, st.Header
	return c.JSON(http.StatusOK, api.State{
		Contract: addr, Key: key, Height: hdr.Header.Height, Exists: p.Exists, Value: p.Value,
		Proof: toStateProof(p), Header: toSignedHeader(hdr),
	})
}

func (s *Server) handleHistory(c echo.Context) error {
	addr, err := parseAddress("address", c.Param("address"))
	if err != nil {
		return err
	}
	key, err := pathKey(c, "/history/")
	if err != nil {
		return err
	}
	limit := api.DefaultHistoryLimit
	if ls := c.QueryParam(api.ParamLimit); ls != "" {
		n, err := strconv.Atoi(ls)
		if err != nil || n <= 0 {
			return fmt.Errorf("%w: %s: want a positive integer, got %q", ErrBadRequest, api.ParamLimit, ls)
		}
		limit = min(n, api.MaxHistoryLimit)
	}
	from, err := parseCursor(c.QueryParam(api.ParamCursor))
	if err != nil {
		return err
	}
	// The lineage is read up to the latest block, so the latest access
	// rules decide it.
	latest := s.deps.Ledger.Latest().Header.Height
	if err := s.deps.Ledger.CanReadKey(c.Request().Context(), viewerOf(c), addr, key, latest); err != nil {
		return fmt.Errorf("history of %s: %w", addr, refuseRead(err))
	}
	switch ps := c.QueryParam(api.ParamProofs); ps {
	case "", "false":
	case "true":
		return s.lineage(c, addr, key, from, limit)
	default:
		return fmt.Errorf("%w: %s: want true or false, got %q", ErrBadRequest, api.ParamProofs, ps)
	}
	page, err := s.deps.Ledger.History(addr, key, from, limit)
	if err != nil {
		return fmt.Errorf("history of %s key %x: %w", addr, key, err)
	}
	out := api.History{Contract: addr, Key: key, Entries: make([]api.HistoryEntry, len(page.Entries))}
	if page.Next != nil {
		out.NextCursor = formatCursor(*page.Next)
	}
	for i, e := range page.Entries {
		out.Entries[i] = toHistoryEntry(e)
	}
	return c.JSON(http.StatusOK, out)
}

// lineage answers ?proofs=true: the history page with every entry's
// proofs and, on the last page, the key's latest state proof.
func (s *Server) lineage(c echo.Context, addr common.Address, key []byte, from ledger.Cursor, limit int) error {
	page, err := s.deps.Ledger.Lineage(addr, key, from, limit)
	if err != nil {
		return fmt.Errorf("lineage of %s key %x: %w", addr, key, err)
	}
	// Each entry shows its whole transaction and receipt (every write and
	// event of it, whatever key or audience): the reader must be allowed
	// to read each of those transactions, or gets no proofs at all.
	for _, e := range page.Entries {
		if e.Tx == nil {
			continue // a genesis record
		}
		ok, err := s.canReadTx(viewerOf(c), &ledger.TxRecord{Tx: e.Tx, Receipt: e.Receipt, Header: e.Header})
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("lineage of %s: version %d: %w", addr, e.Entry.Version, ErrReadForbidden)
		}
	}
	out := api.Lineage{Contract: addr, Key: key, Entries: make([]api.LineageEntry, len(page.Entries))}
	if page.Next != nil {
		out.NextCursor = formatCursor(*page.Next)
	}
	for i, e := range page.Entries {
		le := api.LineageEntry{
			Version: e.Entry.Version, Height: e.Entry.Height, TxIndex: e.Entry.TxIndex, Prev: e.Entry.Prev,
			Deleted: e.Entry.Deleted, Value: nonNilBytes(e.Entry.Value), TxHash: e.TxHash,
			Header: toSignedHeader(e.Header), Tx: e.TxBody,
			TxProof: toHexList(e.TxProof), ReceiptProof: toHexList(e.ReceiptProof),
		}
		if e.Receipt != nil {
			le.Receipt = toReceipt(e.Receipt)
		}
		out.Entries[i] = le
	}
	if l := page.Latest; l != nil {
		p := l.Proof
		out.Latest = &api.State{
			Contract: addr, Key: key, Height: l.Header.Header.Height, Exists: p.Exists, Value: p.Value,
			Proof: toStateProof(p), Header: toSignedHeader(l.Header),
		}
	}
	return c.JSON(http.StatusOK, out)
}

func toHexList(in [][]byte) []hexutil.Bytes {
	out := make([]hexutil.Bytes, len(in))
	for i, b := range in {
		out[i] = b
	}
	return out
}

func (s *Server) handleQuery(c echo.Context) error {
	addr, err := parseAddress("address", c.Param("address"))
	if err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	var req api.QueryRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("%w: body: %v", ErrInvalidQuery, err)
	}
	if req.Method == "" {
		return fmt.Errorf("%w: method is required", ErrInvalidQuery)
	}
	return s.runQuery(c, addr, req)
}

// runQuery runs a query request against the contract at addr and writes
// its outcome: POST .../query and POST .../methods/{method} share it.
func (s *Server) runQuery(c echo.Context, addr common.Address, req api.QueryRequest) error {
	latest := s.deps.Ledger.Latest().Header.Height
	h := latest
	if req.Height != nil {
		if *req.Height > latest {
			return fmt.Errorf("%w: height %d, latest %d", ErrHeightUnavailable, *req.Height, latest)
		}
		h = *req.Height
	}
	gas := s.cfg.QueryGasCap
	if req.GasLimit != 0 {
		gas = min(gas, req.GasLimit)
	}
	var args []byte
	if len(req.Args) > 0 && !bytes.Equal(bytes.TrimSpace(req.Args), []byte("null")) {
		args = req.Args
	}
	select {
	case s.queries <- struct{}{}:
		defer func() { <-s.queries }()
	default:
		return fmt.Errorf("%w: limit %d", ErrTooManyQueries, s.cfg.MaxQueries)
	}
	// The contract decides what its query returns to whom: ctx.Caller() is
	// the authenticated reader.
	res, err := s.deps.Ledger.QueryAs(c.Request().Context(), viewerOf(c).Address, addr, req.Method, args, h, gas)
	if err != nil {
		return fmt.Errorf("query %s.%s at %d: %w", addr, req.Method, h, err)
	}
	proofs, withheld, err := s.readableProofs(c, res.Proofs, h)
	if err != nil {
		return err
	}
	out := api.QueryResponse{
		Status: res.Status, Message: res.Message, Return: nonNilBytes(res.Return),
		GasUsed: res.GasUsed, Height: res.Header.Header.Height, Header: toSignedHeader(res.Header),
		Proofs: toStateProofs(proofs), ProofsWithheld: withheld,
	}
	if len(res.Return) > 0 && json.Valid(res.Return) {
		out.Result = json.RawMessage(res.Return)
	}
	return c.JSON(http.StatusOK, out)
}

// readableProofs keeps the proofs of the keys the reader may read raw:
// a proof carries the key's value, so a query must not become a way
// around the contracts' read policies (docs/access.md). A query's result
// is the contract's own answer to this reader; the proofs of the other
// keys it read are withheld and counted.
func (s *Server) readableProofs(c echo.Context, proofs []*proof.StateProof, height uint64) ([]*proof.StateProof, int, error) {
	v := viewerOf(c)
	if v.Auditor() {
		return proofs, 0, nil
	}
	kept := proofs[:0:0]
	for _, p := range proofs {
		err := s.deps.Ledger.CanReadKey(c.Request().Context(), v, p.Contract, p.Key, height)
		switch {
		case err == nil:
			kept = append(kept, p)
		case errors.Is(err, ledger.ErrForbidden):
		default:
			return nil, 0, fmt.Errorf("read access to %s %x: %w", p.Contract, p.Key, err)
		}
	}
	return kept, len(proofs) - len(kept), nil
}
