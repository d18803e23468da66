package client_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// BenchmarkVerifyLineage1000 verifies the lineage of a key with 1,000
// versions, as served by a real node: every version's header signature,
// transaction and receipt proofs and hash link, and the latest state
// proof. The pages are fetched once; the timed part is the verification
// (target: at most 100 ms).
func BenchmarkVerifyLineage1000(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 1,000 versions of a key: not under -short")
	}
	n := nodetest.Start(b, nodetest.Config(b.TempDir()))
	c, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())), client.WithTrustedNodes(n.Address()),
		client.WithPollInterval(20*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	rec, err := c.Submit(ctx, client.DeployOp(nodetest.LoanWasm(b), "loan", nil), client.Wait())
	if err == nil {
		err = client.ReceiptError(rec)
	}
	if err != nil {
		b.Fatalf("deploy: %v", err)
	}
	loan := *rec.Receipt.ContractAddress
	me := c.Key().Address()
	if _, err := callAndWait(ctx, c, client.CallOp(loan, "create", loanArgs("L1", me, me))); err != nil {
		b.Fatalf("create: %v", err)
	}
	// 999 payments, signed ahead with consecutive nonces and sent in
	// batches within the node's nonce window, so that blocks hold many
	// versions of the key.
	chainID, err := c.ChainID(ctx)
	if err != nil {
		b.Fatal(err)
	}
	acct, err := c.Account(ctx, me)
	if err != nil {
		b.Fatal(err)
	}
	const versions, batch = 1000, 37 // 27 batches; the node admits 64 nonces ahead
	nonce := acct.PendingNonce
	for sent := 1; sent < versions; sent += batch {
		body := []byte("[")
		for i := range batch {
			op := client.CallOp(loan, "pay", map[string]any{"id": "L1", "amount": 1})
			s, err := op.Sign(c.Key(), chainID, nonce, client.DefaultGasLimit)
			if err != nil {
				b.Fatal(err)
			}
			nonce++
			body = append(append(body, ","[:min(i, 1)]...), s.EncodeJSON()...)
		}
		items, err := c.SubmitRaw(ctx, append(body, ']'))
		if err != nil || len(items) != batch {
			b.Fatalf("submit: %d items, %v", len(items), err)
		}
		for _, it := range items {
			if it.Error != nil {
				b.Fatalf("submit: %+v", it.Error)
			}
		}
		if _, err := c.WaitTx(ctx, items[batch-1].Hash); err != nil {
			b.Fatal(err)
		}
	}
	key := []byte("loan/L1")
	// A pass-through proxy records the pages as served.
	var pages []api.Lineage
	url := nodetest.TamperProxy(b, n.URL(), func(r *http.Request, status int, body []byte) []byte {
		var p api.Lineage
		if status == http.StatusOK && r.URL.Query().Get(api.ParamProofs) == "true" && json.Unmarshal(body, &p) == nil {
			pages = append(pages, p)
		}
		return body
	})
	pc, err := client.New(url, client.WithKey(client.NewKey(n.Key())), client.WithTrustedNodes(n.Address()))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := pc.VerifyLineage(ctx, pc.Verifier(), loan, key, func(*api.LineageEntry) error { return nil }); err != nil {
		b.Fatalf("lineage: %v", err)
	}
	fetchAndVerify := time.Since(start)
	total := 0
	for _, p := range pages {
		total += len(p.Entries)
	}
	if total != versions {
		b.Fatalf("%d versions, want %d", total, versions)
	}
	v := c.Verifier()
	b.ResetTimer()
	for range b.N {
		lv := v.NewLineageVerifier(loan, key)
		for i := range pages {
			if err := lv.Page(&pages[i]); err != nil {
				b.Fatal(err)
			}
		}
		if lv.Versions() != versions {
			b.Fatalf("verified %d versions", lv.Versions())
		}
	}
	b.StopTimer()
	// Reported after the loop: ResetTimer clears metrics reported before it.
	b.ReportMetric(float64(fetchAndVerify.Milliseconds()), "fetch+verify-ms")
	if per := b.Elapsed() / time.Duration(b.N); per > 100*time.Millisecond {
		b.Logf("verification took %v per lineage, over the 100 ms target", per)
	}
}
