package ledger

import (
	"context"
	"errors"
	"maps"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/runtime"
)

// resign rebuilds t with a modified signature.
func resign(tb testing.TB, t *tx.Tx, edit func(sig []byte)) *tx.Tx {
	tb.Helper()
	sig := t.Signature()
	edit(sig[:])
	out, err := tx.NewTx(t.ChainID(), t.Message(), sig, t.Code())
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestRejectedInputsChangeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	used := e.callTx(e.owner, 0, e.loan, "get", map[string]string{"id": "L1"})
	n := e.nonce(e.servicer)
	good := func() *tx.Tx { return e.pay(10) }
	otherCode := append([]byte(nil), e.loanCode()...)
	otherCode[len(otherCode)-1] ^= 0xff

	cases := []struct {
		name    string
		tx      func() *tx.Tx
		want    error
		checkOK bool // CheckTx admits it (valid later), ApplyBlock still rejects
	}{
		{"bad signature", func() *tx.Tx {
			return resign(t, good(), func(s []byte) { copy(s[:32], make([]byte, 32)) })
		}, tx.ErrBadSignature, false},
		{"high s", func() *tx.Tx {
			return resign(t, good(), func(s []byte) {
				v := new(big.Int).SetBytes(s[32:64])
				v.Sub(crypto.S256().Params().N, v).FillBytes(s[32:64])
				s[64] = 27 + 28 - s[64] // the other recovery id
			})
		}, tx.ErrHighS, false},
		{"wrong chain", func() *tx.Tx {
			c, err := tx.SignCall(tx.Call{From: ledgertest.AddrOf(e.servicer), Nonce: n, Contract: e.loan, Method: "get", Args: []byte(`{}`), GasLimit: 1000}, ledgertest.ChainID+1, e.servicer)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, tx.ErrWrongChain, false},
		{"nonce too low", func() *tx.Tx { return used }, tx.ErrNonceTooLow, false},
		{"nonce too high", func() *tx.Tx {
			return e.callTx(e.servicer, n+1, e.loan, "pay", map[string]any{"id": "L1", "amount": 1})
		}, tx.ErrNonceTooHigh, true},
		{"gas limit above block limit", func() *tx.Tx {
			c, err := tx.SignCall(tx.Call{From: ledgertest.AddrOf(e.servicer), Nonce: n, Contract: e.loan, Method: "get", Args: []byte(`{}`), GasLimit: e.l.BlockGasLimit() + 1}, ledgertest.ChainID, e.servicer)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, tx.ErrGasLimitTooHigh, false},
		{"code not matching hash", func() *tx.Tx {
			d, err := e.deployTx(e.owner, e.nonce(e.owner), true).WithCode(otherCode)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}, tx.ErrCodeHashMismatch, false},
		{"deploy by hash of unknown code", func() *tx.Tx {
			d, err := tx.SignDeploy(tx.Deploy{From: ledgertest.AddrOf(e.owner), Nonce: e.nonce(e.owner), CodeHash: crypto.Keccak256Hash(otherCode), Name: "x", GasLimit: 1000}, nil, ledgertest.ChainID, e.owner)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}, ErrUnknownCode, false},
		{"oversized args", func() *tx.Tx {
			return e.callTx(e.servicer, n, e.loan, "pay", map[string]any{"id": strings.Repeat("x", 300<<10)})
		}, tx.ErrTooLarge, false},
		{"malformed (nil)", func() *tx.Tx { return nil }, tx.ErrMalformed, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := c.tx()
			before := e.snap()
			err := e.l.CheckTx(bad)
			if c.checkOK {
				if err != nil {
					t.Fatalf("CheckTx: %v", err)
				}
			} else if !errors.Is(err, c.want) {
				t.Fatalf("CheckTx: got %v, want %v", err, c.want)
			}
			e.sameAs(before)

			// A proposal whose only transaction is rejected makes no
			// block at all: height, root and store stay as they were.
			rej := e.applyRejected(bad)
			if len(rej) != 1 || !errors.Is(rej[0].Err, c.want) {
				t.Fatalf("ApplyBlock rejected %+v, want %v", rej, c.want)
			}
			e.sameAs(before)
			for addr, want := range before.nonces {
				if got, _ := e.l.NextNonce(addr); got != want {
					t.Fatalf("nonce of %s %d→%d", addr, want, got)
				}
			}
			if bad != nil && bad.Hash() != used.Hash() {
				if _, err := e.l.Tx(bad.Hash()); !errors.Is(err, ErrNotFound) {
					t.Fatalf("rejected tx indexed: %v", err)
				}
			}
		})
	}
}

func TestFailedReceiptsConsumeNonce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	cases := []struct {
		name   string
		tx     func() *tx.Tx
		status block.Status
		check  error // CheckTx verdict
	}{
		{"unknown method", func() *tx.Tx {
			return e.callTx(e.servicer, e.nonce(e.servicer), e.loan, "nope", map[string]any{})
		}, block.Status(runtime.CodeUnknownMethod), nil},
		{"init after deploy", func() *tx.Tx {
			return e.callTx(e.servicer, e.nonce(e.servicer), e.loan, "init", map[string]any{})
		}, block.Status(runtime.CodeUnknownMethod), nil},
		{"contract error", func() *tx.Tx { return e.pay(-5) }, block.Status(runtime.CodeError), nil},
		{"unknown contract", func() *tx.Tx {
			return e.callTx(e.servicer, e.nonce(e.servicer), common.HexToAddress("0xdead"), "get", map[string]any{})
		}, block.StatusUnknownContract, ErrUnknownContract},
		{"out of gas", func() *tx.Tx {
			c, err := tx.SignCall(tx.Call{From: ledgertest.AddrOf(e.servicer), Nonce: e.nonce(e.servicer), Contract: e.loan, Method: "pay", Args: []byte(`{"id":"L1","amount":1}`), GasLimit: 500}, ledgertest.ChainID, e.servicer)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}, block.Status(runtime.CodeOutOfGas), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ft := c.tx()
			if err := e.l.CheckTx(ft); !errors.Is(err, c.check) {
				t.Fatalf("CheckTx: %v, want %v", err, c.check)
			}
			before := e.snap()
			loanState := flatContractState(t, e.l, e.loan)
			a := e.apply(ft)
			if len(a.Rejected) != 0 || len(a.Receipts) != 1 {
				t.Fatalf("rejected %+v", a.Rejected)
			}
			r := a.Receipts[0]
			if r.Status != c.status || r.Message == "" || len(r.Writes) != 0 || len(r.Events) != 0 {
				t.Fatalf("receipt %+v", *r)
			}
			// The root moves only by the consumed nonce (system namespace).
			if got := flatContractState(t, e.l, e.loan); !maps.Equal(got, loanState) {
				t.Fatal("failed tx changed contract state")
			}
			np, err := e.l.ProveAccount(ledgertest.AddrOf(e.servicer))
			if err != nil || np.Nonce != before.nonces[ledgertest.AddrOf(e.servicer)]+1 || np.Header.Header.StateRoot != a.Header.Header.StateRoot {
				t.Fatalf("proven nonce %+v, %v", np, err)
			}
			if got := e.nonce(e.servicer); got != before.nonces[ledgertest.AddrOf(e.servicer)]+1 {
				t.Fatalf("nonce not consumed: %d", got)
			}
			rec, err := e.l.Tx(ft.Hash())
			if err != nil || rec.Receipt.Status != c.status {
				t.Fatalf("failed tx not indexed: %v", err)
			}
		})
	}
}

func TestBlockGasLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	// With a per-transaction cap as large as the block, a transaction may
	// use the whole block, but not once another has used some of it.
	e.l.Close(context.Background())
	e.l = e.open(Config{Dir: e.dir, TxGasCap: block.DefaultBlockGasLimit})
	limit := e.l.BlockGasLimit()
	p1, p2 := e.pay(1), e.pay(2)
	big, err := tx.SignCall(tx.Call{From: ledgertest.AddrOf(e.servicer), Nonce: e.next(e.servicer), Contract: e.loan, Method: "pay", Args: []byte(`{"id":"L1","amount":3}`), GasLimit: limit}, ledgertest.ChainID, e.servicer)
	if err != nil {
		t.Fatal(err)
	}
	a := e.apply(p1, p2, big)
	if len(a.Receipts) != 2 || len(a.Rejected) != 1 {
		t.Fatalf("receipts %d rejected %+v", len(a.Receipts), a.Rejected)
	}
	if r := a.Rejected[0]; r.Index != 2 || !errors.Is(r.Err, ErrBlockGasExhausted) || !Retryable(r.Err) {
		t.Fatalf("rejection %+v", r)
	}
	a = e.apply(big)
	if len(a.Receipts) != 1 || !a.Receipts[0].OK() {
		t.Fatalf("retry: %+v", a.Rejected)
	}
}

// TestNoEmptyBlocks: a proposal with no transactions, or whose every
// transaction is rejected, commits nothing and says why.
func TestNoEmptyBlocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	before := e.snap()
	height := e.l.Latest().Header.Height
	if rej := e.applyRejected(); len(rej) != 0 {
		t.Fatalf("no txs: rejected %+v", rej)
	}
	used := e.callTx(e.owner, 0, e.loan, "get", map[string]string{"id": "L1"})
	bad := resign(t, e.pay(1), func(s []byte) { copy(s[:32], make([]byte, 32)) })
	rej := e.applyRejected(used, nil, bad)
	if len(rej) != 3 || !errors.Is(rej[0].Err, tx.ErrNonceTooLow) || !errors.Is(rej[1].Err, tx.ErrMalformed) ||
		!errors.Is(rej[2].Err, tx.ErrBadSignature) || rej[2].Index != 2 {
		t.Fatalf("rejected %+v", rej)
	}
	e.sameAs(before)
	if got := e.l.Latest().Header.Height; got != height {
		t.Fatalf("height %d → %d", height, got)
	}
	// The next valid proposal still makes the next block.
	if a := e.apply(e.pay(5)); a.Header.Header.Height != height+1 {
		t.Fatalf("next block at %d", a.Header.Header.Height)
	}
}

func TestApplyBlockErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	before := e.snap()
	p := e.proposal()
	p.TimeMs = e.l.Latest().Header.TimeMs
	if _, err := e.l.ApplyBlock(ctx, p, e.proposer); !errors.Is(err, ErrBadTime) {
		t.Fatalf("same time: %v", err)
	}
	p = e.proposal()
	p.Proposer = ledgertest.AddrOf(e.owner)
	if _, err := e.l.ApplyBlock(ctx, p, e.proposer); !errors.Is(err, ErrWrongProposer) {
		t.Fatalf("wrong proposer: %v", err)
	}
	e.sameAs(before)
}

// flatContractState is a contract's whole latest flat state.
func flatContractState(tb testing.TB, l *Ledger, c common.Address) map[string]string {
	tb.Helper()
	out := map[string]string{}
	if err := l.state.Iterate(c, nil, nil, func(k, v []byte) bool { out[string(k)] = string(v); return true }); err != nil {
		tb.Fatal(err)
	}
	return out
}
