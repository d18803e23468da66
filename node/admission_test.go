package node_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// largeCode is size bytes of code that is not a valid module: admission
// hashes all of it, and its deploy fails in the receipt.
func largeCode(t *testing.T, size int) []byte {
	t.Helper()
	code := make([]byte, size)
	copy(code, emptyModule)
	if _, err := rand.Read(code[len(emptyModule):]); err != nil {
		t.Fatal(err)
	}
	return code
}

// flood keeps blocks committing back to back until ctx ends: senders
// submit small transactions as fast as admission takes them.
func flood(ctx context.Context, t *testing.T, n *nodetest.Node, senders int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, a := range nodetest.NewMembers(t, n, senders, registry.RoleDeployer) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				x := emptyDeploy(t, a, n.ChainID())
				for ctx.Err() == nil {
					if _, err := n.Submit(x); err == nil {
						break
					}
					time.Sleep(time.Millisecond) // window full: let blocks catch up
				}
			}
		}()
	}
	return &wg
}

// Deploys of large code submitted while blocks commit back to back are
// admitted, or refused with 503 and Retry-After: never an internal error.
func TestLargeDeploysAdmittedUnderLoad(t *testing.T) {
	n := nodetest.Start(t, node.Config{BlockInterval: time.Millisecond})
	id := n.ChainID()
	deployers := nodetest.NewMembers(t, n, 6, registry.RoleDeployer)
	ctx, cancel := context.WithCancel(context.Background())
	wg := flood(ctx, t, n, 3)
	defer func() { cancel(); wg.Wait() }()
	time.Sleep(50 * time.Millisecond)
	startHeight := n.Ledger().Latest().Header.Height

	var admitted []*tx.Tx
	for i, a := range deployers {
		d, err := tx.SignDeploy(tx.Deploy{From: a.Addr, Name: "large", GasLimit: 1_000_000}, largeCode(t, 2<<20), id, a.Key)
		if err != nil {
			t.Fatal(err)
		}
		r := n.HTTP(http.MethodPost, api.PathTxs, d)
		switch {
		case r.Status == http.StatusAccepted:
			admitted = append(admitted, d)
		case r.Status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "":
			t.Logf("deploy %d: %d %s", i, r.Status, r.Body)
		default:
			t.Errorf("deploy %d: %d %s (Retry-After %q)", i, r.Status, r.Body, r.Header.Get("Retry-After"))
		}
	}
	if blocks := n.Ledger().Latest().Header.Height - startHeight; blocks < 6 {
		t.Fatalf("only %d blocks committed during the deploys: no load", blocks)
	}
	if len(admitted) == 0 {
		t.Fatal("no deploy admitted")
	}
	cancel()
	wg.Wait()
	// Admitted deploys reach a block, with a failed receipt for this code.
	for _, d := range admitted {
		var got api.Tx
		deadline := time.Now().Add(20 * time.Second)
		for {
			n.HTTP(http.MethodGet, api.PathTxs+"/"+d.Hash().Hex(), nil, n.AdminAuth()...).JSON(t, &got)
			if got.Status != api.TxPending || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got.Status != api.TxCommitted || got.Receipt == nil || got.Receipt.Status == "ok" {
			t.Fatalf("deploy %s: %+v", d.Hash(), got)
		}
	}
}

// Admission that keeps losing the race with commits is a busy node, not
// a broken one: 503 with Retry-After.
func TestStaleAdmissionIsUnavailable(t *testing.T) {
	status, body, retry := httpapi.Classify(fmt.Errorf("admit tx: 9 blocks committed while it was admitted: %w", mempool.ErrStale))
	if status != http.StatusServiceUnavailable || body.Code != api.CodeUnavailable || !retry {
		t.Fatalf("Classify(ErrStale) = %d %+v retry %v", status, body, retry)
	}
}
