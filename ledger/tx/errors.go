package tx

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns matches exactly one of
// them under errors.Is, so callers (the ledger, the HTTP layer) can branch
// without parsing messages. ErrorCode maps them to stable wire codes.
var (
	// ErrMalformed: the transaction is not well formed. The concrete error
	// is a *FieldError naming the offending field.
	ErrMalformed = errors.New("malformed transaction")
	// ErrTooLarge: a size limit was exceeded. The concrete error is a
	// *LimitError naming the field, its size and the limit.
	ErrTooLarge = errors.New("transaction too large")
	// ErrBadSignature: the signature is not a valid secp256k1 signature
	// over the transaction hash (bad v, r or s out of range, recovery failed).
	ErrBadSignature = errors.New("bad signature")
	// ErrHighS: s is above secp256k1n/2. Only the low-s form is accepted,
	// so a signature cannot be made malleable.
	ErrHighS = errors.New("signature s value is not low (s > secp256k1n/2)")
	// ErrSenderMismatch: the signature is valid but was made by a key other
	// than the message's sender ("from").
	ErrSenderMismatch = errors.New("signer does not match sender")
	// ErrWrongChain: the transaction was signed for another chain id.
	ErrWrongChain = errors.New("wrong chain id")
	// ErrCodeHashMismatch: code travels with a deploy but its keccak256 is
	// not the signed codeHash.
	ErrCodeHashMismatch = errors.New("code does not match codeHash")
	// ErrNonceTooLow: the sender's nonce has already been used.
	ErrNonceTooLow = errors.New("nonce too low")
	// ErrNonceTooHigh: the nonce is ahead of the sender's next nonce.
	ErrNonceTooHigh = errors.New("nonce too high")
	// ErrGasLimitTooHigh: the transaction's gas limit exceeds the block's
	// or the per-transaction cap. The concrete error is a *GasLimitError.
	ErrGasLimitTooHigh = errors.New("gas limit too high")
)

// FieldError reports a well-formedness problem in one field. Field is the
// JSON path of the field ("message.nonce", "signature", "envelope" for the
// document as a whole).
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("malformed transaction: %s: %s", e.Field, e.Reason)
}

// Unwrap makes errors.Is(err, ErrMalformed) hold.
func (e *FieldError) Unwrap() error { return ErrMalformed }

func malformed(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// LimitError reports a size limit exceeded by one field ("envelope" for the
// whole encoding, "code", "message.args", ...). Sizes are in bytes.
type LimitError struct {
	Field string
	Size  int
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("transaction too large: %s is %d bytes, limit %d", e.Field, e.Size, e.Limit)
}

// Unwrap makes errors.Is(err, ErrTooLarge) hold.
func (e *LimitError) Unwrap() error { return ErrTooLarge }

// NonceError reports a nonce that is not the sender's next one. It matches
// ErrNonceTooLow or ErrNonceTooHigh under errors.Is.
type NonceError struct {
	Got  uint64 // the transaction's nonce
	Want uint64 // the sender's next nonce
}

func (e *NonceError) Error() string {
	return fmt.Sprintf("%v: got %d, want %d", e.Unwrap(), e.Got, e.Want)
}

func (e *NonceError) Unwrap() error {
	if e.Got < e.Want {
		return ErrNonceTooLow
	}
	return ErrNonceTooHigh
}

// CheckNonce returns nil if got is the sender's next nonce want, otherwise
// a *NonceError. The ledger calls it with the nonce from its state.
func CheckNonce(got, want uint64) error {
	if got == want {
		return nil
	}
	return &NonceError{Got: got, Want: want}
}

// GasLimitError reports a transaction gas limit above a limit: the block
// gas limit, the cap on one transaction when PerTx is set, or the block
// deploy gas limit when Deploy is set.
type GasLimitError struct {
	GasLimit   uint64
	BlockLimit uint64 // the limit exceeded
	PerTx      bool
	Deploy     bool
}

func (e *GasLimitError) Error() string {
	what := "block gas limit"
	switch {
	case e.PerTx:
		what = "per-transaction gas cap"
	case e.Deploy:
		what = "block deploy gas limit"
	}
	return fmt.Sprintf("%v: %d exceeds the %s of %d", ErrGasLimitTooHigh, e.GasLimit, what, e.BlockLimit)
}

// Unwrap makes errors.Is(err, ErrGasLimitTooHigh) hold.
func (e *GasLimitError) Unwrap() error { return ErrGasLimitTooHigh }

// CheckGasLimit returns a *GasLimitError if gasLimit exceeds blockLimit.
func CheckGasLimit(gasLimit, blockLimit uint64) error {
	if gasLimit <= blockLimit {
		return nil
	}
	return &GasLimitError{GasLimit: gasLimit, BlockLimit: blockLimit}
}

// CheckTxGasCap returns a *GasLimitError with PerTx set if gasLimit
// exceeds the per-transaction cap: no one transaction may hold a block
// (and the node) for longer than the cap buys.
func CheckTxGasCap(gasLimit, txCap uint64) error {
	if gasLimit <= txCap {
		return nil
	}
	return &GasLimitError{GasLimit: gasLimit, BlockLimit: txCap, PerTx: true}
}

// CheckDeployGasLimit returns a *GasLimitError with Deploy set if a
// deploy's gasLimit exceeds the block deploy gas limit, more than it could
// ever use.
func CheckDeployGasLimit(gasLimit, deployLimit uint64) error {
	if gasLimit <= deployLimit {
		return nil
	}
	return &GasLimitError{GasLimit: gasLimit, BlockLimit: deployLimit, Deploy: true}
}

// errorCodes is ordered so the first match wins; each sentinel is distinct,
// so the order only matters for readability.
var errorCodes = []struct {
	err  error
	code string
}{
	{ErrMalformed, "malformed"},
	{ErrTooLarge, "too_large"},
	{ErrBadSignature, "bad_signature"},
	{ErrHighS, "high_s"},
	{ErrSenderMismatch, "sender_mismatch"},
	{ErrWrongChain, "wrong_chain"},
	{ErrCodeHashMismatch, "code_hash_mismatch"},
	{ErrNonceTooLow, "nonce_too_low"},
	{ErrNonceTooHigh, "nonce_too_high"},
	{ErrGasLimitTooHigh, "gas_limit_too_high"},
}

// ErrorCode returns the stable wire code ("malformed", "high_s", ...) for an
// error from this package, or "" if err matches none of its sentinels. The
// codes are part of the public interface (docs/transactions.md).
func ErrorCode(err error) string {
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return ""
}
