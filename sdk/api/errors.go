package api

import "fmt"

// Code is the machine-readable reason of an error response. Clients branch
// on it; the HTTP status only groups codes.
type Code string

// Error codes. docs/api.md lists the HTTP status of each. The codes of
// transaction admission errors are those of package ledger/tx
// (tx.ErrorCode), so a client sees the same code from the API and from
// local validation.
const (
	// 400
	CodeBadRequest   Code = "bad_request"   // malformed JSON, parameter or path
	CodeMalformedTx  Code = "malformed"     // the transaction does not decode or is invalid in itself
	CodeBadCursor    Code = "bad_cursor"    // a pagination cursor that this node did not issue
	CodeBadLimit     Code = "bad_limit"     // a page size (limit) that is not a positive integer
	CodeBadEventID   Code = "bad_event_id"  // Last-Event-ID or from_height is not valid
	CodeInvalidQuery Code = "invalid_query" // a query body without a method, or with bad args

	// 401: the signature does not authenticate the transaction.
	CodeBadSignature   Code = "bad_signature"
	CodeHighS          Code = "high_s"          // malleable signature (s in the upper half of the curve order)
	CodeSenderMismatch Code = "sender_mismatch" // signed by a key other than the message's sender

	// 401: the read session does not authenticate the reader (see
	// docs/api.md, Authentication). Responses carry WWW-Authenticate.
	CodeUnauthenticated     Code = "unauthenticated"       // no session where one is needed
	CodeSessionMalformed    Code = "session_malformed"     // the Authorization value does not parse
	CodeSessionExpired      Code = "session_expired"       // expiresMs has passed
	CodeSessionNotYetValid  Code = "session_not_yet_valid" // issuedMs is in the future
	CodeSessionTooLong      Code = "session_too_long"      // lifetime above 24 h
	CodeSessionBadSignature Code = "session_bad_signature" // not signed by the reader for this chain, or high-s

	// 403: a valid transaction that this chain refuses.
	CodeWrongChain Code = "wrong_chain"
	// CodeNotAMember: the reader or sender belongs to no organisation.
	CodeNotAMember Code = "not_a_member"
	// CodeForbidden: the reader or sender lacks the permission. The
	// message reveals nothing about what was asked for.
	CodeForbidden Code = "forbidden"

	// 404
	CodeNotFound          Code = "not_found"
	CodeUnknownContract   Code = "unknown_contract"
	CodeHeightUnavailable Code = "height_unavailable" // a height above the latest block
	CodeRouteNotFound     Code = "route_not_found"

	// 405
	CodeMethodNotAllowed Code = "method_not_allowed"

	// 409: the transaction conflicts with committed or pending state.
	CodeNonceTooLow   Code = "nonce_too_low"
	CodeNonceConflict Code = "nonce_conflict" // another transaction with this sender and nonce is pending

	// 413
	CodeTooLarge      Code = "too_large"       // request body or transaction above its limit
	CodeBatchTooLarge Code = "batch_too_large" // more items than MaxBatch

	// 422: well formed, but cannot be executed as it stands.
	CodeNonceTooHigh     Code = "nonce_too_high" // beyond the pending window above the next nonce
	CodeGasLimitTooHigh  Code = "gas_limit_too_high"
	CodeCodeHashMismatch Code = "code_hash_mismatch"
	CodeUnknownCode      Code = "unknown_code"
	CodeRejected         Code = "rejected"   // left out of a block for another reason
	CodeScanLimit        Code = "scan_limit" // a past-height query would list more history than the node allows
	// CodeInvalidArgs: a call's arguments fail the argument schema of the
	// method in the contract's manifest; Error.Pointer names the field.
	CodeInvalidArgs Code = "invalid_args"
	// CodeBadManifest: a deploy's or upgrade's code carries a manifest
	// that is not valid (it does not parse, or a schema does not compile),
	// or none where the network policy requires one.
	CodeBadManifest Code = "bad_manifest"

	// 429
	CodeTooManyRequests Code = "too_many_requests" // too many concurrent waits or streams

	// 500
	CodeInternal Code = "internal"

	// 503: retry later (see the Retry-After header).
	CodeMempoolFull Code = "mempool_full"
	CodeUnavailable Code = "unavailable" // the node is shutting down or not ready
)

// ErrorResponse is the body of every non-2xx response.
type ErrorResponse struct {
	Error Error `json:"error"`
}

// Error is a machine-readable code with a human-readable message.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Pointer is set with invalid_args: the JSON pointer (RFC 6901) of the
	// failing value in the arguments, "" for the whole document.
	Pointer string `json:"pointer,omitempty"`
}

// Error implements error so that clients can return it as is.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }
