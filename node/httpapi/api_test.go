package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/sdk/api"
)

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	n := open(t, nil)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	r := n.Do(http.MethodGet, api.PathOpenAPI, nil)
	r.JSON(t, &doc)
	if r.Status != 200 || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: %d %.200s", r.Status, r.Body)
	}
	served := map[string]bool{}
	for _, rt := range n.API().Echo().Routes() {
		key := strings.ToLower(rt.Method) + " " + httpapi.OpenAPIPath(rt.Path)
		served[key] = true
		op, ok := doc.Paths[httpapi.OpenAPIPath(rt.Path)][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("route %s %s is not documented", rt.Method, rt.Path)
			continue
		}
		if _, ok := op["responses"]; !ok {
			t.Errorf("route %s %s documents no responses", rt.Method, rt.Path)
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if !served[m+" "+p] {
				t.Errorf("documented %s %s is not served", m, p)
			}
		}
	}
	if len(served) < 16 {
		t.Fatalf("only %d routes", len(served))
	}
}

func TestSubmitIsIdempotentAndReportsLifecycle(t *testing.T) {
	n := open(t, nil)
	id := n.ChainID()
	a := n.NewMember()
	t0 := call(t, a, id, 0, 1000)
	body := encode(t, t0)

	var first, second api.Tx
	r := n.Do(http.MethodPost, api.PathTxs, body)
	r.JSON(t, &first)
	if r.Status != 202 || first.Hash != t0.Hash() || first.Status != api.TxPending {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	r = n.Do(http.MethodPost, api.PathTxs, body)
	r.JSON(t, &second)
	if r.Status != 202 || second.Hash != first.Hash {
		t.Fatalf("resubmit pending: %d %s", r.Status, r.Body)
	}
	var acct api.Account
	n.Do(http.MethodGet, api.PathAccounts+a.Addr.Hex(), nil).JSON(t, &acct)
	if acct.Nonce != 0 || acct.PendingNonce != 1 {
		t.Fatalf("account = %+v", acct)
	}
	var pending api.Tx
	n.Do(http.MethodGet, api.PathTxs+"/"+t0.Hash().Hex(), nil).JSON(t, &pending)
	if pending.Status != api.TxPending || pending.Sender == nil || *pending.Sender != a.Addr || len(pending.Tx) == 0 {
		t.Fatalf("pending = %+v", pending)
	}

	n.Produce()
	var done api.Tx
	r = n.Do(http.MethodGet, api.PathTxs+"/"+t0.Hash().Hex(), nil)
	r.JSON(t, &done)
	if done.Status != api.TxCommitted || done.Receipt == nil || done.Header == nil || len(done.TxProof) == 0 || len(done.ReceiptProof) == 0 {
		t.Fatalf("committed = %s", r.Body)
	}
	r = n.Do(http.MethodPost, api.PathTxs+"?wait=true", body)
	var again api.Tx
	r.JSON(t, &again)
	if r.Status != 200 || again.Status != api.TxCommitted || again.Receipt.Height != done.Receipt.Height {
		t.Fatalf("resubmit committed: %d %s", r.Status, r.Body)
	}
	var blk api.Block
	n.Do(http.MethodGet, api.PathBlocks+"latest", nil).JSON(t, &blk)
	if blk.Header.Header.Height != 1 || len(blk.TxHashes) != 1 || blk.TxHashes[0] != t0.Hash() {
		t.Fatalf("latest block = %+v", blk)
	}
	// Nothing new to include: the duplicate never runs twice.
	if a, err := n.ProduceBlock(context.Background()); err != nil || a != nil {
		t.Fatalf("second block: %v %v", a, err)
	}
	var genesis api.Block
	if r := n.Do(http.MethodGet, api.PathBlocks+"0", nil); r.Status != 200 {
		t.Fatalf("block 0: %d %s", r.Status, r.Body)
	} else {
		r.JSON(t, &genesis)
	}
	if blk.Header.Header.ParentHash != genesis.Header.Hash {
		t.Fatal("block 1 does not chain to block 0")
	}
}

func TestBatchReportsEachItem(t *testing.T) {
	n := open(t, nil)
	id := n.ChainID()
	a := n.NewMember()
	ok0, ok1 := encode(t, call(t, a, id, 0, 1000)), encode(t, call(t, a, id, 1, 1000))
	batch := "[" + string(ok0) + "," + string(ok1) + "," + string(ok0) + `,{"type":"call"},` + string(encode(t, call(t, a, id+1, 2, 1000))) + "]"
	var items []api.BatchItem
	r := n.Do(http.MethodPost, api.PathTxsBatch, batch)
	r.JSON(t, &items)
	if r.Status != 200 || len(items) != 5 {
		t.Fatalf("batch: %d %s", r.Status, r.Body)
	}
	want := []struct {
		status int
		code   api.Code
	}{{202, ""}, {202, ""}, {202, ""}, {400, api.CodeMalformedTx}, {403, api.CodeWrongChain}}
	for i, w := range want {
		got := items[i]
		code := api.Code("")
		if got.Error != nil {
			code = got.Error.Code
		}
		if got.HTTPStatus != w.status || code != w.code {
			t.Errorf("item %d = %+v, want %d %s", i, got, w.status, w.code)
		}
	}
	if items[0].Hash != items[2].Hash {
		t.Fatal("duplicate in batch got another hash")
	}
	n.Produce()
	var blk api.Block
	n.Do(http.MethodGet, api.PathBlocks+"1", nil).JSON(t, &blk)
	if len(blk.TxHashes) != 2 {
		t.Fatalf("block has %d txs, want 2", len(blk.TxHashes))
	}
}

func TestDroppedTransactionReportsReason(t *testing.T) {
	n := open(t, func(c *node.Config) { c.Mempool = mempool.Config{MaxAge: time.Millisecond} })
	a := n.NewMember()
	gapped := call(t, a, n.ChainID(), 1, 1000) // nonce 0 never comes
	if r := n.Do(http.MethodPost, api.PathTxs, encode(t, gapped)); r.Status != 202 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	time.Sleep(5 * time.Millisecond)
	n.Pool().Expire()
	var got api.Tx
	r := n.Do(http.MethodGet, api.PathTxs+"/"+gapped.Hash().Hex(), nil)
	r.JSON(t, &got)
	if r.Status != 200 || got.Status != api.TxRejected || got.Error == nil || got.Error.Code != api.CodeRejected {
		t.Fatalf("dropped tx: %d %s", r.Status, r.Body)
	}
}

func TestWaitReturnsReceipt(t *testing.T) {
	n := start(t, node.Config{NoHTTP: true, BlockInterval: 10 * time.Millisecond})
	a := n.NewMember()
	r := n.Do(http.MethodPost, api.PathTxs+"?wait=true&timeout=10s", encode(t, call(t, a, n.ChainID(), 0, 1000)))
	var out api.Tx
	r.JSON(t, &out)
	if r.Status != 200 || out.Status != api.TxCommitted || out.Receipt == nil || out.Receipt.Status == "ok" {
		// The empty module has no exports: its deploy fails in the receipt.
		t.Fatalf("wait: %d %s", r.Status, r.Body)
	}
}

func TestEventsResumeWithoutGapOrDuplicate(t *testing.T) {
	n := open(t, nil)
	id := n.ChainID()
	a := n.NewMember()
	for i := range 3 {
		if r := n.Do(http.MethodPost, api.PathTxs, encode(t, call(t, a, id, uint64(i), 1000))); r.Status != 202 {
			t.Fatal(r.Status)
		}
		n.Produce()
	}
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()

	read := func(url string, lastID string, k int) []string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set(api.HeaderAuthorization, n.Session)
		if lastID != "" {
			req.Header.Set(api.HeaderLastEventID, lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("content type %q", ct)
		}
		var ids []string
		sc := bufio.NewScanner(resp.Body)
		for len(ids) < k && sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				ids = append(ids, id)
			}
		}
		return ids
	}
	first := read(srv.URL+api.PathEvents+"?from_height=1", "", 2)
	if strings.Join(first, ",") != "1:0,2:0" {
		t.Fatalf("first = %v", first)
	}
	// Resume after 2:0 while a new block commits meanwhile.
	if r := n.Do(http.MethodPost, api.PathTxs, encode(t, call(t, a, id, 3, 1000))); r.Status != 202 {
		t.Fatal(r.Status)
	}
	n.Produce()
	rest := read(srv.URL+api.PathEvents+"?from_height=1", first[len(first)-1], 2)
	if strings.Join(rest, ",") != "3:0,4:0" {
		t.Fatalf("resumed = %v", rest)
	}
	// The largest sequence number resumes at the next block, never wraps
	// around to resend this one.
	if wrapped := read(srv.URL+api.PathEvents, "3:4294967295", 1); strings.Join(wrapped, ",") != "4:0" {
		t.Fatalf("after 3:4294967295 = %v", wrapped)
	}
	// Live: a stream from the tip sees the next block.
	got := make(chan []string, 1)
	go func() { got <- read(srv.URL+api.PathEvents, "", 1) }()
	time.Sleep(50 * time.Millisecond)
	if r := n.Do(http.MethodPost, api.PathTxs, encode(t, call(t, a, id, 4, 1000))); r.Status != 202 {
		t.Fatal(r.Status)
	}
	n.Produce()
	if live := <-got; strings.Join(live, ",") != "5:0" {
		t.Fatalf("live = %v", live)
	}
}

