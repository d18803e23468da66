// Package nodetest starts real nodes for tests: a real ledger in
// t.TempDir(), real Wasm contracts, the real HTTP API on 127.0.0.1:0, and
// helpers to sign transactions and call the API. It is for tests only.
package nodetest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// Node is a node under test.
type Node struct {
	*node.Node
	T   testing.TB
	Dir string
	// Started: the node produces blocks itself (Start); otherwise CommitAll
	// produces the blocks it waits for (Open).
	Started bool
}

// Config returns a test configuration in dir: small intervals, quiet logs,
// compiled contract code shared with every test process.
func Config(dir string) node.Config {
	return node.Config{
		DataDir:          dir,
		BlockInterval:    20 * time.Millisecond,
		Logger:           quietLogger(),
		CompiledCacheDir: buildtest.CompiledCacheDir(),
	}
}

// Start starts a node with cfg (DataDir defaults to a fresh t.TempDir())
// on a real listener on 127.0.0.1:0, and closes it at cleanup. With
// cfg.NoHTTP the producer runs but no listener is opened.
func Start(t testing.TB, cfg node.Config) *Node {
	t.Helper()
	fillTestDefaults(t, &cfg)
	if cfg.BlockInterval == 0 {
		cfg.BlockInterval = 20 * time.Millisecond
	}
	if !cfg.NoHTTP && cfg.Listener == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Listener = ln
	}
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("node.New: %v", err)
	}
	if err := n.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &Node{Node: n, T: t, Dir: cfg.DataDir, Started: true}
}

// Open builds a node that is not started: no producer, no listener.
// Tests drive blocks with ProduceBlock and call the API through Handler.
func Open(t testing.TB, cfg node.Config) *Node {
	t.Helper()
	fillTestDefaults(t, &cfg)
	n, err := node.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("node.New: %v", err)
	}
	t.Cleanup(func() { _ = n.Close(context.Background()) })
	return &Node{Node: n, T: t, Dir: cfg.DataDir}
}

// fillTestDefaults gives cfg what Start and Open both default: a fresh
// t.TempDir(), quiet logs and the shared compiled-code cache.
func fillTestDefaults(t testing.TB, cfg *node.Config) {
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	if cfg.CompiledCacheDir == "" {
		cfg.CompiledCacheDir = buildtest.CompiledCacheDir()
	}
}

// Produce cuts a block now and fails the test if none was made.
func (n *Node) Produce() {
	n.T.Helper()
	a, err := n.ProduceBlock(context.Background())
	if err != nil {
		n.T.Fatalf("ProduceBlock: %v", err)
	}
	if a == nil {
		n.T.Fatal("ProduceBlock: nothing ready")
	}
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Do calls the API in-process (httptest, no network) with an optional JSON
// body (a []byte is sent as is) and headers as name, value pairs.
func (n *Node) Do(method, path string, body any, headers ...string) Response {
	n.T.Helper()
	rd := encodeBody(n.T, body)
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	n.Handler().ServeHTTP(rec, req)
	return Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// HTTP calls the API over the network.
func (n *Node) HTTP(method, path string, body any, headers ...string) Response {
	n.T.Helper()
	req, err := http.NewRequest(method, n.URL()+path, encodeBody(n.T, body))
	if err != nil {
		n.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		n.T.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func encodeBody(t testing.TB, body any) io.Reader {
	switch b := body.(type) {
	case nil:
		return nil
	case []byte:
		return bytes.NewReader(b)
	case string:
		return bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.NewReader(j)
	}
}

// Account is a test signer with a local nonce counter.
type Account struct {
	Key   *ecdsa.PrivateKey
	Addr  common.Address
	Nonce uint64
}

// NewAccount returns a fresh account.
func NewAccount(t testing.TB) *Account {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &Account{Key: k, Addr: crypto.PubkeyToAddress(k.PublicKey)}
}

// AccountOf wraps an existing key (e.g. the node's development admin).
func AccountOf(k *ecdsa.PrivateKey) *Account {
	return &Account{Key: k, Addr: crypto.PubkeyToAddress(k.PublicKey)}
}

// DefaultGas is the gas limit test transactions carry.
const DefaultGas = 50_000_000

// DefaultDeployGas is the gas limit test deploys carry: the most a
// deploy may name.
const DefaultDeployGas = block.DefaultBlockDeployGasLimit

// Deploy signs a deploy of code with the next nonce.
func (a *Account) Deploy(t testing.TB, chainID uint64, name string, code []byte) *tx.Tx {
	t.Helper()
	// Deploys pay their intrinsic deploy gas first (runtime.DeployGas).
	d := tx.Deploy{From: a.Addr, Nonce: a.Nonce, Name: name, GasLimit: DefaultDeployGas}
	signed, err := tx.SignDeploy(d, code, chainID, a.Key)
	if err != nil {
		t.Fatalf("SignDeploy: %v", err)
	}
	a.Nonce++
	return signed
}

// Call signs a call with the next nonce; args is marshalled to JSON.
func (a *Account) Call(t testing.TB, chainID uint64, contract common.Address, method string, args any) *tx.Tx {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	c := tx.Call{From: a.Addr, Nonce: a.Nonce, Contract: contract, Method: method, Args: raw, GasLimit: DefaultGas}
	signed, err := tx.SignCall(c, chainID, a.Key)
	if err != nil {
		t.Fatalf("SignCall: %v", err)
	}
	a.Nonce++
	return signed
}

// LoanWasm is the loan contract's module, built once per test process.
func LoanWasm(t testing.TB) []byte {
	t.Helper()
	return buildtest.Wasm(t, "contracts/loan")
}
