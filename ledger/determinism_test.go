package ledger

import (
	"bytes"
	"testing"
)

// buildHistory builds a chain exercising every kind of block: deploy with
// code, deploy by hash, calls, a failed call, an empty block. (The audit
// package builds the same history to replay it.)
func buildHistory(e *env) {
	e.setup()
	e.apply(e.pay(1_000), e.pay(2_000))
	e.apply(e.callTx(e.servicer, e.nonce(e.servicer), e.loan, "nope", map[string]any{}))
	e.applyRejected(e.callTx(e.servicer, 0, e.loan, "get", map[string]any{}))
	e.apply(e.deployTx(e.owner, e.nonce(e.owner), false), e.pay(3_000))
}

func TestDeterminismAcrossLedgers(t *testing.T) {
	t.Parallel()
	a, b := newEnv(t), newEnv(t)
	buildHistory(a)
	buildHistory(b)
	for h := uint64(1); h <= a.l.Latest().Header.Height; h++ {
		ha, _ := a.l.Header(h)
		hb, _ := b.l.Header(h)
		if ha.Hash() != hb.Hash() {
			t.Fatalf("header %d differs", h)
		}
		ra, _ := a.l.Receipts(h)
		rb, _ := b.l.Receipts(h)
		for i := range ra {
			ea, _ := ra[i].Encode()
			eb, _ := rb[i].Encode()
			if !bytes.Equal(ea, eb) {
				t.Fatalf("receipt %d/%d differs", h, i)
			}
		}
	}
	if !sameDump(dump(t, a.l.kv), dump(t, b.l.kv)) {
		t.Fatal("stores differ")
	}
}
