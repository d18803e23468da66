package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/meshledger/meshledger/sdk/api"
)

// APIError is an error answered by the node: a non-2xx status with the
// body {"error": {"code", "message"}}. Callers branch on Code, which is
// stable across versions; Message is for humans.
type APIError struct {
	Status  int    // HTTP status
	Code    string // machine-readable, e.g. "nonce_too_low", "not_found"
	Message string
	// RetryAfter is the server's Retry-After hint (429 and 503), zero when
	// absent.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("meshledger: %d %s", e.Status, e.Code)
	}
	return fmt.Sprintf("meshledger: %d %s: %s", e.Status, e.Code, e.Message)
}

// Is lets callers branch on the access refusals with errors.Is, whatever
// else the node said: ErrUnauthenticated matches every 401 (no session,
// or one the node refused even after a fresh signature), ErrNotAMember
// the 403 not_a_member, ErrForbidden the 403 forbidden.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthenticated:
		return e.Status == http.StatusUnauthorized
	case ErrNotAMember:
		return e.Status == http.StatusForbidden && e.Code == codeNotAMember
	case ErrForbidden:
		return e.Status == http.StatusForbidden && e.Code == codeForbidden
	}
	return false
}

// Codes of the access refusals (docs/access.md).
const (
	codeNotAMember = string(api.CodeNotAMember)
	codeForbidden  = string(api.CodeForbidden)
)

// Access refusals answered by the node, for errors.Is (see APIError.Is).
// The error returned is still the *APIError, with the node's code and
// message.
var (
	// ErrUnauthenticated: the node needs a read session and the request
	// had none (a client without a key) or one it refused (401).
	ErrUnauthenticated = errors.New("meshledger: unauthenticated")
	// ErrNotAMember: the key is not a member of the network (403
	// not_a_member); an organisation admin must add it first.
	ErrNotAMember = errors.New("meshledger: not a member")
	// ErrForbidden: the key is a member but may not do or read this (403
	// forbidden).
	ErrForbidden = errors.New("meshledger: forbidden")
)

// Retryable reports whether the node asked the caller to come back later
// rather than refusing the request.
func (e *APIError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable
}

// IsCode reports whether err is (or wraps) an *APIError with the code.
func IsCode(err error, code string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}

// IsNotFound reports whether err is the node's 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// isNonceError reports whether the node refused a transaction for its
// nonce, which means the local counter has drifted from the node's view.
func isNonceError(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return strings.Contains(ae.Code, "nonce")
}

// Errors of the client itself (not answered by the node).
var (
	// ErrNoKey is returned by signing operations on a client without a key.
	ErrNoKey = errors.New("client: no signing key configured")
	// ErrPending is returned when a receipt is not yet available.
	ErrPending = errors.New("client: transaction pending")
	// ErrVerify wraps every verification failure.
	ErrVerify = errors.New("client: verification failed")
	// ErrUntrustedSigner means a header was not signed by a trusted node.
	ErrUntrustedSigner = errors.New("client: header not signed by a trusted node")
)

// maxErrorBody bounds how much of an error body is read, so a misbehaving
// server cannot make the client buffer without limit.
const maxErrorBody = 64 << 10

// decodeAPIError builds the APIError of a non-2xx response. A body that is
// not the documented error shape still yields an APIError, with the HTTP
// status text as the code, so callers can always branch on Status.
func decodeAPIError(status int, header http.Header, body []byte) *APIError {
	e := &APIError{Status: status, RetryAfter: parseRetryAfter(header.Get("Retry-After"), time.Now())}
	var wire struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &wire); err == nil && wire.Error.Code != "" {
		e.Code, e.Message = wire.Error.Code, wire.Error.Message
		return e
	}
	e.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
	if e.Code == "" {
		e.Code = "http_error"
	}
	e.Message = strings.TrimSpace(string(body))
	if len(e.Message) > 512 {
		e.Message = e.Message[:512] + "…"
	}
	return e
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
// Unparseable or past values give zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var secs int64
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && fmt.Sprint(secs) == v {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
