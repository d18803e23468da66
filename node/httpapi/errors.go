package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/registry"
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
	// ErrReadForbidden: the access rules refuse the reader this read.
	// Its message is always the same, whatever was refused.
	ErrReadForbidden = errors.New("forbidden")
	// ErrUnavailable: the node is shutting down.
	ErrUnavailable = errors.New("node unavailable")
)

// errorClass is the HTTP face of an error.
type errorClass struct {
	status int
	code   api.Code
	// retry is set for errors a client should retry later (Retry-After).
	retry bool
	// challenge is set for read-session failures: the response carries
	// WWW-Authenticate: MeshSession.
	challenge bool
	// message, when set, replaces the error's text: a refused read must
	// not tell the reader what it was refused (which contract's policy,
	// which org holds the key).
	message string
}

// classes is the one table mapping typed errors to HTTP. Order matters only
// where an error could match two entries (none do today); the first match
// wins.
var classes = []struct {
	err error
	errorClass
}{
	{ErrBadRequest, errorClass{status: http.StatusBadRequest, code: api.CodeBadRequest}},
	{ErrBadCursor, errorClass{status: http.StatusBadRequest, code: api.CodeBadCursor}},
	{ErrBadLimit, errorClass{status: http.StatusBadRequest, code: api.CodeBadLimit}},
	{ErrBadEventID, errorClass{status: http.StatusBadRequest, code: api.CodeBadEventID}},
	{api.ErrBadEventID, errorClass{status: http.StatusBadRequest, code: api.CodeBadEventID}},
	{ErrInvalidQuery, errorClass{status: http.StatusBadRequest, code: api.CodeInvalidQuery}},
	{ledger.ErrBadRequest, errorClass{status: http.StatusBadRequest, code: api.CodeBadRequest}},
	{tx.ErrMalformed, errorClass{status: http.StatusBadRequest, code: api.CodeMalformedTx}},

	{tx.ErrBadSignature, errorClass{status: http.StatusUnauthorized, code: api.CodeBadSignature}},
	{tx.ErrHighS, errorClass{status: http.StatusUnauthorized, code: api.CodeHighS}},
	{tx.ErrSenderMismatch, errorClass{status: http.StatusUnauthorized, code: api.CodeSenderMismatch}},

	{ErrUnauthenticated, errorClass{status: http.StatusUnauthorized, code: api.CodeUnauthenticated, challenge: true}},
	{tx.ErrSessionMalformed, errorClass{status: http.StatusUnauthorized, code: api.CodeSessionMalformed, challenge: true}},
	{tx.ErrSessionExpired, errorClass{status: http.StatusUnauthorized, code: api.CodeSessionExpired, challenge: true}},
	{tx.ErrSessionNotYetValid, errorClass{status: http.StatusUnauthorized, code: api.CodeSessionNotYetValid, challenge: true}},
	{tx.ErrSessionTooLong, errorClass{status: http.StatusUnauthorized, code: api.CodeSessionTooLong, challenge: true}},
	{tx.ErrSessionBadSignature, errorClass{status: http.StatusUnauthorized, code: api.CodeSessionBadSignature, challenge: true}},

	{tx.ErrWrongChain, errorClass{status: http.StatusForbidden, code: api.CodeWrongChain}},
	// Admission refuses senders outside every organisation, and deploys
	// without the deployer role; the read middleware refuses non-member
	// readers the same way.
	{ledger.ErrNotAMember, errorClass{status: http.StatusForbidden, code: api.CodeNotAMember}},
	{ErrReadForbidden, errorClass{status: http.StatusForbidden, code: api.CodeForbidden, message: "forbidden"}},
	{ledger.ErrForbidden, errorClass{status: http.StatusForbidden, code: api.CodeForbidden}},

	{ledger.ErrNotFound, errorClass{status: http.StatusNotFound, code: api.CodeNotFound}},
	{ledger.ErrUnknownContract, errorClass{status: http.StatusNotFound, code: api.CodeUnknownContract}},
	{registry.ErrNotFound, errorClass{status: http.StatusNotFound, code: api.CodeNotFound}},
	{ErrHeightUnavailable, errorClass{status: http.StatusNotFound, code: api.CodeHeightUnavailable}},
	{ErrNotBFT, errorClass{status: http.StatusNotFound, code: api.CodeNotBFT}},

	{tx.ErrNonceTooLow, errorClass{status: http.StatusConflict, code: api.CodeNonceTooLow}},
	{mempool.ErrNonceTooLow, errorClass{status: http.StatusConflict, code: api.CodeNonceTooLow}},
	{mempool.ErrNonceConflict, errorClass{status: http.StatusConflict, code: api.CodeNonceConflict}},

	{ErrBodyTooLarge, errorClass{status: http.StatusRequestEntityTooLarge, code: api.CodeTooLarge}},
	{tx.ErrTooLarge, errorClass{status: http.StatusRequestEntityTooLarge, code: api.CodeTooLarge}},
	{ErrBatchTooLarge, errorClass{status: http.StatusRequestEntityTooLarge, code: api.CodeBatchTooLarge}},
	{ErrHeadersTooLarge, errorClass{status: http.StatusRequestHeaderFieldsTooLarge, code: CodeHeadersTooLarge}},

	{tx.ErrNonceTooHigh, errorClass{status: http.StatusUnprocessableEntity, code: api.CodeNonceTooHigh}},
	{mempool.ErrNonceTooHigh, errorClass{status: http.StatusUnprocessableEntity, code: api.CodeNonceTooHigh}},
	{tx.ErrGasLimitTooHigh, errorClass{status: http.StatusUnprocessableEntity, code: api.CodeGasLimitTooHigh}},
	{tx.ErrCodeHashMismatch, errorClass{status: http.StatusUnprocessableEntity, code: api.CodeCodeHashMismatch}},
	{ledger.ErrUnknownCode, errorClass{status: http.StatusUnprocessableEntity, code: api.CodeUnknownCode}},
	{ledger.ErrScanLimit, errorClass{status: http.StatusUnprocessableEntity, code: api.CodeScanLimit}},
	{ledger.ErrInvalidArgs, errorClass{status: http.StatusUnprocessableEntity, code: api.CodeInvalidArgs}},
	{ledger.ErrBadManifest, errorClass{status: http.StatusUnprocessableEntity, code: api.CodeBadManifest}},
	{mempool.ErrExpired, errorClass{status: http.StatusUnprocessableEntity, code: api.CodeRejected}},

	{ErrTooManyWaits, errorClass{status: http.StatusTooManyRequests, code: api.CodeTooManyRequests, retry: true}},
	{ErrTooManyStreams, errorClass{status: http.StatusTooManyRequests, code: api.CodeTooManyRequests, retry: true}},
	{ErrTooManyBodies, errorClass{status: http.StatusTooManyRequests, code: api.CodeTooManyRequests, retry: true}},
	{ErrTooManyQueries, errorClass{status: http.StatusTooManyRequests, code: api.CodeTooManyRequests, retry: true}},

	{mempool.ErrFull, errorClass{status: http.StatusServiceUnavailable, code: api.CodeMempoolFull, retry: true}},
	// Blocks kept committing while the transaction was admitted: busy, not
	// broken, and the same transaction will get in if sent again.
	{mempool.ErrStale, errorClass{status: http.StatusServiceUnavailable, code: api.CodeUnavailable, retry: true}},
	{ErrUnavailable, errorClass{status: http.StatusServiceUnavailable, code: api.CodeUnavailable, retry: true}},
	{ledger.ErrClosed, errorClass{status: http.StatusServiceUnavailable, code: api.CodeUnavailable, retry: true}},
}

// Classify returns the status, code and message a client sees for err.
// Unknown errors are internal: their text is not shown, it may hold paths
// or other details a client must not see.
func Classify(err error) (status int, body api.Error, retry bool) {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return classifyEcho(he)
	}
	if c, ok := classOf(err); ok {
		msg := c.message
		if msg == "" {
			msg = err.Error()
		}
		body := api.Error{Code: c.code, Message: msg}
		// Arguments refused by the manifest's schema: the message is
		// the field and the reason alone, and the field is named for
		// machines too.
		var ae *ledger.ArgsError
		if errors.As(err, &ae) {
			body.Message, body.Pointer = ae.Error(), ae.Pointer
		}
		return c.status, body, c.retry
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

// classOf finds err's entry in the table.
func classOf(err error) (errorClass, bool) {
	for _, c := range classes {
		if errors.Is(err, c.err) {
			return c.errorClass, true
		}
	}
	return errorClass{}, false
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
	if cl, ok := classOf(err); ok && cl.challenge {
		c.Response().Header().Set(api.HeaderWWWAuthenticate, api.SessionScheme)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, api.ErrorResponse{Error: body})
}
