package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/nodetest"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/sdk/api"
)

// BenchmarkSubmitTx measures POST /v1/txs in-process: decode, signature
// recovery, ledger checks and mempool admission (no block production).
func BenchmarkSubmitTx(b *testing.B) {
	n := openMembers(b, node.Config{Mempool: mempool.Config{MaxTxs: 1 << 20}}, 4096)
	id := n.ChainID()
	var bodies [][]byte
	for range 4096 {
		a := n.NewMember()
		x := call(b, a, id, 0, 1000)
		bodies = append(bodies, encodeB(b, x))
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i == len(bodies) {
			b.StopTimer()
			n.Produce()
			b.StartTimer()
			i = 0 // resubmitting committed txs: the idempotent path
		}
		r := n.Do(http.MethodPost, api.PathTxs, bodies[i])
		if r.Status != http.StatusAccepted && r.Status != http.StatusOK {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
		i++
	}
}

// BenchmarkGetBlock measures GET /v1/blocks/latest.
func BenchmarkGetBlock(b *testing.B) {
	n := openNode(b, node.Config{})
	for b.Loop() {
		if r := n.Do(http.MethodGet, api.PathBlocks+"latest", nil); r.Status != 200 {
			b.Fatal(r.Status)
		}
	}
}

// BenchmarkSessionVerifyCached measures the session middleware for a
// session it verified before: a cache lookup and an expiry check (the
// member record read is the fake's, so only the session's cost is
// measured; tx's BenchmarkSessionVerify measures a first verification).
func BenchmarkSessionVerifyCached(b *testing.B) {
	key, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	reader := crypto.PubkeyToAddress(key.PublicKey)
	viewer := &ledger.Viewer{Address: reader, Member: &registry.Member{Address: reader, Org: "a"}}
	mw := httpapi.SessionAuthWithConfig(httpapi.SessionAuthConfig{
		ChainID: 1,
		Viewer:  func(common.Address) (*ledger.Viewer, error) { return viewer, nil },
	})
	h := mw(func(echo.Context) error { return nil })
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(api.HeaderAuthorization, sessionHeader(b, key, 1, time.Now(), time.Hour))
	c := echo.New().NewContext(req, httptest.NewRecorder())
	if err := h(c); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := h(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStateReadWithSession measures GET /v1/contracts/{a}/state/{k}
// over loopback on an idle node, as a member who is not an auditor reads
// a key the contract's read policy gives it (the loan's party reading its
// loan): session check, member record, read-policy decision, the read and
// its proof. It reports the latency percentiles a client sees.
func BenchmarkStateReadWithSession(b *testing.B) {
	w := startNetwork(b)
	id := w.n.ChainID()
	dep := w.a.Deploy(b, id, "loan", nodetest.LoanWasm(b))
	w.commit(b, dep)
	loan := dep.Message().(*tx.Deploy).ContractAddress()
	w.commit(b, w.a.Call(b, id, loan, "create", loanArgs("L1", w.a.Addr, w.a.Addr)))
	url := w.n.URL() + api.StatePath(loan.Hex(), "loan/L1")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	get := func() time.Duration {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set(api.HeaderAuthorization, w.sessions[w.a.Addr])
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return d
	}
	get() // warm: the session, the connection, the policy's answer
	var lat []time.Duration
	for b.Loop() {
		lat = append(lat, get())
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
