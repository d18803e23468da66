package node_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// committedAt waits for hash to commit and returns its height.
func committedAt(t *testing.T, n *nodetest.Node, hash common.Hash, within time.Duration) uint64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rec, err := n.Ledger().Tx(hash)
		if err == nil {
			return rec.Receipt.Height
		}
		if time.Now().After(deadline) {
			t.Fatalf("tx %s not committed within %v: %v", hash, within, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A deploy's module compiles in the background: meanwhile other senders'
// calls keep committing, in blocks before the deploy's. A restarted node
// serves both contracts.
func TestDeployCompilesWithoutHoldingUpOthers(t *testing.T) {
	if raceEnabled {
		t.Skip("skipped under -race: Wasm compilation is too slow")
	}
	loanWasm, confWasm := nodetest.LoanWasm(t), buildtest.Wasm(t, "contracts/conformance")
	cfg := nodetest.Config(t.TempDir())
	// Nothing compiled yet: each module compiles for real, for seconds.
	cfg.CompiledCacheDir = t.TempDir()
	cfg.BlockInterval = 5 * time.Millisecond
	n := nodetest.Start(t, cfg)
	id := n.ChainID()
	caller := nodetest.NewMember(t, n)
	admin := nodetest.AccountOf(n.Key())
	admin.Nonce = 1 // after addMember

	loanDeploy := admin.Deploy(t, id, "loan", loanWasm)
	if r := n.HTTP(http.MethodPost, api.PathTxs+"?wait=true&timeout=60s", loanDeploy); r.Status != http.StatusOK {
		t.Fatalf("loan deploy: %d %s", r.Status, r.Body)
	}
	loan := loanDeploy.Message().(*tx.Deploy).ContractAddress()

	// The caller sends one call at a time, each as soon as the previous
	// one committed, and records those admitted after the deploy.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deployed := make(chan struct{})
	var (
		mu    sync.Mutex
		after []common.Hash
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			c := caller.Call(t, id, loan, "get", map[string]any{"id": "none"})
			if _, err := n.Submit(c); err != nil {
				t.Errorf("call: %v", err)
				return
			}
			select {
			case <-deployed:
				mu.Lock()
				after = append(after, c.Hash())
				mu.Unlock()
			default:
			}
			for ctx.Err() == nil {
				if ok, _ := n.Ledger().HasTx(c.Hash()); ok {
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)

	confDeploy := admin.Deploy(t, id, "conformance", confWasm)
	start := time.Now()
	if _, err := n.Submit(confDeploy); err != nil {
		t.Fatalf("conformance deploy: %v", err)
	}
	close(deployed)
	deployHeight := committedAt(t, n, confDeploy.Hash(), 60*time.Second)
	t.Logf("deploy committed at height %d after %v", deployHeight, time.Since(start))
	cancel()
	wg.Wait()

	before := 0
	for _, h := range after {
		if ok, _ := n.Ledger().HasTx(h); !ok {
			continue
		}
		if committedAt(t, n, h, time.Second) < deployHeight {
			before++
		}
	}
	if before < 3 {
		t.Fatalf("%d calls admitted after the deploy committed before it (of %d): the compile held them up", before, len(after))
	}
	rec, err := n.Ledger().Tx(confDeploy.Hash())
	if err != nil || rec.Receipt.Status != "ok" {
		t.Fatalf("deploy receipt: %+v %v", rec, err)
	}
	conf := rec.Receipt.ContractAddress

	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	n2 := nodetest.Start(t, cfg)
	for _, addr := range []common.Address{loan, conf} {
		if r := n2.HTTP(http.MethodGet, api.PathContracts+"/"+addr.Hex(), nil, n2.AdminAuth()...); r.Status != http.StatusOK {
			t.Fatalf("contract %s after restart: %d %s", addr, r.Status, r.Body)
		}
	}
	// The mempool does not survive a restart: the caller's last call may
	// have been pending when the node closed, so it resumes from the
	// chain's nonce.
	next, err := n2.PendingNonce(caller.Addr)
	if err != nil {
		t.Fatal(err)
	}
	caller.Nonce = next
	c := caller.Call(t, id, loan, "get", map[string]any{"id": "none"})
	if r := n2.HTTP(http.MethodPost, api.PathTxs+"?wait=true&timeout=30s", c); r.Status != http.StatusOK {
		t.Fatalf("call after restart: %d %s", r.Status, r.Body)
	}
}
