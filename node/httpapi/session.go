package httpapi

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/lru"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
)

// ErrUnauthenticated: a route that needs a read session got none.
var ErrUnauthenticated = errors.New("a read session is required: send Authorization: MeshSession <signed ReadSession> (see GET /v1/chain)")

// SessionVerifier checks a parsed session for chainID at nowMs and returns
// its reader. The default is (*tx.SignedSession).Verify: one signature
// recovery.
type SessionVerifier func(s *tx.SignedSession, chainID, nowMs uint64) (common.Address, error)

// SessionAuthConfig configures SessionAuthWithConfig.
type SessionAuthConfig struct {
	// ChainID is the chain sessions must be signed for.
	ChainID uint64
	// Viewer returns the reader's member record at the latest block
	// (Ledger.ViewerAt). Required.
	Viewer func(addr common.Address) (*ledger.Viewer, error)
	// Verify checks a session not found in the cache (default
	// (*tx.SignedSession).Verify).
	Verify SessionVerifier
	// Now is the clock sessions are checked against (default time.Now).
	Now func() time.Time
	// CacheSize bounds the verified sessions kept (default
	// DefaultSessionCacheSize).
	CacheSize int
	// Observe, when set, is told of each session checked: cached reports
	// whether the signature recovery was saved.
	Observe func(cached bool)
}

// DefaultSessionCacheSize is how many verified sessions are kept: one per
// active reader and node is the usual load, so a few thousand cover every
// partner's clients; an evicted one costs one more recovery.
const DefaultSessionCacheSize = 4096

// DefaultSessionAuthConfig returns the defaults of every field but ChainID
// and Viewer.
func DefaultSessionAuthConfig() SessionAuthConfig {
	return SessionAuthConfig{
		Verify:    (*tx.SignedSession).Verify,
		Now:       time.Now,
		CacheSize: DefaultSessionCacheSize,
	}
}

// verifiedSession is what the cache keeps of a session whose signature
// checked out: the reader and the bounds that still have to be checked
// against the clock on every use.
type verifiedSession struct {
	reader    common.Address
	expiresMs uint64
}

// viewerKey is where the middleware leaves the reader's *ledger.Viewer in
// the Echo context.
const viewerKey = "meshledger.viewer"

// SessionAuthWithConfig returns a middleware that authenticates the reader
// of a request by its Authorization: MeshSession header and refuses
// readers who are not members. The handler finds the reader with
// viewerOf. Sessions whose signature was verified are cached by their
// header text (bounded LRU), so a client that reuses its session pays one
// signature recovery per node, not one per request; a cached session is
// still refused once it expires.
func SessionAuthWithConfig(cfg SessionAuthConfig) echo.MiddlewareFunc {
	d := DefaultSessionAuthConfig()
	if cfg.Verify == nil {
		cfg.Verify = d.Verify
	}
	if cfg.Now == nil {
		cfg.Now = d.Now
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = d.CacheSize
	}
	if cfg.Viewer == nil {
		panic("httpapi: SessionAuthConfig.Viewer is required")
	}
	a := &sessionAuth{cfg: cfg, cache: lru.NewCache[string, verifiedSession](cfg.CacheSize)}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			v, err := a.viewer(c.Request().Header.Get(api.HeaderAuthorization))
			if err != nil {
				return err
			}
			c.Set(viewerKey, v)
			return next(c)
		}
	}
}

type sessionAuth struct {
	cfg   SessionAuthConfig
	cache *lru.Cache[string, verifiedSession]
}

// viewer authenticates header and returns the reader, a member.
func (a *sessionAuth) viewer(header string) (*ledger.Viewer, error) {
	reader, err := a.reader(header)
	if err != nil {
		return nil, err
	}
	v, err := a.cfg.Viewer(reader)
	if err != nil {
		return nil, fmt.Errorf("member record of reader %s: %w", reader, err)
	}
	if v == nil || v.Member == nil {
		return nil, fmt.Errorf("reader %s: %w", reader, ledger.ErrNotAMember)
	}
	return v, nil
}

// reader returns the address a session header authenticates.
func (a *sessionAuth) reader(header string) (common.Address, error) {
	if strings.TrimSpace(header) == "" {
		return common.Address{}, ErrUnauthenticated
	}
	now := a.cfg.Now().UnixMilli()
	if now < 0 {
		now = 0
	}
	nowMs := uint64(now)
	if vs, ok := a.cache.Get(header); ok {
		if nowMs >= vs.expiresMs {
			a.cache.Remove(header)
			return common.Address{}, fmt.Errorf("session of %s expired at %d ms: %w", vs.reader, vs.expiresMs, tx.ErrSessionExpired)
		}
		a.observe(true)
		return vs.reader, nil
	}
	s, err := tx.ParseSession(header)
	if err != nil {
		return common.Address{}, fmt.Errorf("authorization: %w", err)
	}
	reader, err := a.cfg.Verify(s, a.cfg.ChainID, nowMs)
	a.observe(false)
	if err != nil {
		return common.Address{}, fmt.Errorf("authorization: %w", err)
	}
	// Only verified sessions are kept: a refused one is refused again at
	// full cost, but then a flood of bad headers cannot evict good ones.
	a.cache.Add(header, verifiedSession{reader: reader, expiresMs: s.Session.ExpiresMs})
	return reader, nil
}

func (a *sessionAuth) observe(cached bool) {
	if a.cfg.Observe != nil {
		a.cfg.Observe(cached)
	}
}

// viewerOf returns the authenticated reader of a request that went
// through the session middleware.
func viewerOf(c echo.Context) *ledger.Viewer {
	v, _ := c.Get(viewerKey).(*ledger.Viewer)
	return v
}
