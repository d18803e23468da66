package node_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/manifest"
)

// emptyModule deploys are generic transactions: admitted, executed, and
// failed in their receipt, with no contract to build. The module carries
// a manifest (listing no method) because the development network requires
// one (registry.Policy.RequireManifest).
var emptyModule = func() []byte {
	m, err := manifest.Embed([]byte("\x00asm\x01\x00\x00\x00"), []byte(`{"version":1,"methods":{},"readPolicy":false}`))
	if err != nil {
		panic(err)
	}
	return m
}()

func emptyDeploy(t testing.TB, a *nodetest.Account, chainID uint64) *tx.Tx {
	t.Helper()
	d := tx.Deploy{From: a.Addr, Nonce: a.Nonce, Name: "empty", GasLimit: 1000}
	s, err := tx.SignDeploy(d, emptyModule, chainID, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	a.Nonce++
	return s
}

func TestConcurrentSubmitters(t *testing.T) {
	const senders, perSender = 12, 15
	n := nodetest.Start(t, node.Config{BlockInterval: 5 * time.Millisecond, BlockMaxTxs: 40})
	id := n.ChainID()
	var wg sync.WaitGroup
	hashes := make([][]common.Hash, senders)
	accts := nodetest.NewMembers(t, n, senders, registry.RoleDeployer)
	base := n.Ledger().Latest().Header.Height // blocks above hold only the senders' transactions
	for s := range senders {
		a := accts[s]
		txs := make([]*tx.Tx, perSender)
		for i := range txs {
			txs[i] = emptyDeploy(t, a, id)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Pipelined: every nonce is sent without waiting, and the
			// last waits for its block.
			for i, x := range txs {
				path := api.PathTxs
				if i == len(txs)-1 {
					path += "?wait=true&timeout=30s"
				}
				r := n.HTTP(http.MethodPost, path, x)
				if r.Status != http.StatusAccepted && r.Status != http.StatusOK {
					t.Errorf("sender %d tx %d: %d %s", s, i, r.Status, r.Body)
					return
				}
				hashes[s] = append(hashes[s], x.Hash())
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	seen := map[common.Hash]bool{}
	var total int
	for h := base + 1; h <= n.Ledger().Latest().Header.Height; h++ {
		b, err := n.Ledger().Block(h)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.TxHashes) == 0 || len(b.TxHashes) > 40 {
			t.Fatalf("block %d has %d txs", h, len(b.TxHashes))
		}
		for _, x := range b.TxHashes {
			if seen[x] {
				t.Fatalf("tx %s included twice", x)
			}
			seen[x] = true
			total++
		}
	}
	for s, hs := range hashes {
		var prev *api.Receipt
		for i, h := range hs {
			var rec api.Tx
			n.HTTP(http.MethodGet, api.PathTxs+"/"+h.Hex(), nil, n.AdminAuth()...).JSON(t, &rec)
			if rec.Status != api.TxCommitted {
				t.Fatalf("sender %d tx %d: %s", s, i, rec.Status)
			}
			if prev != nil && (rec.Receipt.Height < prev.Height || rec.Receipt.Height == prev.Height && rec.Receipt.Index <= prev.Index) {
				t.Fatalf("sender %d: nonce %d committed before nonce %d", s, i, i-1)
			}
			prev = rec.Receipt
		}
	}
	if total != senders*perSender {
		t.Fatalf("%d txs committed, want %d", total, senders*perSender)
	}
}

func TestGracefulShutdownKeepsCommittedBlocks(t *testing.T) {
	dir := t.TempDir()
	cfg := nodetest.Config(dir)
	cfg.BlockInterval = 2 * time.Millisecond
	n := nodetest.Start(t, cfg)
	id := n.ChainID()
	a := nodetest.NewMember(t, n, registry.RoleDeployer)
	var committed []common.Hash
	stop := time.After(300 * time.Millisecond)
	done := false
	for !done {
		select {
		case <-stop:
			done = true
		default:
		}
		x := emptyDeploy(t, a, id)
		r := n.Do(http.MethodPost, api.PathTxs, x)
		for r.Status == http.StatusUnprocessableEntity { // window full: let blocks catch up
			time.Sleep(time.Millisecond)
			r = n.Do(http.MethodPost, api.PathTxs, x)
		}
		if r.Status != http.StatusAccepted {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		committed = append(committed, x.Hash())
	}
	// Close while blocks are being produced.
	if err := n.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	latest := n.Ledger().Latest().Header.Height
	if latest == 0 {
		t.Fatal("no block was produced")
	}
	// Reopening checks the store's latest header against its state root.
	n2 := nodetest.Open(t, nodetest.Config(dir))
	if got := n2.Ledger().Latest().Header.Height; got != latest {
		t.Fatalf("reopened at %d, closed at %d", got, latest)
	}
	// Every included transaction is readable; the rest were pending.
	included := 0
	for _, h := range committed {
		r := n2.Do(http.MethodGet, api.PathTxs+"/"+h.Hex(), nil, n2.AdminAuth()...)
		if r.Status == http.StatusOK {
			var rec api.Tx
			if err := json.Unmarshal(r.Body, &rec); err != nil || rec.Status != api.TxCommitted {
				t.Fatalf("tx %s: %s", h, r.Body)
			}
			included++
		}
	}
	if included == 0 {
		t.Fatal("nothing committed before shutdown")
	}
	// After a restart the pending ones can be resubmitted; the client's
	// next nonce is the committed one.
	var acct api.Account
	n2.Do(http.MethodGet, api.PathAccounts+a.Addr.Hex(), nil, n2.AdminAuth()...).JSON(t, &acct)
	if acct.Nonce != uint64(included) {
		t.Fatalf("nonce %d, included %d", acct.Nonce, included)
	}
}
