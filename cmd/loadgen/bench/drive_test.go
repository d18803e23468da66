package bench

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// driveOneWorker starts a real node, deploys the loan contract, books one
// loan and pre-signs cfg.Count payments; spoil may then tamper with the
// node or the worker before drive runs. It returns drive's result, the
// worker and a client of the node.
func driveOneWorker(t *testing.T, cfg Config, spoil func(ctx context.Context, c *client.Client, w *worker, chainID uint64, loan common.Address)) (*Result, *worker, *client.Client, error) {
	t.Helper()
	n, c, ws, loan := setUpOneWorker(t, &cfg, nil)
	spoil(context.Background(), c, ws[0], n.ChainID(), loan)
	res, err := drive(context.Background(), []*client.Client{c}, ws, cfg)
	if res == nil {
		t.Fatalf("drive: no result: %v", err)
	}
	return res, ws[0], c, err
}

// setUpOneWorker starts a real node, deploys the loan contract, books one
// loan and pre-signs cfg.Count payments. With reopen, the node is then
// closed and reopened on the same data directory with reopen's
// configuration, for the drive.
func setUpOneWorker(t *testing.T, cfg *Config, reopen *node.Config) (*nodetest.Node, *client.Client, []*worker, common.Address) {
	t.Helper()
	ctx := context.Background()
	n := nodetest.Start(t, node.Config{BlockInterval: 10 * time.Millisecond})
	c, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())), client.WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	dep, err := c.Submit(ctx, client.DeployOp(nodetest.LoanWasm(t), "loan", nil), client.Wait())
	if err == nil {
		err = client.ReceiptError(dep)
	}
	if err != nil {
		t.Fatal(err)
	}
	loan := *dep.Receipt.ContractAddress
	ws, err := bookLoans(ctx, c, loan, 1)
	if err != nil {
		t.Fatal(err)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workers, cfg.BlockInterval = 1, 10*time.Millisecond
	*cfg = cfg.WithDefaults()
	if err := presign(ws, loan, chainID, *cfg); err != nil {
		t.Fatal(err)
	}
	if reopen != nil {
		if err := n.Close(ctx); err != nil {
			t.Fatal(err)
		}
		reopen.DataDir = n.Dir
		n = nodetest.Start(t, *reopen)
		if c, err = client.New(n.URL(), client.WithKey(client.NewKey(n.Key())), client.WithPollInterval(10*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	ws[0].c = c
	return n, c, ws, loan
}

// nodeStatuses asks the node about every pre-signed payment of w.
func nodeStatuses(t *testing.T, c *client.Client, w *worker) map[api.TxStatus]int {
	t.Helper()
	got := map[api.TxStatus]int{}
	for _, h := range w.hashes {
		tx, err := c.Tx(context.Background(), h)
		switch {
		case client.IsNotFound(err):
			got["unknown"]++
		case err != nil:
			t.Fatal(err)
		default:
			got[tx.Status]++
		}
	}
	return got
}

// A batch refused in its middle (nonce 5 is taken by another pending
// transaction of the same sender): the items after the refused one were
// admitted and commit, and the result counts them.
func TestDriveCountsItemsAdmittedAfterARefusal(t *testing.T) {
	cfg := Config{Mode: ModeBatch, BatchSize: 32, Window: 64, Count: 40, Duration: 10 * time.Second, DrainTimeout: 10 * time.Second}
	res, w, c, err := driveOneWorker(t, cfg, func(ctx context.Context, c *client.Client, w *worker, chainID uint64, loan common.Address) {
		op := client.CallOp(loan, "pay", map[string]any{"id": w.loans[0], "amount": 2}).WithGas(cfg.GasLimit)
		t5, err := op.Sign(w.key, chainID, 5, 5_000_000)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SubmitRaw(ctx, t5.EncodeJSON()); err != nil {
			t.Fatal(err)
		}
	})
	if !client.IsCode(err, string(api.CodeNonceConflict)) && !client.IsCode(err, string(api.CodeNonceTooLow)) {
		t.Fatalf("drive error %v, want the refusal of nonce 5", err)
	}
	st := nodeStatuses(t, c, w)
	// Nonces 0-4 and 6-31 (the first batch less the refused item).
	if st[api.TxCommitted] != 31 || st[api.TxPending] != 0 {
		t.Fatalf("node holds %v, want 31 committed", st)
	}
	if res.Sent != 31 || res.Committed != 31 || res.Refused != 1 || res.Stuck != 0 {
		t.Fatalf("result sent %d committed %d refused %d stuck %d, want 31 31 1 0",
			res.Sent, res.Committed, res.Refused, res.Stuck)
	}
}

// A batch whose first item is refused (a broken signature): the rest is
// admitted but waits behind the missing nonce forever. The result reports
// it stuck, not "0 uncommitted".
func TestDriveReportsStuckTransactions(t *testing.T) {
	cfg := Config{Mode: ModeBatch, BatchSize: 32, Window: 64, Count: 40, Duration: 10 * time.Second, DrainTimeout: 10 * time.Second}
	res, w, c, err := driveOneWorker(t, cfg, func(_ context.Context, _ *client.Client, w *worker, _ uint64, _ common.Address) {
		// Flip a byte of the signature of nonce 0.
		i := bytes.LastIndex(w.bodies[0], []byte(`"signature":"0x`)) + len(`"signature":"0x`) + 10
		w.bodies[0] = bytes.Clone(w.bodies[0])
		if w.bodies[0][i] == 'a' {
			w.bodies[0][i] = 'b'
		} else {
			w.bodies[0][i] = 'a'
		}
	})
	if err == nil || backpressure(err) {
		t.Fatalf("drive error %v, want the refusal of nonce 0", err)
	}
	st := nodeStatuses(t, c, w)
	if st[api.TxPending] != 31 || st[api.TxCommitted] != 0 {
		t.Fatalf("node holds %v, want 31 pending", st)
	}
	if res.Sent != 31 || res.Committed != 0 || res.Refused != 1 || res.Stuck != 31 || len(res.StuckSample) != stuckSample {
		t.Fatalf("result sent %d committed %d refused %d stuck %d (sample %d), want 31 0 1 31 (%d)",
			res.Sent, res.Committed, res.Refused, res.Stuck, len(res.StuckSample), stuckSample)
	}
	var out bytes.Buffer
	res.Print(&out)
	if !bytes.Contains(out.Bytes(), []byte("31 stuck")) {
		t.Fatalf("summary does not report the stuck transactions:\n%s", out.String())
	}
}

// While the node keeps refusing (its mempool is full and no more blocks come),
// resends back off instead of costing it a signature check every 20 ms.
func TestDriveBacksOffWhileRefused(t *testing.T) {
	cfg := Config{Mode: ModeBatch, BatchSize: 8, Window: 64, Count: 16, Duration: 1500 * time.Millisecond, DrainTimeout: 10 * time.Second}
	n, c, ws, _ := setUpOneWorker(t, &cfg, &node.Config{BlockInterval: time.Hour, Mempool: mempool.Config{MaxTxs: 4}})
	res, err := drive(context.Background(), []*client.Client{c}, ws, cfg)
	if res == nil {
		t.Fatalf("drive: %v", err)
	}
	refused := 0.0
	mfs, err := n.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "meshledger_txs_rejected_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == string(api.CodeMempoolFull) {
					refused += m.GetCounter().GetValue()
				}
			}
		}
	}
	// About 10 refused items a round: resending every 20 ms for 1.5 s
	// makes about 560 refusals; backing off up to 1 s, about 65.
	if refused < 4 || refused > 150 {
		t.Fatalf("the node refused %v items in 1.5 s, want 4 to 150", refused)
	}
	// The reopened node cuts one block at once, then none for an hour:
	// what the full mempool holds is stuck.
	if res.Stuck != 4 || res.Sent != res.Committed+res.Stuck || res.Refused != 0 {
		t.Fatalf("result sent %d stuck %d committed %d refused %d, want 4 stuck of the sent, none refused",
			res.Sent, res.Stuck, res.Committed, res.Refused)
	}
}
