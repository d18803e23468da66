package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/meshledger/meshledger/ledger/tx"
)

// Read sessions. A node answers most reads only to a member of the network
// who proves who it is: the client signs an EIP-712 ReadSession with its
// key (tx.SignSession) and sends it in the Authorization header of every
// read. One signature serves many requests, so the client signs once and
// renews the session before it runs out, not per request.
const (
	// DefaultSessionLifetime is how long a session the client signs stays
	// valid. Short enough that a leaked header is soon useless, long
	// enough that signing costs nothing next to the reads it serves.
	DefaultSessionLifetime = time.Hour
	// sessionBackdate is how far in the past a session says it was issued,
	// so that a node whose clock is a little behind the client's still
	// accepts it at once.
	sessionBackdate = 5 * time.Second
)

// ErrSessionLifetime is returned by reads of a client whose
// WithSessionLifetime no node accepts.
var ErrSessionLifetime = errors.New("client: read session lifetime out of range")

// WithSessionLifetime sets the lifetime of the read sessions the client
// signs (default DefaultSessionLifetime). Nodes refuse sessions of more
// than 24 h, counted from the issue time, which the client sets a few
// seconds in the past.
func WithSessionLifetime(d time.Duration) Option { return func(c *Client) { c.sessions.lifetime = d } }

// withClock replaces the wall clock the sessions are dated with (tests).
func withClock(now func() time.Time) Option { return func(c *Client) { c.sessions.now = now } }

// sessionSigner holds the client's current read session. It is renewed
// once 80% of its lifetime has passed, so a request never carries a
// session about to expire in flight.
type sessionSigner struct {
	lifetime time.Duration
	now      func() time.Time

	mu      sync.Mutex
	header  string
	renewAt time.Time
}

// sessionHeader returns the Authorization header of the client's current
// read session, signing a new one when there is none, it is due for
// renewal, or force is set (the node refused the last one). It returns ""
// for a client without a key, which reads anonymously.
func (c *Client) sessionHeader(ctx context.Context, force bool) (string, error) {
	if c.key == nil {
		return "", nil
	}
	s := &c.sessions
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !force && s.header != "" && now.Before(s.renewAt) {
		return s.header, nil
	}
	if s.lifetime <= 0 || s.lifetime.Milliseconds()+sessionBackdate.Milliseconds() > tx.MaxSessionLifetimeMs {
		// Every node would refuse it (session_too_long): say so here.
		return "", fmt.Errorf("%w: %s (at most %s)", ErrSessionLifetime, s.lifetime,
			time.Duration(tx.MaxSessionLifetimeMs)*time.Millisecond-sessionBackdate)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return "", fmt.Errorf("client: read session: %w", err)
	}
	issued := now.Add(-sessionBackdate)
	rs := tx.ReadSession{
		Reader:    c.key.Address(),
		IssuedMs:  uint64(issued.UnixMilli()),
		ExpiresMs: uint64(now.Add(s.lifetime).UnixMilli()),
	}
	signed, err := tx.SignSession(rs, chainID, c.key.PrivateKey())
	if err != nil {
		return "", fmt.Errorf("client: sign read session: %w", err)
	}
	s.header = signed.Header()
	s.renewAt = now.Add(s.lifetime * 4 / 5)
	return s.header, nil
}

// isSessionRefused reports whether the node refused the session itself
// (expired, not yet valid, badly signed...), which a fresh one may cure:
// the 401 codes session_*. A missing session (unauthenticated) is not one
// of them.
func isSessionRefused(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusUnauthorized && strings.HasPrefix(ae.Code, "session_")
}
