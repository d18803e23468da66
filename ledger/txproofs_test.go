package ledger

import (
	"fmt"
	"sync"
	"testing"

	"github.com/meshledger/meshledger/ledger/internal/roots"
	"github.com/meshledger/meshledger/ledger/proof"
)

// Every transaction of a block, asked for concurrently (as clients waiting
// for the same block do), gets proofs that verify against its header and
// equal what roots.ProveTx/ProveReceipt give; the tries are built once.
func TestTxProofsSharedAcrossBlock(t *testing.T) {
	e := newEnv(t)
	e.setup()
	const n = 150 // past index 0x80, where rlp(index) changes length
	pays := payBlockN(e, n)
	a := e.apply(pays...)
	if len(a.TxHashes) != n {
		t.Fatalf("%d txs included, rejected %v", len(a.TxHashes), a.Rejected)
	}
	h := a.Header.Header
	bodies := make([][]byte, n)
	for i, tx := range pays {
		bodies[i], _ = tx.MarshalBinary()
	}
	var wg sync.WaitGroup
	errs := make([]string, n)
	for i, hash := range a.TxHashes {
		wg.Go(func() {
			rec, err := e.l.Tx(hash)
			if err != nil {
				errs[i] = err.Error()
				return
			}
			got, err := proof.VerifyInclusion(h.TxRoot, proof.IndexKey(uint64(i)), rec.TxProof)
			if err != nil || string(got) != string(bodies[i]) {
				errs[i] = "tx proof does not verify"
				return
			}
			renc, _ := rec.Receipt.Encode()
			got, err = proof.VerifyInclusion(h.ReceiptRoot, proof.IndexKey(uint64(i)), rec.ReceiptProof)
			if err != nil || string(got) != string(renc) {
				errs[i] = "receipt proof does not verify"
				return
			}
			want, _ := roots.ProveTx(bodies, i)
			if fmt.Sprint(want) != fmt.Sprint(rec.TxProof) {
				errs[i] = "tx proof differs from roots.ProveTx"
			}
		})
	}
	wg.Wait()
	for i, msg := range errs {
		if msg != "" {
			t.Fatalf("tx %d: %s", i, msg)
		}
	}
	if got := e.l.tries.Len(); got != 1 {
		t.Fatalf("%d blocks' tries cached, want 1", got)
	}
}

// Only the latest blocksProved blocks keep their tries.
func TestTxProofsCacheBounded(t *testing.T) {
	e := newEnv(t)
	e.setup()
	for range blocksProved + 2 {
		a := e.apply(e.pay(1))
		if _, err := e.l.Tx(a.TxHashes[0]); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.l.tries.Len(); got != blocksProved {
		t.Fatalf("%d blocks kept; want %d", got, blocksProved)
	}
}
