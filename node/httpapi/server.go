package httpapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshledger/meshledger/internal/memo"
	"github.com/meshledger/meshledger/node/explorer"
	"github.com/meshledger/meshledger/sdk/api"
)

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
	// Consensus, on a CometBFT chain, describes the validator set for GET
	// /v1/chain and serves the evidence of GET /v1/consensus/...; nil on
	// a solo chain.
	Consensus Consensus
	// Registry receives the API's metrics and is served at /metrics. A
	// private registry: nothing global.
	Registry *prometheus.Registry
	// Refused counts transactions refused at submission, by one label:
	// the reason code (the api.Code a client sees). Every refusal is
	// counted, from an unreadable or oversized body to a full mempool.
	// Nil counts nothing.
	Refused *prometheus.CounterVec
}

// Consensus is what the API serves of a CometBFT network: its validator
// set and height (GET /v1/chain) and the evidence behind the chain's
// headers (GET /v1/consensus/...).
type Consensus interface {
	// Validators is the validator set of the next height.
	Validators() ([]api.Validator, error)
	// Height is the last CometBFT height this node committed.
	Height() uint64
	ConsensusProofs
}

// Server is the HTTP API. It is an http.Handler; the caller runs it on its
// own listener and http.Server.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	echo    *echo.Echo
	metrics *httpMetrics
	// explorer serves the web explorer's static files beside the API,
	// outside Echo's route table (which is the API's, and documented).
	explorer *explorer.Handler
	// extraGatherers are served at /metrics beside metrics (AddGatherer).
	extraGatherers atomic.Pointer[prometheus.Gatherers]
	gathererMu     sync.Mutex
	routes         []route
	genesis        common.Hash // hash of block 0

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

// New builds the API over deps with cfg.WithDefaults(); a cfg that
// Validate rejects is an error.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Ledger == nil || deps.Pool == nil || deps.Commits == nil || deps.Registry == nil {
		return nil, errors.New("httpapi: Ledger, Pool, Commits and Registry are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	cfg = cfg.WithDefaults()
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
	if s.explorer, err = explorer.New(); err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.errorHandler
	s.echo.Pre(s.limitHeaders)
	s.echo.Use(s.metrics.middleware)
	auth := SessionAuthWithConfig(SessionAuthConfig{
		ChainID:   deps.Ledger.ChainID(),
		Viewer:    deps.Ledger.ViewerAt,
		Verify:    cfg.SessionVerifier,
		CacheSize: cfg.SessionCacheSize,
		Observe:   s.metrics.observeSession,
	})
	s.routes = s.routeTable()
	for _, r := range s.routes {
		h := r.handler
		if !r.anonymous {
			h = auth(h)
		}
		s.echo.Add(r.method, r.path, h).Name = r.name
	}
	return s, nil
}

// ServeHTTP implements http.Handler: the explorer's paths ("/" and
// /assets/...) go to the explorer, anonymous static files; everything
// else to the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if explorer.Serves(r.URL.Path) {
		s.explorer.ServeHTTP(w, r)
		return
	}
	s.echo.ServeHTTP(w, r)
}

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
