package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/sdk/api"
)

// Errors handlers return when a request itself is at fault. They wrap the
// underlying reason with %w so the message says what was wrong.
var (
	ErrBadRequest        = errors.New("bad request")
	ErrBadCursor         = errors.New("bad cursor")
	ErrBadLimit          = errors.New("bad limit")
	ErrBadEventID        = errors.New("bad event id")
	ErrInvalidQuery      = errors.New("invalid query")
	ErrHeightUnavailable = errors.New("height not yet committed")
	ErrBodyTooLarge      = errors.New("request body too large")
	ErrBatchTooLarge     = errors.New("batch too large")
	ErrTooManyWaits      = errors.New("too many concurrent waits")
	ErrTooManyStreams    = errors.New("too many concurrent event streams")
	ErrTooManyBodies     = errors.New("too many large request bodies being read")
	ErrTooManyQueries    = errors.New("too many concurrent queries")
	// ErrUnavailable: the node is shutting down.
	ErrUnavailable = errors.New("node unavailable")
)

// errorClass is the HTTP face of an error.
type errorClass struct {
	status int
	code   api.Code
	// retry is set for errors a client should retry later (Retry-After).
	retry bool
}

// classes is the one table mapping typed errors to HTTP. Order matters only
// where an error could match two entries (none do today); the first match
// wins.
var classes = []struct {
	err error
	errorClass
}{
	{ErrBadRequest, errorClass{http.StatusBadRequest, api.CodeBadRequest, false}},
	{ErrBadCursor, errorClass{http.StatusBadRequest, api.CodeBadCursor, false}},
	{ErrBadLimit, errorClass{http.StatusBadRequest, api.CodeBadLimit, false}},
	{ErrBadEventID, errorClass{http.StatusBadRequest, api.CodeBadEventID, false}},
	{api.ErrBadEventID, errorClass{http.StatusBadRequest, api.CodeBadEventID, false}},
	{ErrInvalidQuery, errorClass{http.StatusBadRequest, api.CodeInvalidQuery, false}},
	{ledger.ErrBadRequest, errorClass{http.StatusBadRequest, api.CodeBadRequest, false}},
	{tx.ErrMalformed, errorClass{http.StatusBadRequest, api.CodeMalformedTx, false}},

	{tx.ErrBadSignature, errorClass{http.StatusUnauthorized, api.CodeBadSignature, false}},
	{tx.ErrHighS, errorClass{http.StatusUnauthorized, api.CodeHighS, false}},
	{tx.ErrSenderMismatch, errorClass{http.StatusUnauthorized, api.CodeSenderMismatch, false}},

	{tx.ErrWrongChain, errorClass{http.StatusForbidden, api.CodeWrongChain, false}},

	{ledger.ErrNotFound, errorClass{http.StatusNotFound, api.CodeNotFound, false}},
	{ledger.ErrUnknownContract, errorClass{http.StatusNotFound, api.CodeUnknownContract, false}},
	{ErrHeightUnavailable, errorClass{http.StatusNotFound, api.CodeHeightUnavailable, false}},

	{tx.ErrNonceTooLow, errorClass{http.StatusConflict, api.CodeNonceTooLow, false}},
	{mempool.ErrNonceTooLow, errorClass{http.StatusConflict, api.CodeNonceTooLow, false}},
	{mempool.ErrNonceConflict, errorClass{http.StatusConflict, api.CodeNonceConflict, false}},

	{ErrBodyTooLarge, errorClass{http.StatusRequestEntityTooLarge, api.CodeTooLarge, false}},
	{tx.ErrTooLarge, errorClass{http.StatusRequestEntityTooLarge, api.CodeTooLarge, false}},
	{ErrBatchTooLarge, errorClass{http.StatusRequestEntityTooLarge, api.CodeBatchTooLarge, false}},
	{ErrHeadersTooLarge, errorClass{http.StatusRequestHeaderFieldsTooLarge, CodeHeadersTooLarge, false}},

	{tx.ErrNonceTooHigh, errorClass{http.StatusUnprocessableEntity, api.CodeNonceTooHigh, false}},
	{mempool.ErrNonceTooHigh, errorClass{http.StatusUnprocessableEntity, api.CodeNonceTooHigh, false}},
	{tx.ErrGasLimitTooHigh, errorClass{http.StatusUnprocessableEntity, api.CodeGasLimitTooHigh, false}},
	{tx.ErrCodeHashMismatch, errorClass{http.StatusUnprocessableEntity, api.CodeCodeHashMismatch, false}},
	{ledger.ErrUnknownCode, errorClass{http.StatusUnprocessableEntity, api.CodeUnknownCode, false}},
	{ledger.ErrScanLimit, errorClass{http.StatusUnprocessableEntity, api.CodeScanLimit, false}},
	{mempool.ErrExpired, errorClass{http.StatusUnprocessableEntity, api.CodeRejected, false}},

	{ErrTooManyWaits, errorClass{http.StatusTooManyRequests, api.CodeTooManyRequests, true}},
	{ErrTooManyStreams, errorClass{http.StatusTooManyRequests, api.CodeTooManyRequests, true}},
	{ErrTooManyBodies, errorClass{http.StatusTooManyRequests, api.CodeTooManyRequests, true}},
	{ErrTooManyQueries, errorClass{http.StatusTooManyRequests, api.CodeTooManyRequests, true}},

	{mempool.ErrFull, errorClass{http.StatusServiceUnavailable, api.CodeMempoolFull, true}},
	// Blocks kept committing while the transaction was admitted: busy, not
	// broken, and the same transaction will get in if sent again.
	{mempool.ErrStale, errorClass{http.StatusServiceUnavailable, api.CodeUnavailable, true}},
	{ErrUnavailable, errorClass{http.StatusServiceUnavailable, api.CodeUnavailable, true}},
	{ledger.ErrClosed, errorClass{http.StatusServiceUnavailable, api.CodeUnavailable, true}},
}