func TestMetricsExposed(t *testing.T) {
	n := open(t, nil)
	n.Do(http.MethodGet, api.PathChain, nil)
	r := n.Do(http.MethodGet, api.PathMetrics, nil)
	for _, name := range []string{
		"meshledger_http_request_duration_seconds", "meshledger_txs_admitted_total",
		"meshledger_mempool_txs", "meshledger_height", `route="/v1/chain"`,
	} {
		if !strings.Contains(string(r.Body), name) {
			t.Errorf("metrics lack %s", name)
		}
	}
}

// TestQueriesAreBounded: beyond MaxQueries concurrent queries the API
// answers 429 with Retry-After, and serves again once a slot frees.
func TestQueriesAreBounded(t *testing.T) {
	n := open(t, func(c *node.Config) { c.API.MaxQueries = 2 })
	path := api.PathContracts + "/0x00000000000000000000000000000000000000aa/query"
	release := n.API().HoldQuerySlots(2)
	r := n.Do(http.MethodPost, path, map[string]any{"method": "get"})
	wantError(t, r, http.StatusTooManyRequests, api.CodeTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	release()
	// The slot is free: the query runs (and finds no contract there).
	wantError(t, n.Do(http.MethodPost, path, map[string]any{"method": "get"}), http.StatusNotFound, api.CodeUnknownContract)
}
