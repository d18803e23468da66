package ledger

import (
	"context"
	"errors"
	"testing"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
)

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.setup()
	if err := e.l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  Config
		prep func(t *testing.T)
		want error
	}{
		{"other genesis", Config{Dir: e.dir, Genesis: block.DevGenesis(ledgertest.ChainID, ledgertest.GenesisTimeMs)}, nil, ErrGenesisMismatch},
		{"bad genesis", Config{Dir: t.TempDir(), Genesis: &block.Genesis{}}, nil, block.ErrBadGenesis},
		{"state behind header", Config{Dir: e.dir}, func(t *testing.T) {
			db, err := storage.Open(e.dir, storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Put(storage.ChainMetaKey(storage.MetaFlatStateRoot), block.EmptyRoot[:]); err != nil {
				t.Fatal(err)
			}
		}, ErrInconsistent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.prep != nil {
				c.prep(t)
			}
			if c.cfg.Genesis == nil {
				c.cfg.Genesis = e.genesis
			}
			c.cfg.Engine = sharedEngine
			l, err := Open(ctx, c.cfg)
			if !errors.Is(err, c.want) {
				if l != nil {
					l.Close(ctx)
				}
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	if _, err := Open(ctx, Config{Engine: sharedEngine}); err == nil {
		t.Fatal("no dir or store accepted")
	}
	if _, err := Open(ctx, Config{Dir: t.TempDir(), Engine: sharedEngine}); err == nil {
		t.Fatal("empty store without genesis accepted")
	}
}

func TestReopenWithoutGenesisAndClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.setup()
	want := e.l.Latest().Hash()
	pay := e.pay(1)
	e.l.Close(ctx)
	l, err := Open(ctx, Config{Dir: e.dir, Engine: sharedEngine})
	if err != nil {
		t.Fatal(err)
	}
	if l.Latest().Hash() != want || l.Genesis().Hash() != e.genesis.Hash() || l.ChainID() != ledgertest.ChainID {
		t.Fatal("reopened ledger differs")
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatalf("second close: %v", err)
	}
	p := Proposal{TimeMs: l.Latest().Header.TimeMs + 1, Proposer: e.proposer.Address()}
	if _, err := l.ApplyBlock(ctx, p, e.proposer); !errors.Is(err, ErrClosed) {
		t.Fatalf("apply after close: %v", err)
	}
	if err := l.CheckTx(pay); !errors.Is(err, ErrClosed) {
		t.Fatalf("check after close: %v", err)
	}
	e.l = e.open(Config{Dir: e.dir}) // for the env's cleanup
}

// TestRejectionsKeepProposalIndexes mixes valid and invalid transactions:
// rejections name their proposal position and the rest are included in
// order with consecutive indexes.
func TestRejectionsKeepProposalIndexes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	p1 := e.pay(1)
	bad := resign(t, e.pay(2), func(s []byte) { copy(s[:32], make([]byte, 32)) })
	e.issued[ledgertest.AddrOf(e.servicer)]-- // the bad one does not use its nonce
	p2 := e.pay(3)
	txs := []*tx.Tx{p1, nil, bad, p2}
	a := e.apply(txs...)
	if len(a.Rejected) != 2 || a.Rejected[0].Index != 1 || a.Rejected[1].Index != 2 ||
		!errors.Is(a.Rejected[0].Err, tx.ErrMalformed) || !errors.Is(a.Rejected[1].Err, tx.ErrBadSignature) {
		t.Fatalf("rejected %+v", a.Rejected)
	}
	if len(a.Receipts) != 2 || a.TxHashes[1] != p2.Hash() || a.Receipts[1].Index != 1 || !a.Receipts[1].OK() {
		t.Fatalf("receipts %+v", a.Receipts)
	}
}