// Classify returns the status, code and message a client sees for err.
// Unknown errors are internal: their text is not shown, it may hold paths
// or other details a client must not see.
func Classify(err error) (status int, body api.Error, retry bool) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return classifyEcho(he)
	}
	for _, c := range classes {
		if errors.Is(err, c.err) {
			return c.status, api.Error{Code: c.code, Message: err.Error()}, c.retry
		}
	}
	var re *RejectedError
	if errors.As(err, &re) {
		return http.StatusUnprocessableEntity, api.Error{Code: api.CodeRejected, Message: err.Error()}, false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, api.Error{Code: api.CodeUnavailable, Message: "request cancelled"}, true
	}
	return http.StatusInternalServerError, api.Error{Code: api.CodeInternal, Message: "internal error"}, false
}

// classifyEcho covers the errors Echo raises itself (routing, binding,
// body limit).
func classifyEcho(he *echo.HTTPError) (int, api.Error, bool) {
	msg := fmt.Sprint(he.Message)
	switch he.Code {
	case http.StatusNotFound:
		return he.Code, api.Error{Code: api.CodeRouteNotFound, Message: msg}, false
	case http.StatusMethodNotAllowed:
		return he.Code, api.Error{Code: api.CodeMethodNotAllowed, Message: msg}, false
	case http.StatusRequestEntityTooLarge:
		return he.Code, api.Error{Code: api.CodeTooLarge, Message: msg}, false
	case http.StatusServiceUnavailable:
		return he.Code, api.Error{Code: api.CodeUnavailable, Message: msg}, true
	}
	if he.Code >= 400 && he.Code < 500 {
		return http.StatusBadRequest, api.Error{Code: api.CodeBadRequest, Message: msg}, false
	}
	return http.StatusInternalServerError, api.Error{Code: api.CodeInternal, Message: "internal error"}, false
}

// errorHandler is the Echo HTTPErrorHandler: the only place an error
// becomes a response.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body, retry := Classify(err)
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if retry {
		c.Response().Header().Set("Retry-After", strconv.Itoa(s.cfg.retryAfterSeconds()))
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, api.ErrorResponse{Error: body})
}
