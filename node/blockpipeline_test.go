package node_test

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// TestPipelinedBlocksAcknowledgedWhenDurable drives the pipelined producer
// with several senders at once, small blocks and no interval, so that
// blocks are executed while the one before them is written. Every
// transaction acknowledged with ?wait=true is in the ledger's store when
// the answer arrives, the chain links up, and after the node is closed
// every acknowledged transaction is found by a ledger opened afresh.
func TestPipelinedBlocksAcknowledgedWhenDurable(t *testing.T) {
	const senders, perSender = 6, 12
	dir := t.TempDir()
	cfg := nodetest.Config(dir)
	cfg.BlockInterval, cfg.BlockMaxTxs = time.Millisecond, 8
	n := nodetest.Start(t, cfg)
	id := n.ChainID()
	accts := nodetest.NewMembers(t, n, senders, registry.RoleDeployer)
	base := n.Ledger().Latest().Header.Height

	var mu sync.Mutex
	var acked []common.Hash
	var wg sync.WaitGroup
	for s := range senders {
		txs := make([]*tx.Tx, perSender)
		for i := range txs {
			txs[i] = emptyDeploy(t, accts[s], id)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, x := range txs {
				// Every third nonce waits for its block, so that waits and
				// blocks interleave with the other senders' submissions.
				path := api.PathTxs
				wait := i%3 == 2 || i == len(txs)-1
				if wait {
					path += "?wait=true&timeout=30s"
				}
				r := n.Do(http.MethodPost, path, x)
				if r.Status != http.StatusAccepted && r.Status != http.StatusOK {
					t.Errorf("sender %d tx %d: %d %s", s, i, r.Status, r.Body)
					return
				}
				if !wait {
					continue
				}
				var got api.Tx
				r.JSON(t, &got)
				if got.Status != api.TxCommitted {
					t.Errorf("sender %d tx %d: acknowledged as %s", s, i, got.Status)
					return
				}
				// Acknowledged means written: the store has it and the
				// latest header is at least its block.
				if _, err := n.Ledger().Tx(x.Hash()); err != nil {
					t.Errorf("sender %d tx %d acknowledged, not in the store: %v", s, i, err)
				}
				if latest := n.Ledger().Latest().Header.Height; latest < got.Receipt.Height {
					t.Errorf("sender %d tx %d acknowledged in block %d, latest %d", s, i, got.Receipt.Height, latest)
				}
				mu.Lock()
				acked = append(acked, x.Hash())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	latest := n.Ledger().Latest().Header.Height
	if latest-base < 2 {
		t.Fatalf("only %d blocks for %d transactions", latest-base, senders*perSender)
	}
	total := 0
	for h := base + 1; h <= latest; h++ {
		b, err := n.Ledger().Block(h)
		if err != nil {
			t.Fatal(err)
		}
		parent, err := n.Ledger().Header(h - 1)
		if err != nil || b.Header.Header.ParentHash != parent.Hash() {
			t.Fatalf("block %d does not link to block %d (%v)", h, h-1, err)
		}
		total += len(b.TxHashes)
	}
	if total != senders*perSender {
		t.Fatalf("%d transactions in blocks, want %d", total, senders*perSender)
	}

	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(context.Background(), ledger.Config{Dir: filepath.Join(dir, node.ChainDir)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	for _, h := range acked {
		if _, err := l.Tx(h); err != nil {
			t.Fatalf("acknowledged %s lost: %v", h, err)
		}
	}
	if l.Latest().Header.Height != latest {
		t.Fatalf("reopened at %d, closed at %d", l.Latest().Header.Height, latest)
	}
}
