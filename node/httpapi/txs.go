package httpapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
)

// RejectedError is the outcome of a transaction that was admitted but left
// out of every block. It wraps the reason, so that the error table maps a
// known reason (nonce_too_low, ...) to its own code and anything else to
// 422 rejected.
type RejectedError struct {
	Hash common.Hash
	Err  error
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("transaction %s rejected: %v", e.Hash, e.Err)
}
func (e *RejectedError) Unwrap() error { return e.Err }

func (s *Server) decodeTx(body []byte) (*tx.Tx, error) {
	t, err := tx.DecodeJSON(body, tx.Limits{})
	if err != nil {
		return nil, fmt.Errorf("decode transaction: %w", err)
	}
	return t, nil
}

func (s *Server) handleSubmitTx(c echo.Context) error {
	req, err := s.admitRequest(c)
	if err != nil {
		s.countRefusal(err)
		return err
	}
	defer req.release()
	sub, wait, timeout := req.sub, req.wait, req.timeout
	if !wait {
		status := http.StatusAccepted
		if sub.Status == api.TxCommitted {
			status = http.StatusOK
		}
		return c.JSON(status, api.Tx{Hash: sub.Hash, Status: sub.Status})
	}
	s.metrics.waits.Inc()
	defer s.metrics.waits.Dec()
	// The body is read: ReadTimeout must not cut a wait short.
	_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Time{})
	out, done, err := s.waitCommitted(c, sub.Hash, timeout)
	if err != nil {
		return err
	}
	if !done {
		return c.JSON(http.StatusAccepted, api.Tx{Hash: sub.Hash, Status: api.TxPending})
	}
	return c.JSON(http.StatusOK, out)
}

// admitted is a transaction the single-submission route admitted, with
// what the client asked to wait for.
type admitted struct {
	sub     Submitted
	wait    bool
	timeout time.Duration
	release func() // frees the wait slot, if one was taken
}

// admitRequest is POST /v1/txs up to admission: every error it returns is
// a refusal of the transaction, and nothing is admitted when it fails.
func (s *Server) admitRequest(c echo.Context) (admitted, error) {
	out := admitted{release: func() {}}
	if s.closed() {
		return out, fmt.Errorf("%w: shutting down", ErrUnavailable)
	}
	var err error
	if out.wait, err = parseBool(api.ParamWait, c.QueryParam(api.ParamWait)); err != nil {
		return out, err
	}
	out.timeout = s.cfg.DefaultWait
	if ts := c.QueryParam(api.ParamTimeout); ts != "" {
		if out.timeout, err = parseTimeout(ts); err != nil {
			return out, err
		}
		out.timeout = min(out.timeout, s.cfg.MaxWait)
	}
	body, err := s.readBody(c)
	if err != nil {
		return out, err
	}
	t, err := s.decodeTx(body)
	if err != nil {
		return out, err
	}
	if out.wait {
		// Take the wait slot before admitting, so that a refused wait
		// (429) leaves no transaction behind.
		select {
		case s.waits <- struct{}{}:
		default:
			return out, fmt.Errorf("%w: limit %d", ErrTooManyWaits, s.cfg.MaxWaits)
		}
	}
	if out.sub, err = s.deps.Pool.Submit(t); err != nil {
		if out.wait {
			<-s.waits
		}
		return out, err
	}
	if out.wait {
		out.release = func() { <-s.waits }
	}
	return out, nil
}

// countRefusal counts a refused transaction by the code its client sees.
// Both submission routes call it, and nothing else counts admission
// refusals, so that a refusal is counted once whichever check made it.
func (s *Server) countRefusal(err error) {
	if s.deps.Refused == nil {
		return
	}
	_, body, _ := Classify(err)
	s.deps.Refused.WithLabelValues(string(body.Code)).Inc()
}

// waitCommitted waits until hash commits (done), is dropped (error), or
// the timeout passes (not done).
func (s *Server) waitCommitted(c echo.Context, hash common.Hash, timeout time.Duration) (api.Tx, bool, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	ctx := c.Request().Context()
	for {
		next := s.deps.Commits.NextCommit()
		rec, err := s.deps.Ledger.Tx(hash)
		switch {
		case err == nil:
			out, err := toTxRecord(rec)
			return out, err == nil, err
		case !errors.Is(err, ledger.ErrNotFound):
			return api.Tx{}, false, fmt.Errorf("read tx %s: %w", hash, err)
		}
		if reason, ok := s.deps.Pool.Dropped(hash); ok {
			return api.Tx{}, false, &RejectedError{Hash: hash, Err: reason}
		}
		select {
		case <-next:
		case <-timer.C:
			return api.Tx{}, false, nil
		case <-ctx.Done():
			return api.Tx{}, false, ctx.Err()
		case <-s.closing:
			return api.Tx{}, false, fmt.Errorf("%w: shutting down while waiting for %s", ErrUnavailable, hash)
		}
	}
}

