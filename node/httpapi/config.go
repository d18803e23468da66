package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/sdk/api"
)

// Config bounds the API. Zero fields take their defaults (WithDefaults),
// so a caller sets only what it changes.
type Config struct {
	// MaxBodyBytes bounds a request body: room for a deploy carrying an
	// 8 MiB module as hex, plus its envelope.
	MaxBodyBytes int64
	// MaxLargeBodies bounds how many request bodies above SmallBodyBytes
	// (or of unknown length) are read at once (429 beyond), so that slow
	// senders cannot pin MaxBodyBytes of memory each on many connections.
	// Bodies of a declared length up to SmallBodyBytes are not counted.
	MaxLargeBodies int
	SmallBodyBytes int64
	// MaxHeaderBytes bounds the request line and headers together (431
	// beyond, with the JSON error body, see HTTPServer and
	// JSONErrorListener). ReadHeaderTimeout bounds reading them.
	MaxHeaderBytes    int
	ReadHeaderTimeout time.Duration
	// MaxBatch bounds POST /v1/txs/batch.
	MaxBatch int
	// MaxWaits bounds concurrent POST /v1/txs?wait=true requests (429 beyond).
	MaxWaits int
	// MaxWait caps the wait; DefaultWait is used when no timeout is given
	// (at most MaxWait).
	MaxWait     time.Duration
	DefaultWait time.Duration
	// MaxQueries bounds concurrent POST .../query calls (429 beyond): each
	// may run up to QueryGasCap.
	MaxQueries int
	// MaxStreams bounds concurrent GET /v1/events streams (429 beyond).
	MaxStreams int
	// Heartbeat is the SSE keep-alive comment interval.
	Heartbeat time.Duration
	// StreamWriteTimeout drops an SSE client that cannot take one write in
	// this time; it resumes with Last-Event-ID, losing nothing.
	StreamWriteTimeout time.Duration
	// QueryGasCap bounds POST .../query (the ledger applies its own cap
	// too; default ledger.DefaultQueryGasCap, the same).
	QueryGasCap uint64
	// RetryAfter is sent with 429 and 503.
	RetryAfter time.Duration
	// SessionCacheSize bounds the verified read sessions kept
	// (DefaultSessionCacheSize when zero).
	SessionCacheSize int
	// SessionVerifier checks read sessions not in the cache (default
	// (*tx.SignedSession).Verify); tests count recoveries with it.
	SessionVerifier SessionVerifier
	// Logger receives internal errors (slog.Default() when nil).
	Logger *slog.Logger
}

// DefaultConfig returns the default bounds, every field but Logger and
// SessionVerifier set: the one place they are written.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:       20 << 20,
		MaxLargeBodies:     16,
		SmallBodyBytes:     64 << 10,
		MaxHeaderBytes:     1 << 20,
		ReadHeaderTimeout:  10 * time.Second,
		MaxBatch:           api.MaxBatch,
		MaxWaits:           1024,
		MaxWait:            30 * time.Second,
		DefaultWait:        10 * time.Second,
		MaxStreams:         256,
		MaxQueries:         64,
		Heartbeat:          15 * time.Second,
		StreamWriteTimeout: 10 * time.Second,
		QueryGasCap:        ledger.DefaultQueryGasCap,
		RetryAfter:         time.Second,
		SessionCacheSize:   DefaultSessionCacheSize,
	}
}

// WithDefaults returns c as New runs it: each zero field takes its
// DefaultConfig value (Logger: slog.Default()), and DefaultWait is capped
// at MaxWait. It never fails: a negative value, which Validate rejects, is
// treated as unset.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	orDefault(&c.MaxBodyBytes, d.MaxBodyBytes)
	orDefault(&c.MaxLargeBodies, d.MaxLargeBodies)
	orDefault(&c.SmallBodyBytes, d.SmallBodyBytes)
	orDefault(&c.MaxHeaderBytes, d.MaxHeaderBytes)
	orDefault(&c.ReadHeaderTimeout, d.ReadHeaderTimeout)
	orDefault(&c.MaxBatch, d.MaxBatch)
	orDefault(&c.MaxWaits, d.MaxWaits)
	orDefault(&c.MaxWait, d.MaxWait)
	orDefault(&c.DefaultWait, d.DefaultWait)
	c.DefaultWait = min(c.DefaultWait, c.MaxWait)
	orDefault(&c.MaxStreams, d.MaxStreams)
	orDefault(&c.MaxQueries, d.MaxQueries)
	orDefault(&c.Heartbeat, d.Heartbeat)
	orDefault(&c.StreamWriteTimeout, d.StreamWriteTimeout)
	if c.QueryGasCap == 0 {
		c.QueryGasCap = d.QueryGasCap
	}
	orDefault(&c.RetryAfter, d.RetryAfter)
	orDefault(&c.SessionCacheSize, d.SessionCacheSize)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// ErrBadConfig reports a Config that no default can mend.
var ErrBadConfig = errors.New("bad API config")

// Validate reports every field of c that cannot bound the API: a negative
// size, count or duration. Zero is valid everywhere: it means the default.
func (c Config) Validate() error {
	return errors.Join(
		notNegative("MaxBodyBytes", c.MaxBodyBytes),
		notNegative("MaxLargeBodies", c.MaxLargeBodies),
		notNegative("SmallBodyBytes", c.SmallBodyBytes),
		notNegative("MaxHeaderBytes", c.MaxHeaderBytes),
		notNegative("ReadHeaderTimeout", c.ReadHeaderTimeout),
		notNegative("MaxBatch", c.MaxBatch),
		notNegative("MaxWaits", c.MaxWaits),
		notNegative("MaxWait", c.MaxWait),
		notNegative("DefaultWait", c.DefaultWait),
		notNegative("MaxQueries", c.MaxQueries),
		notNegative("MaxStreams", c.MaxStreams),
		notNegative("Heartbeat", c.Heartbeat),
		notNegative("StreamWriteTimeout", c.StreamWriteTimeout),
		notNegative("RetryAfter", c.RetryAfter),
		notNegative("SessionCacheSize", c.SessionCacheSize),
	)
}

type signed interface {
	~int | ~int64
}

// orDefault sets *v to d when it is unset (zero, or negative: see
// WithDefaults).
func orDefault[T signed](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

func notNegative[T signed](name string, v T) error {
	if v < 0 {
		return fmt.Errorf("%w: %s is %v; it must not be negative (zero means the default)", ErrBadConfig, name, v)
	}
	return nil
}
