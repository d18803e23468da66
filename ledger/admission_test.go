package ledger

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
)

// CheckTxNonce returns the nonce it checked against with the verdicts that
// come after the nonce check, and 0 with those before it.
func TestCheckTxNonce(t *testing.T) {
	e := newEnv(t)
	e.setup()
	next := e.nonce(e.servicer)
	wrongChain, err := tx.SignCall(tx.Call{From: ledgertest.AddrOf(e.servicer), Nonce: next, Contract: e.loan, Method: "pay", GasLimit: 1000}, ledgertest.ChainID+1, e.servicer)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		tx       *tx.Tx
		wantNext uint64
		want     error
	}{
		{"valid", e.callTx(e.servicer, next, e.loan, "pay", map[string]any{"id": "L1", "amount": 1}), next, nil},
		{"nonce ahead is admitted", e.callTx(e.servicer, next+3, e.loan, "pay", map[string]any{"id": "L1", "amount": 1}), next, nil},
		{"unknown contract keeps the nonce", e.callTx(e.servicer, next+1, common.HexToAddress("0xaa"), "get", map[string]any{}), next, ErrUnknownContract},
		{"wrong chain", wrongChain, 0, tx.ErrWrongChain},
		{"nil", nil, 0, tx.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.l.CheckTxNonce(tt.tx)
			if !errors.Is(err, tt.want) || got != tt.wantNext {
				t.Fatalf("CheckTxNonce = %d, %v; want %d, %v", got, err, tt.wantNext, tt.want)
			}
			if cerr := e.l.CheckTx(tt.tx); !errors.Is(cerr, tt.want) {
				t.Fatalf("CheckTx = %v, want %v", cerr, tt.want)
			}
		})
	}
	// A nonce below the next one is refused once the servicer has sent.
	e.apply(e.pay(1))
	if _, err := e.l.CheckTxNonce(e.callTx(e.servicer, next, e.loan, "pay", map[string]any{"id": "L1", "amount": 1})); !errors.Is(err, tx.ErrNonceTooLow) {
		t.Fatalf("used nonce: %v", err)
	}
}

func TestHasTx(t *testing.T) {
	e := newEnv(t)
	e.setup()
	a := e.apply(e.pay(1))
	pending := e.pay(1)
	tests := []struct {
		name string
		hash common.Hash
		want bool
	}{
		{"committed", a.TxHashes[0], true},
		{"never sent", pending.Hash(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.l.HasTx(tt.hash)
			if err != nil || got != tt.want {
				t.Fatalf("HasTx = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	e.l.Close(t.Context())
	if _, err := e.l.HasTx(a.TxHashes[0]); err == nil {
		t.Fatal("HasTx on a closed ledger succeeded")
	}
}