func (s *Server) handleSubmitBatch(c echo.Context) error {
	if s.closed() {
		return fmt.Errorf("%w: shutting down", ErrUnavailable)
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return fmt.Errorf("%w: body must be a JSON array of transactions: %v", ErrBadRequest, err)
	}
	if len(items) > s.cfg.MaxBatch {
		return fmt.Errorf("%w: %d transactions, limit %d", ErrBatchTooLarge, len(items), s.cfg.MaxBatch)
	}
	// Every item is decoded first and the senders recovered in parallel:
	// recovery is most of an item's admission, and one by one it kept the
	// batch's last item a whole batch of recoveries behind its first.
	// Items are still admitted in order (a sender's nonces follow each
	// other in a batch); recovery only caches each sender, and Submit
	// checks every item again, so a bad signature is refused there.
	txs := make([]*tx.Tx, len(items))
	errs := make([]error, len(items))
	valid := make([]*tx.Tx, 0, len(items))
	for i, raw := range items {
		if txs[i], errs[i] = s.decodeTx(raw); errs[i] == nil {
			valid = append(valid, txs[i])
		}
	}
	if len(valid) > 1 {
		_ = tx.RecoverAll(valid, s.deps.Ledger.ChainID(), 0)
	}
	out := make([]api.BatchItem, len(items))
	for i := range items {
		sub, err := s.submitDecoded(txs[i], errs[i])
		if err != nil {
			status, body, _ := Classify(err)
			out[i] = api.BatchItem{HTTPStatus: status, Error: &body}
			continue
		}
		status := http.StatusAccepted
		if sub.Status == api.TxCommitted {
			status = http.StatusOK
		}
		out[i] = api.BatchItem{Hash: sub.Hash, Status: sub.Status, HTTPStatus: status}
	}
	return c.JSON(http.StatusOK, out)
}

// submitDecoded admits one transaction of a batch, or counts the refusal
// of one that did not decode (decodeErr). A refusal of the whole batch
// (not an array, too many items, body too large) is a request error, not
// counted per transaction: how many it held may be unknown.
func (s *Server) submitDecoded(t *tx.Tx, decodeErr error) (Submitted, error) {
	var sub Submitted
	err := decodeErr
	if err == nil {
		sub, err = s.deps.Pool.Submit(t)
	}
	if err != nil {
		s.countRefusal(err)
	}
	return sub, err
}

// handleGetTx reports a transaction. The pool is asked first: a
// transaction leaves it only after it is committed to the ledger or its
// drop reason is recorded, so the later reads see its final state.
func (s *Server) handleGetTx(c echo.Context) error {
	hash, err := parseHash("hash", c.Param("hash"))
	if err != nil {
		return err
	}
	v := viewerOf(c)
	// A transaction the reader may not read is answered exactly as one
	// that does not exist, so that its existence does not leak.
	unknown := fmt.Errorf("transaction %s: %w", hash, ledger.ErrNotFound)
	if t, ok := s.deps.Pool.Pending(hash); ok {
		sender := t.Message().Sender()
		if ok, err := s.canReadPending(v, sender); err != nil || !ok {
			return cmp.Or(err, unknown)
		}
		raw, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("encode tx: %w", err)
		}
		return c.JSON(http.StatusOK, api.Tx{Hash: hash, Status: api.TxPending, Tx: raw, Sender: &sender})
	}
	rec, err := s.deps.Ledger.Tx(hash)
	if err == nil {
		if ok, err := s.canReadTx(v, rec); err != nil || !ok {
			return cmp.Or(err, unknown)
		}
		out, err := toTxRecord(rec)
		if err != nil {
			return fmt.Errorf("encode tx %s: %w", hash, err)
		}
		return c.JSON(http.StatusOK, out)
	}
	if !errors.Is(err, ledger.ErrNotFound) {
		return fmt.Errorf("read tx %s: %w", hash, err)
	}
	if reason, ok := s.deps.Pool.Dropped(hash); ok {
		_, body, _ := Classify(&RejectedError{Hash: hash, Err: reason})
		return c.JSON(http.StatusOK, api.Tx{Hash: hash, Status: api.TxRejected, Error: &body})
	}
	return unknown
}
