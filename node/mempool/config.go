package mempool

import (
	"errors"
	"fmt"
	"time"
)

// Default bounds, each written once: DefaultConfig returns them and
// WithDefaults fills zero fields from DefaultConfig.
const (
	DefaultMaxTxs       = 10_000
	DefaultMaxBytes     = 256 << 20
	DefaultNonceWindow  = 64
	DefaultMaxAge       = 10 * time.Minute
	DefaultKeepDropped  = 10_000
	DefaultDroppedTTL   = 10 * time.Minute
	DefaultGappedMaxAge = time.Minute
)

// Config bounds the pool. Zero fields take their defaults (WithDefaults),
// so a caller sets only what it changes.
type Config struct {
	MaxTxs      int           // pending transactions
	MaxBytes    int           // sum of Entry.Size
	NonceWindow uint64        // accepted nonces: [next, next+NonceWindow)
	MaxAge      time.Duration // a transaction not included by then is dropped
	KeepDropped int           // drop reasons remembered (count)
	DroppedTTL  time.Duration // drop reasons remembered (time)
	// MaxGapped bounds the transactions waiting behind a nonce gap (a
	// missing lower nonce of their sender): without it, senders that
	// never send their next nonce could fill the pool for everyone.
	// Default MaxTxs/4.
	MaxGapped int
	// GappedMaxAge drops a transaction still behind a gap that long after
	// it arrived (default 1 minute, at most MaxAge): a gap that honest
	// out-of-order delivery opens closes within moments.
	GappedMaxAge time.Duration
}

// DefaultConfig returns the default bounds, every field set.
func DefaultConfig() Config {
	return Config{
		MaxTxs:       DefaultMaxTxs,
		MaxBytes:     DefaultMaxBytes,
		NonceWindow:  DefaultNonceWindow,
		MaxAge:       DefaultMaxAge,
		KeepDropped:  DefaultKeepDropped,
		DroppedTTL:   DefaultDroppedTTL,
		MaxGapped:    DefaultMaxTxs / 4,
		GappedMaxAge: DefaultGappedMaxAge,
	}
}

// WithDefaults returns c as a pool runs it: each zero field takes its
// default (MaxGapped is derived from c's own MaxTxs), and GappedMaxAge is
// capped at MaxAge. It never fails: a negative value, which Validate
// rejects, is treated as unset, as New always has.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.MaxTxs <= 0 {
		c.MaxTxs = d.MaxTxs
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = d.MaxBytes
	}
	if c.NonceWindow == 0 {
		c.NonceWindow = d.NonceWindow
	}
	if c.MaxAge <= 0 {
		c.MaxAge = d.MaxAge
	}
	if c.KeepDropped <= 0 {
		c.KeepDropped = d.KeepDropped
	}
	if c.DroppedTTL <= 0 {
		c.DroppedTTL = d.DroppedTTL
	}
	if c.MaxGapped <= 0 {
		c.MaxGapped = max(1, c.MaxTxs/4)
	}
	if c.GappedMaxAge <= 0 {
		c.GappedMaxAge = d.GappedMaxAge
	}
	c.GappedMaxAge = min(c.GappedMaxAge, c.MaxAge)
	return c
}

// ErrBadConfig reports a Config that no default can mend.
var ErrBadConfig = errors.New("mempool: bad config")

// Validate reports every field of c that cannot bound a pool: a negative
// count, size or age. Zero is valid everywhere: it means the default.
func (c Config) Validate() error {
	return errors.Join(
		notNegative("MaxTxs", c.MaxTxs),
		notNegative("MaxBytes", c.MaxBytes),
		notNegative("MaxAge", c.MaxAge),
		notNegative("KeepDropped", c.KeepDropped),
		notNegative("DroppedTTL", c.DroppedTTL),
		notNegative("MaxGapped", c.MaxGapped),
		notNegative("GappedMaxAge", c.GappedMaxAge),
	)
}

func notNegative[T int | time.Duration](name string, v T) error {
	if v < 0 {
		return fmt.Errorf("%w: %s is %v; it must not be negative (zero means the default)", ErrBadConfig, name, v)
	}
	return nil
}
