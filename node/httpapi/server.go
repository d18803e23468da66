package httpapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshledger/meshledger/internal/memo"
	"github.com/meshledger/meshledger/sdk/api"
)

// Config bounds the API. Zero fields take the defaults of DefaultConfig.
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
	// MaxWait caps the wait; DefaultWait is used when no timeout is given.
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
	// QueryGasCap bounds POST .../query (the ledger applies its own cap too).
	QueryGasCap uint64
	// RetryAfter is sent with 429 and 503.
	RetryAfter time.Duration
	// Logger receives internal errors (slog.Default() when nil).
	Logger *slog.Logger
}

// DefaultConfig returns the default bounds.
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
		QueryGasCap:        100_000_000,
		RetryAfter:         time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	if c.MaxLargeBodies <= 0 {
		c.MaxLargeBodies = d.MaxLargeBodies
	}
	if c.SmallBodyBytes <= 0 {
		c.SmallBodyBytes = d.SmallBodyBytes
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = d.ReadHeaderTimeout
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = d.MaxBatch
	}
	if c.MaxWaits <= 0 {
		c.MaxWaits = d.MaxWaits
	}
	if c.MaxWait <= 0 {
		c.MaxWait = d.MaxWait
	}
	if c.DefaultWait <= 0 {
		c.DefaultWait = d.DefaultWait
	}
	if c.DefaultWait > c.MaxWait {
		c.DefaultWait = c.MaxWait
	}
	if c.MaxStreams <= 0 {
		c.MaxStreams = d.MaxStreams
	}
	if c.MaxQueries <= 0 {
		c.MaxQueries = d.MaxQueries
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = d.Heartbeat
	}
	if c.StreamWriteTimeout <= 0 {
		c.StreamWriteTimeout = d.StreamWriteTimeout
	}
	if c.QueryGasCap == 0 {
		c.QueryGasCap = d.QueryGasCap
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = d.RetryAfter
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func (c Config) retryAfterSeconds() int {
	s := int((c.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}

// Deps are the node components the API serves.
type Deps struct {
	Ledger      Ledger
	Pool        Pool
	Commits     Commits
	NodeAddress common.Address // the block signer, shown by GET /v1/chain
	// Registry receives the API's metrics and is served at /metrics. A
	// private registry: nothing global.
	Registry *prometheus.Registry
	// Refused counts transactions refused at submission, by one label:
	// the reason code (the api.Code a client sees). Every refusal is
	// counted, from an unreadable or oversized body to a full mempool.
	// Nil counts nothing.
	Refused *prometheus.CounterVec
}

// Server is the HTTP API. It is an http.Handler; the caller runs it on its
// own listener and http.Server.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	echo    *echo.Echo
	metrics *httpMetrics
	routes  []route
	genesis common.Hash // hash of block 0

	openAPIOnce sync.Once
	openAPI     []byte

	frames *memo.Cache[uint64, *blockFrames] // SSE frames of the latest blocks, rendered once for all streams

	bodies  chan struct{} // semaphore of large bodies being read
	waits   chan struct{} // semaphore of concurrent waits
	queries chan struct{} // semaphore of concurrent queries
	streams chan struct{} // semaphore of concurrent streams

	closeOnce sync.Once
	closing   chan struct{} // closed by Close: waits and streams end
}

// New builds the API over deps.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Ledger == nil || deps.Pool == nil || deps.Commits == nil || deps.Registry == nil {
		return nil, errors.New("httpapi: Ledger, Pool, Commits and Registry are required")
	}
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:     cfg,
		deps:    deps,
		log:     cfg.Logger,
		echo:    echo.New(),
		bodies:  make(chan struct{}, cfg.MaxLargeBodies),
		waits:   make(chan struct{}, cfg.MaxWaits),
		queries: make(chan struct{}, cfg.MaxQueries),
		streams: make(chan struct{}, cfg.MaxStreams),
		closing: make(chan struct{}),
	}
	// Committed blocks never change, so kept frames are never stale.
	s.frames = memo.New(framesKept, s.renderBlock)
	g, err := deps.Ledger.Header(0)
	if err != nil {
		return nil, fmt.Errorf("httpapi: genesis header: %w", err)
	}
	s.genesis = g.Hash()
	m, err := newHTTPMetrics(deps.Registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.errorHandler
	s.echo.Pre(s.limitHeaders)
	s.echo.Use(s.metrics.middleware)
	s.routes = s.routeTable()
	for _, r := range s.routes {
		s.echo.Add(r.method, r.path, r.handler).Name = r.name
	}
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Echo exposes the router (for route listing in tests and tools).
func (s *Server) Echo() *echo.Echo { return s.echo }

// Close ends every open wait and event stream (streams end cleanly; the
// client resumes elsewhere or later with Last-Event-ID) and makes new ones
// fail with 503. Call it before http.Server.Shutdown, which waits for
// handlers to return.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
}

func (s *Server) closed() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// readBody reads a request body of at most MaxBodyBytes. A large body (or
// one of unknown length) needs one of MaxLargeBodies slots while it is
// read; none free is 429, which a client retries.
func (s *Server) readBody(c echo.Context) ([]byte, error) {
	if n := c.Request().ContentLength; n < 0 || n > s.cfg.SmallBodyBytes {
		select {
		case s.bodies <- struct{}{}:
			defer func() { <-s.bodies }()
		default:
			return nil, fmt.Errorf("%w: limit %d", ErrTooManyBodies, s.cfg.MaxLargeBodies)
		}
	}
	r := http.MaxBytesReader(c.Response(), c.Request().Body, s.cfg.MaxBodyBytes)
	b, err := io.ReadAll(r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("%w: limit %d bytes", ErrBodyTooLarge, mbe.Limit)
		}
		return nil, fmt.Errorf("%w: reading body: %v", ErrBadRequest, err)
	}
	return b, nil
}
