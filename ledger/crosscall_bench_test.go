package ledger

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
)

// BenchmarkCrossContractCall is a transaction writing one key of the
// callee contract, directly ("direct") and through the caller contract's
// cross-contract call ("cross", which also writes the caller's key), in
// blocks of 100 transactions on the compiler: the cross call's cost over
// the direct one is what a contract pays for calling another.
func BenchmarkCrossContractCall(b *testing.B) {
	const perBlock = 100
	c := newCrossChain(b, sharedEngine)
	callee := c.callees[0]
	calls := map[string]func() *tx.Tx{
		"direct": func() *tx.Tx {
			return c.callGas(callee, "set", map[string]any{"value": "x"})
		},
		"cross": func() *tx.Tx {
			return c.callGas(c.caller, "run", map[string]any{"callee": callee, "method": "set", "args": setArgs("x", nil), "set": "a"})
		},
	}
	for _, name := range []string{"direct", "cross"} {
		b.Run(name, func(b *testing.B) {
			var gas uint64
			for done := 0; done < b.N; {
				b.StopTimer()
				n := min(perBlock, b.N-done)
				txs := make([]*tx.Tx, n)
				for i := range txs {
					txs[i] = calls[name]()
				}
				b.StartTimer()
				a, err := c.l.ApplyBlock(context.Background(), c.proposal(txs...), c.proposer)
				if err != nil || len(a.Receipts) != n || !a.Receipts[0].OK() {
					b.Fatalf("block: %v", err)
				}
				clear(c.issued)
				gas = a.Receipts[0].GasUsed
				done += n
			}
			b.ReportMetric(float64(gas), "gas/tx")
		})
	}
}

// callGas is a call with a gas limit that lets a block hold many of them.
func (c *crossChain) callGas(contract [20]byte, method string, args any) *tx.Tx {
	c.tb.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		c.tb.Fatal(err)
	}
	t, err := tx.SignCall(tx.Call{From: ledgertest.AddrOf(c.owner), Nonce: c.next(c.owner), Contract: contract, Method: method, Args: raw, GasLimit: 2_000_000}, ledgertest.ChainID, c.owner)
	if err != nil {
		c.tb.Fatal(err)
	}
	return t
}
