package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/manifest"
)

// open returns an unstarted node (blocks by hand) with cfg tweaks.
func open(t *testing.T, tweak func(*node.Config)) *testNode {
	t.Helper()
	cfg := node.Config{DataDir: t.TempDir()}
	if tweak != nil {
		tweak(&cfg)
	}
	return openNode(t, cfg)
}

func wantError(t *testing.T, r nodetest.Response, status int, code api.Code) {
	t.Helper()
	var body api.ErrorResponse
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("error body %q: %v", r.Body, err)
	}
	if r.Status != status || body.Error.Code != code || body.Error.Message == "" {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
}

func encode(t *testing.T, x *tx.Tx) []byte { return encodeB(t, x) }

func encodeB(t testing.TB, x *tx.Tx) []byte {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// emptyModule is the smallest Wasm module with a manifest (listing no
// method; the development network requires one): admitted by the node,
// then failed in its receipt (it exports nothing). Tests use it as a
// generic transaction that needs no deployed contract.
var emptyModule = func() []byte {
	m, err := manifest.Embed([]byte("\x00asm\x01\x00\x00\x00"), []byte(`{"version":1,"methods":{},"readPolicy":false}`))
	if err != nil {
		panic(err)
	}
	return m
}()

// call signs a generic transaction: a deploy of emptyModule.
func call(t testing.TB, a *nodetest.Account, chainID uint64, nonce, gas uint64) *tx.Tx {
	t.Helper()
	d := tx.Deploy{From: a.Addr, Nonce: nonce, Name: "empty", GasLimit: gas}
	s, err := tx.SignDeploy(d, emptyModule, chainID, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// callUnknown signs a call to an address holding no contract.
func callUnknown(t *testing.T, a *nodetest.Account, chainID uint64, nonce uint64) *tx.Tx {
	t.Helper()
	c := tx.Call{From: a.Addr, Nonce: nonce, Contract: common.HexToAddress("0x1234"), Method: "m", GasLimit: 1000}
	s, err := tx.SignCall(c, chainID, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mutateJSON edits a transaction's wire form.
func mutateJSON(t *testing.T, x *tx.Tx, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(encode(t, x), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestErrorStatuses sends each refused request over a real listener and
// checks its status and code, then that it changed nothing: mempool size,
// both senders' pending nonces and the chain height.
func TestErrorStatuses(t *testing.T) {
	// No block is cut after the first (BlockInterval is an hour), so the
	// pending transaction below stays pending.
	n := start(t, node.Config{
		BlockInterval: time.Hour,
		API:           httpapi.Config{MaxBodyBytes: 64 << 10, MaxBatch: 2},
	})
	id := n.ChainID()
	a := n.NewMember()
	good := call(t, a, id, 0, 1000)
	other := n.NewMember()

	// A committed nonce 0 for `other`, for nonce_too_low.
	if r := n.HTTP(http.MethodPost, api.PathTxs+"?wait=true", encode(t, call(t, other, id, 0, 1000))); r.Status != http.StatusOK {
		t.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	// A pending nonce 0 for `a`, for nonce_conflict.
	if r := n.HTTP(http.MethodPost, api.PathTxs, encode(t, good)); r.Status != http.StatusAccepted {
		t.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	want := observe(t, n, a, other)
	if want != (observed{poolLen: 1, height: 1, nonces: [2]uint64{1, 1}}) {
		t.Fatalf("setup state: %+v", want)
	}

	highS := mutateJSON(t, call(t, a, id, 1, 1000), func(m map[string]any) {
		sig := common.FromHex(m["signature"].(string))
		s := new(big.Int).SetBytes(sig[32:64])
		s.Sub(crypto.S256().Params().N, s)
		copy(sig[32:64], common.LeftPadBytes(s.Bytes(), 32))
		sig[64] = 55 - sig[64] // 27 <-> 28
		m["signature"] = "0x" + common.Bytes2Hex(sig)
	})
	badSig := mutateJSON(t, call(t, a, id, 1, 1000), func(m map[string]any) {
		m["signature"] = "0x" + strings.Repeat("11", 64) + "1b"
	})
	otherSigner := mutateJSON(t, call(t, a, id, 1, 1000), func(m map[string]any) {
		m["signature"] = encodeSig(t, call(t, other, id, 1, 1000))
	})
	// A deploy whose carried code is not the signed hash.
	dep, err := tx.SignDeploy(tx.Deploy{From: a.Addr, Nonce: 1, Name: "x", GasLimit: 1000}, []byte("\x00asm\x01\x00\x00\x00"), id, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	mismatch, err := dep.WithCode([]byte("\x00asm\x01\x00\x00\x00\x00"))
	if err != nil {
		t.Fatal(err)
	}
	unknownCode, err := tx.SignDeploy(tx.Deploy{From: a.Addr, Nonce: 1, Name: "x", GasLimit: 1000, CodeHash: common.HexToHash("0xabc")}, nil, id, a.Key)
	if err != nil {
		t.Fatal(err)
	}

	// A call (to no contract: the gas cap is checked first) over the cap.
	overCap, err := tx.SignCall(tx.Call{From: a.Addr, Nonce: 1, Contract: common.HexToAddress("0x1234"), Method: "m", GasLimit: block.DefaultTxGasCap + 1}, id, a.Key)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name         string
		method, path string
		body         any
		headers      []string
		status       int
		code         api.Code
	}{
		{"bad address", "GET", api.PathAccounts + "nope", nil, nil, 400, api.CodeBadRequest},
		{"bad hash", "GET", api.PathTxs + "/0x12", nil, nil, 400, api.CodeBadRequest},
		{"bad height", "GET", api.PathBlocks + "x", nil, nil, 400, api.CodeBadRequest},
		{"bad wait", "POST", api.PathTxs + "?wait=maybe", encode(t, good), nil, 400, api.CodeBadRequest},
		{"bad timeout", "POST", api.PathTxs + "?wait=true&timeout=soon", encode(t, good), nil, 400, api.CodeBadRequest},
		{"malformed tx", "POST", api.PathTxs, `{"type":"call"}`, nil, 400, api.CodeMalformedTx},
		{"not json", "POST", api.PathTxs, `nope`, nil, 400, api.CodeMalformedTx},
		{"batch not array", "POST", api.PathTxsBatch, `{}`, nil, 400, api.CodeBadRequest},
		{"bad cursor", "GET", api.HistoryPath(good.Message().Sender().Hex(), "k") + "?cursor=zz", nil, nil, 400, api.CodeBadCursor},
		{"bad limit", "GET", api.HistoryPath(good.Message().Sender().Hex(), "k") + "?limit=-1", nil, nil, 400, api.CodeBadRequest},
		{"bad key_hex", "GET", api.StatePath(good.Message().Sender().Hex(), "k") + "?key_hex=zz", nil, nil, 400, api.CodeBadRequest},
		{"bad event id", "GET", api.PathEvents, nil, []string{api.HeaderLastEventID, "x:y"}, 400, api.CodeBadEventID},
		{"bad from_height", "GET", api.PathEvents + "?from_height=-1", nil, nil, 400, api.CodeBadEventID},
		{"bad contract filter", "GET", api.PathEvents + "?contract=0x12", nil, nil, 400, api.CodeBadRequest},
		{"query without method", "POST", api.PathContracts + "/" + a.Addr.Hex() + "/query", `{}`, nil, 400, api.CodeInvalidQuery},
		{"query unknown field", "POST", api.PathContracts + "/" + a.Addr.Hex() + "/query", `{"method":"get","x":1}`, nil, 400, api.CodeInvalidQuery},

		{"bad signature", "POST", api.PathTxs, badSig, nil, 401, api.CodeBadSignature},
		{"high s", "POST", api.PathTxs, highS, nil, 401, api.CodeHighS},
		{"sender mismatch", "POST", api.PathTxs, otherSigner, nil, 401, api.CodeSenderMismatch},

		{"wrong chain", "POST", api.PathTxs, encode(t, call(t, a, id+1, 1, 1000)), nil, 403, api.CodeWrongChain},

		{"unknown tx", "GET", api.PathTxs + "/" + common.HexToHash("0x99").Hex(), nil, nil, 404, api.CodeNotFound},
		{"unknown contract", "GET", api.PathContracts + "/" + a.Addr.Hex(), nil, nil, 404, api.CodeUnknownContract},
		{"call unknown contract", "POST", api.PathTxs, encode(t, callUnknown(t, a, id, 1)), nil, 404, api.CodeUnknownContract},
		{"query unknown contract", "POST", api.PathContracts + "/" + a.Addr.Hex() + "/query", `{"method":"get"}`, nil, 404, api.CodeUnknownContract},
		{"future block", "GET", api.PathBlocks + "99", nil, nil, 404, api.CodeHeightUnavailable},
		{"future state", "GET", api.StatePath(a.Addr.Hex(), "k") + "?height=99", nil, nil, 404, api.CodeHeightUnavailable},
		{"future query", "POST", api.PathContracts + "/" + a.Addr.Hex() + "/query", `{"method":"get","height":99}`, nil, 404, api.CodeHeightUnavailable},
		{"no route", "GET", "/v1/nope", nil, nil, 404, api.CodeRouteNotFound},

		{"wrong method", "DELETE", api.PathChain, nil, nil, 405, api.CodeMethodNotAllowed},

		{"nonce too low", "POST", api.PathTxs, encode(t, call(t, other, id, 0, 2000)), nil, 409, api.CodeNonceTooLow},
		{"nonce conflict", "POST", api.PathTxs, encode(t, call(t, a, id, 0, 2000)), nil, 409, api.CodeNonceConflict},

		{"body too large", "POST", api.PathTxs, strings.Repeat(" ", 65<<10), nil, 413, api.CodeTooLarge},
		{"batch too large", "POST", api.PathTxsBatch, "[{},{},{}]", nil, 413, api.CodeBatchTooLarge},

		{"nonce too high", "POST", api.PathTxs, encode(t, call(t, a, id, 1000, 1000)), nil, 422, api.CodeNonceTooHigh},
		{"gas limit too high", "POST", api.PathTxs, encode(t, call(t, a, id, 1, 1<<62)), nil, 422, api.CodeGasLimitTooHigh},
		{"call over the per-transaction gas cap", "POST", api.PathTxs, encode(t, overCap), nil, 422, api.CodeGasLimitTooHigh},
		{"code hash mismatch", "POST", api.PathTxs, encode(t, mismatch), nil, 422, api.CodeCodeHashMismatch},
		{"unknown code", "POST", api.PathTxs, encode(t, unknownCode), nil, 422, api.CodeUnknownCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, n.HTTP(tt.method, tt.path, tt.body, tt.headers...), tt.status, tt.code)
			if got := observe(t, n, a, other); got != want {
				t.Fatalf("a refused request changed the node: %+v, want %+v", got, want)
			}
		})
	}
}

// observed is what a refused request must leave as it was.
type observed struct {
	poolLen int
	height  uint64
	nonces  [2]uint64 // pending nonces of the two senders
}

// observe reads the node's state through the API where the API shows it.
func observe(t *testing.T, n *testNode, a, b *nodetest.Account) observed {
	t.Helper()
	var o observed
	o.poolLen = n.Pool().Len()
	var chain api.Chain
	n.HTTP(http.MethodGet, api.PathChain, nil).JSON(t, &chain)
	o.height = chain.LatestHeight
	for i, acct := range []*nodetest.Account{a, b} {
		var out api.Account
		r := n.HTTP(http.MethodGet, api.PathAccounts+acct.Addr.Hex(), nil)
		if r.Status != http.StatusOK {
			t.Fatalf("account %s: %d %s", acct.Addr, r.Status, r.Body)
		}
		r.JSON(t, &out)
		o.nonces[i] = out.PendingNonce
	}
	return o
}

func encodeSig(t *testing.T, x *tx.Tx) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(encode(t, x), &m); err != nil {
		t.Fatal(err)
	}
	return m["signature"].(string)
}

func TestMempoolFullIs503WithRetryAfter(t *testing.T) {
	n := open(t, func(c *node.Config) { c.Mempool = mempool.Config{MaxTxs: 2} })
	id := n.ChainID()
	for i := range 2 {
		if r := n.Do(http.MethodPost, api.PathTxs, encode(t, call(t, n.NewMember(), id, 0, 1000))); r.Status != 202 {
			t.Fatalf("tx %d: %d %s", i, r.Status, r.Body)
		}
	}
	r := n.Do(http.MethodPost, api.PathTxs, encode(t, call(t, n.NewMember(), id, 0, 1000)))
	wantError(t, r, http.StatusServiceUnavailable, api.CodeMempoolFull)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	// A block frees room.
	n.Produce()
	if r := n.Do(http.MethodPost, api.PathTxs, encode(t, call(t, n.NewMember(), id, 0, 1000))); r.Status != 202 {
		t.Fatalf("after block: %d %s", r.Status, r.Body)
	}
}

func TestTooManyWaitsAndStreams(t *testing.T) {
	n := open(t, func(c *node.Config) {
		c.API.MaxWaits = 1
		c.API.MaxStreams = 1
	})
	id := n.ChainID()
	a := n.NewMember()
	// The first wait holds the only slot: no producer runs.
	first := make(chan nodetest.Response, 1)
	go func() {
		first <- n.Do(http.MethodPost, api.PathTxs+"?wait=true&timeout=2s", encode(t, call(t, a, id, 0, 1000)))
	}()
	waitForGauge(t, n, "meshledger_http_tx_waits", 1)
	r := n.Do(http.MethodPost, api.PathTxs+"?wait=true", encode(t, call(t, a, id, 1, 1000)))
	wantError(t, r, http.StatusTooManyRequests, api.CodeTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	// The wait timed out: 202 pending.
	if fr := <-first; fr.Status != http.StatusAccepted || !strings.Contains(string(fr.Body), `"pending"`) {
		t.Fatalf("timed-out wait: %d %s", fr.Status, fr.Body)
	}

	// One stream holds the only stream slot.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+api.PathEvents, nil)
	req.Header.Set(api.HeaderAuthorization, n.Session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	waitForGauge(t, n, "meshledger_http_event_streams", 1)
	r = n.Do(http.MethodGet, api.PathEvents, nil)
	wantError(t, r, http.StatusTooManyRequests, api.CodeTooManyRequests)
}

// waitForGauge polls the node's registry until the gauge has value v.
func waitForGauge(t *testing.T, n *testNode, name string, v float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mfs, err := n.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == name && len(mf.GetMetric()) > 0 && mf.GetMetric()[0].GetGauge().GetValue() == v {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("gauge %s never reached %v", name, v)
}

func TestClosedServerIs503(t *testing.T) {
	n := open(t, nil)
	n.API().Close()
	r := n.Do(http.MethodPost, api.PathTxs, encode(t, call(t, n.NewMember(), n.ChainID(), 0, 1000)))
	wantError(t, r, http.StatusServiceUnavailable, api.CodeUnavailable)
	wantError(t, n.Do(http.MethodGet, api.PathHealth, nil), http.StatusServiceUnavailable, api.CodeUnavailable)
	wantError(t, n.Do(http.MethodGet, api.PathEvents, nil), http.StatusServiceUnavailable, api.CodeUnavailable)
}

func TestClassifyUnknownIsInternal(t *testing.T) {
	status, body, _ := httpapi.Classify(fmt.Errorf("disk on fire at /secret/path: %w", errors.New("eio")))
	if status != http.StatusInternalServerError || body.Code != api.CodeInternal || strings.Contains(body.Message, "secret") {
		t.Fatalf("Classify = %d %+v", status, body)
	}
	status, body, _ = httpapi.Classify(&httpapi.RejectedError{Err: errors.New("something new")})
	if status != http.StatusUnprocessableEntity || body.Code != api.CodeRejected {
		t.Fatalf("Classify(rejected) = %d %+v", status, body)
	}
	status, body, _ = httpapi.Classify(&httpapi.RejectedError{Err: fmt.Errorf("x: %w", tx.ErrNonceTooLow)})
	if status != http.StatusConflict || body.Code != api.CodeNonceTooLow {
		t.Fatalf("Classify(rejected nonce) = %d %+v", status, body)
	}
	status, _, retry := httpapi.Classify(context.Canceled)
	if status != http.StatusServiceUnavailable || !retry {
		t.Fatalf("Classify(canceled) = %d", status)
	}
}
