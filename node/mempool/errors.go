package mempool

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

var (
	// ErrFull: the pool is at its transaction count or byte bound.
	ErrFull = errors.New("mempool full")
	// ErrNonceConflict: another transaction of the sender with this nonce
	// is pending.
	ErrNonceConflict = errors.New("another transaction with this nonce is pending")
	// ErrNonceTooHigh: the nonce is beyond the window above the sender's
	// committed next nonce.
	ErrNonceTooHigh = errors.New("nonce beyond the pending window")
	// ErrNonceTooLow: the nonce is below the sender's committed next nonce.
	ErrNonceTooLow = errors.New("nonce already used")
	// ErrStale: a block committed while the caller was checking the
	// transaction; check again with fresh state.
	ErrStale = errors.New("ledger advanced during admission")
	// ErrExpired is the reason recorded for a transaction that waited
	// longer than Config.MaxAge without becoming includable.
	ErrExpired = errors.New("expired in the mempool")
	// ErrGapExpired is the reason recorded for a transaction that waited
	// behind a nonce gap longer than Config.GappedMaxAge.
	ErrGapExpired = fmt.Errorf("%w behind a nonce gap", ErrExpired)
)

// GapError refuses a transaction that would wait behind a nonce gap while
// Config.MaxGapped transactions already do. It is ErrFull to errors.Is:
// the pool has no room for it, though it would have room for the missing
// nonce.
type GapError struct {
	Sender  common.Address
	Nonce   uint64
	Missing uint64 // the sender's lowest nonce that is neither committed nor pending
	Limit   int
}

func (e *GapError) Error() string {
	return fmt.Sprintf("%v: %d transactions already wait behind nonce gaps: sender %s nonce %d would wait for nonce %d; send nonce %d first",
		ErrFull, e.Limit, e.Sender, e.Nonce, e.Missing, e.Missing)
}

// Unwrap makes errors.Is(err, ErrFull) hold.
func (e *GapError) Unwrap() error { return ErrFull }

// ConflictError names the pending transaction that holds the nonce.
type ConflictError struct {
	Sender  common.Address
	Nonce   uint64
	Pending common.Hash
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v: sender %s nonce %d is held by %s", ErrNonceConflict, e.Sender, e.Nonce, e.Pending)
}

// Unwrap makes errors.Is(err, ErrNonceConflict) hold.
func (e *ConflictError) Unwrap() error { return ErrNonceConflict }

// WindowError reports a nonce outside [next, next+window).
type WindowError struct {
	Nonce, Next, Window uint64
}

func (e *WindowError) Error() string {
	return fmt.Sprintf("%v: nonce %d, next %d, window %d", e.Unwrap(), e.Nonce, e.Next, e.Window)
}

// Unwrap makes errors.Is match ErrNonceTooLow or ErrNonceTooHigh.
func (e *WindowError) Unwrap() error {
	if e.Nonce < e.Next {
		return ErrNonceTooLow
	}
	return ErrNonceTooHigh
}
