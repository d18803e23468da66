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
)

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
