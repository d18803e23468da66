package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/sdk/api"
)

// Default gas limits of the transactions the client signs (see WithGasLimit
// and Op.WithGas). Gas is a resource bound, not a fee: a generous limit
// costs nothing unless used. A call's limit must stay within the node's
// per-transaction cap (100,000,000 by default). A deploy pays its
// intrinsic deploy gas (validation, instrumentation and compilation:
// about 3e10 for a Go contract of 3.6 MiB) before its init, and may name
// up to the block deploy gas limit, which is the default here.
const (
	DefaultGasLimit       = 50_000_000
	DefaultDeployGasLimit = block.DefaultBlockDeployGasLimit
)

// Client talks to one meshledger node. It is safe for concurrent use by any
// number of goroutines; transactions signed with its key get nonces from
// one shared counter (see Submit).
type Client struct {
	base     *url.URL
	hc       *http.Client
	retry    RetryPolicy
	key      *Key
	gasLimit uint64
	poll     time.Duration
	trusted  map[common.Address]bool

	chainOnce sync.Mutex // guards chainID
	chainID   uint64

	seq sequencer

	sessions sessionSigner
}

// Option configures a Client.
type Option func(*Client)

// WithKey sets the key transactions and read sessions are signed with:
// the client's reads then carry a session proving they come from the
// key's address (see DefaultSessionLifetime). Without a key the client
// reads anonymously, which a node allows only for its chain description,
// health and transaction submission.
func WithKey(k *Key) Option { return func(c *Client) { c.key = k } }

// WithHTTPClient replaces the default HTTP client (no overall timeout, so
// that event streams and waits are bounded by their contexts instead).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithRetry sets the retry policy for 429/503 and refused connections.
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// WithGasLimit sets the gas limit of signed transactions.
func WithGasLimit(g uint64) Option { return func(c *Client) { c.gasLimit = g } }

// WithChainID fixes the chain id instead of asking the node for it, so
// that a client never signs for a chain a compromised node names.
func WithChainID(id uint64) Option { return func(c *Client) { c.chainID = id } }

// WithPollInterval sets the longest pause between receipt polls while
// waiting for a transaction to commit.
func WithPollInterval(d time.Duration) Option { return func(c *Client) { c.poll = d } }

// WithTrustedNodes names the node addresses whose header signatures the
// Verify methods accept. Without it, nothing verifies.
func WithTrustedNodes(addrs ...common.Address) Option {
	return func(c *Client) {
		for _, a := range addrs {
			c.trusted[a] = true
		}
	}
}

// New returns a client of the node at baseURL (e.g. http://127.0.0.1:8080).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("client: node URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("client: node URL %q: want http(s)://host[:port]", baseURL)
	}
	c := &Client{
		base:     u,
		hc:       &http.Client{Transport: defaultTransport()},
		retry:    DefaultRetryPolicy(),
		gasLimit: DefaultGasLimit,
		poll:     200 * time.Millisecond,
		trusted:  map[common.Address]bool{},
		sessions: sessionSigner{lifetime: DefaultSessionLifetime, now: time.Now},
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// defaultTransport keeps enough idle connections per host for many
// concurrent submitters; the standard default of 2 would make most of them
// reconnect on every request.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	t.MaxIdleConns = 256
	return t
}

// Key is the client's signing key, or nil.
func (c *Client) Key() *Key { return c.key }

// BaseURL is the node's URL.
func (c *Client) BaseURL() string { return c.base.String() }

// request is one HTTP exchange. body is kept as bytes so that a retry can
// send it again.
type request struct {
	method string
	path   string // already escaped
	query  url.Values
	header http.Header
	body   []byte
	// anon sends the request without a read session: the chain
	// description (which signing a session needs) and submissions (a
	// signed transaction names its sender).
	anon bool
}

func (c *Client) url(path string, q url.Values) string {
	u := *c.base
	u.RawPath = u.Path + path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		p = u.RawPath
	}
	u.Path = p
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// do sends r with retries and decodes a 2xx JSON body into out (if not
// nil). It returns the final status.
//
// Unless r is anonymous, a client with a key sends its read session; when
// the node refuses that session (401 session_*: it expired in a suspended
// process, the clocks disagree...) the client signs a fresh one and tries
// once more.
func (c *Client) do(ctx context.Context, r request, out any) (int, error) {
	status, err := c.doSession(ctx, r, out, false)
	if err != nil && !r.anon && c.key != nil && isSessionRefused(err) {
		status, err = c.doSession(ctx, r, out, true)
	}
	return status, err
}

func (c *Client) doSession(ctx context.Context, r request, out any, renew bool) (int, error) {
	if !r.anon {
		auth, err := c.sessionHeader(ctx, renew)
		if err != nil {
			return 0, err
		}
		if auth != "" {
			r.header = r.header.Clone()
			if r.header == nil {
				r.header = http.Header{}
			}
			r.header.Set(api.HeaderAuthorization, auth)
		}
	}
	var status int
	err := withRetry(ctx, c.retry, func() error {
		var err error
		status, err = c.once(ctx, r, out)
		return err
	})
	return status, err
}

func (c *Client) once(ctx context.Context, r request, out any) (int, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.url(r.path, r.query), body)
	if err != nil {
		return 0, fmt.Errorf("client: %s %s: %w", r.method, r.path, err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("client: %s %s: %w", r.method, r.path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return resp.StatusCode, decodeAPIError(resp.StatusCode, resp.Header, b)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("client: %s %s: decode response: %w", r.method, r.path, err)
	}
	return resp.StatusCode, nil
}

func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: path, query: q}, out)
	return err
}

func (c *Client) post(ctx context.Context, path string, q url.Values, in, out any) (int, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return 0, fmt.Errorf("client: encode %s body: %w", path, err)
	}
	return c.do(ctx, request{method: http.MethodPost, path: path, query: q, body: b}, out)
}

// Health is GET /healthz (anonymous).
func (c *Client) Health(ctx context.Context) (*api.Health, error) {
	var h api.Health
	_, err := c.do(ctx, request{method: http.MethodGet, path: api.PathHealth, anon: true}, &h)
	return &h, err
}

// Chain is GET /v1/chain (anonymous: signing a read session needs the
// chain id it names).
func (c *Client) Chain(ctx context.Context) (*api.Chain, error) {
	var ch api.Chain
	_, err := c.do(ctx, request{method: http.MethodGet, path: api.PathChain, anon: true}, &ch)
	return &ch, err
}

// ChainID is the chain transactions are signed for: the one given by
// WithChainID, or the node's (asked once, then remembered).
func (c *Client) ChainID(ctx context.Context) (uint64, error) {
	c.chainOnce.Lock()
	defer c.chainOnce.Unlock()
	if c.chainID != 0 {
		return c.chainID, nil
	}
	ch, err := c.Chain(ctx)
	if err != nil {
		return 0, err
	}
	c.chainID = ch.ChainID
	return c.chainID, nil
}

// Account is GET /v1/accounts/{address}.
func (c *Client) Account(ctx context.Context, addr common.Address) (*api.Account, error) {
	var a api.Account
	return &a, c.get(ctx, api.PathAccounts+addr.Hex(), nil, &a)
}
