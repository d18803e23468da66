package audit

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
)

// history builds a chain exercising every kind of block: deploy with code,
// deploy by hash, calls, a failed call, an empty block.
func buildHistory(e *env) {
	e.setup()
	e.apply(e.pay(1_000), e.pay(2_000))
	e.apply(e.callTx(e.servicer, e.nonce(e.servicer), e.loan, "nope", map[string]any{}))
	e.applyRejected(e.callTx(e.servicer, 0, e.loan, "get", map[string]any{}))
	e.apply(e.deployTx(e.owner, e.nonce(e.owner), false), e.pay(3_000))
}

func TestReplayFromStoreAndExport(t *testing.T) {
	t.Parallel()
	src := newEnv(t)
	buildHistory(src)
	ctx := context.Background()

	dst := src.fresh()
	h, err := ReplayLedger(ctx, dst, src.l)
	if err != nil {
		t.Fatal(err)
	}
	if h != src.l.Latest().Header.Height {
		t.Fatalf("replayed to %d", h)
	}
	for i := uint64(0); i <= h; i++ {
		a, _ := src.l.Header(i)
		b, _ := dst.Header(i)
		if a.Hash() != b.Hash() || !bytes.Equal(a.Signature, b.Signature) {
			t.Fatalf("header %d differs", i)
		}
	}

	var buf bytes.Buffer
	if err := Export(ctx, src.l, &buf, 1, h); err != nil {
		t.Fatal(err)
	}
	er, err := ReadExport(bytes.NewReader(buf.Bytes()), tx.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if er.Genesis().Hash() != src.genesis.Hash() {
		t.Fatal("export genesis differs")
	}
	dst2, _ := src.openStore(er.Genesis())
	if h2, err := Replay(ctx, dst2, er); err != nil || h2 != h {
		t.Fatalf("replay export: %d %v", h2, err)
	}
	if dst2.Latest().Hash() != src.l.Latest().Hash() {
		t.Fatal("export replay ends elsewhere")
	}
	if err := CompareState(src.l, dst2); err != nil {
		t.Fatal(err)
	}
	// Every code the chain stored is there after replay.
	if _, err := dst2.Code(crypto.Keccak256Hash(src.loanCode())); err != nil {
		t.Fatal(err)
	}
}

func TestExportErrors(t *testing.T) {
	t.Parallel()
	src := newEnv(t)
	ctx := context.Background()
	var buf bytes.Buffer
	if err := Export(ctx, src.l, &buf, 1, 1); !errors.Is(err, ledger.ErrBadRequest) {
		t.Fatalf("export past tip: %v", err)
	}
	bad := [][]byte{nil, []byte("nope"), []byte(ExportMagic), append([]byte(ExportMagic), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)}
	for i, b := range bad {
		if _, err := ReadExport(bytes.NewReader(b), tx.Limits{}); !errors.Is(err, ErrBadExport) {
			t.Fatalf("case %d: %v", i, err)
		}
	}
}

func asMismatch(t *testing.T, err error) *Mismatch {
	t.Helper()
	var m *Mismatch
	if !errors.As(err, &m) {
		t.Fatalf("want *Mismatch, got %v", err)
	}
	return m
}

func TestReplayNamesTamperedStateValue(t *testing.T) {
	t.Parallel()
	src := newEnv(t)
	buildHistory(src)
	key := []byte("loan/L1")
	src.rawPut(storage.FlatStateKey(src.loan, key), []byte(`{"tampered":true}`))
	last, err := src.l.History(src.loan, key, ledger.Cursor{}, ledger.MaxHistoryLimit)
	if err != nil {
		t.Fatal(err)
	}
	lastWrite := last.Entries[len(last.Entries)-1]

	_, err = ReplayLedger(context.Background(), src.fresh(), src.l)
	m := asMismatch(t, err)
	if m.What != MismatchStateValue || m.Contract != src.loan || !bytes.Equal(m.Key, key) ||
		m.Height != lastWrite.Height || m.TxIndex != int(lastWrite.Index) || m.TxHash != lastWrite.TxHash ||
		m.Expected != "0x7b2274616d7065726564223a747275657d" {
		t.Fatalf("mismatch %+v", m)
	}
}

func TestReplayNamesTamperedReceipt(t *testing.T) {
	t.Parallel()
	src := newEnv(t)
	buildHistory(src)
	rs, err := src.l.Receipts(3)
	if err != nil {
		t.Fatal(err)
	}
	r := *rs[1]
	r.GasUsed++
	enc, _ := r.Encode()
	src.rawPut(storage.ReceiptKey(3, 1), enc)

	dst := src.fresh()
	_, err = ReplayLedger(context.Background(), dst, src.l)
	m := asMismatch(t, err)
	if m.What != MismatchReceipt || m.Height != 3 || m.TxIndex != 1 || m.TxHash != rs[1].TxHash || m.Field != "gas_used" {
		t.Fatalf("mismatch %+v", m)
	}
	if dst.Latest().Header.Height != 2 {
		t.Fatalf("replay went past the mismatch: %d", dst.Latest().Header.Height)
	}
}

// TestReplayHeaderMismatches alters source blocks in flight (re-signed
// where the signature must still hold) and checks each is named.
func TestReplayHeaderMismatches(t *testing.T) {
	t.Parallel()
	src := newEnv(t)
	buildHistory(src)
	ctx := context.Background()
	resign := func(sb *ledger.SourceBlock) {
		sh, err := block.SignHeader(sb.Header.Header, src.proposer.SignHash)
		if err != nil {
			t.Fatal(err)
		}
		sb.Header = sh
	}
	cases := []struct {
		what   string
		height uint64
		edit   func(sb *ledger.SourceBlock)
	}{
		{MismatchStateRoot, 3, func(sb *ledger.SourceBlock) { sb.Header.Header.StateRoot[0] ^= 1; resign(sb) }},
		{MismatchLogRoot, 2, func(sb *ledger.SourceBlock) { sb.Header.Header.LogRoot[0] ^= 1; resign(sb) }},
		{MismatchReceiptRoot, 3, func(sb *ledger.SourceBlock) { sb.Header.Header.ReceiptRoot[0] ^= 1; sb.Receipts = nil; resign(sb) }},
		{MismatchTxRoot, 3, func(sb *ledger.SourceBlock) { sb.Txs = sb.Txs[:1]; sb.Receipts = sb.Receipts[:1] }},
		{MismatchSignature, 2, func(sb *ledger.SourceBlock) { sb.Header.Signature[5] ^= 1 }},
		{MismatchParent, 2, func(sb *ledger.SourceBlock) { sb.Header.Header.ParentHash[0] ^= 1; resign(sb) }},
		{MismatchTime, 1, func(sb *ledger.SourceBlock) { sb.Header.Header.TimeMs = ledgertest.GenesisTimeMs; resign(sb) }},
		{MismatchRejected, 3, func(sb *ledger.SourceBlock) {
			sb.Txs[0], sb.Txs[1] = sb.Txs[1], sb.Txs[0]
			sb.Receipts = nil
			h := sb.Header.Header
			root, err := ledger.TxRoot(sb.Txs)
			if err != nil {
				t.Fatal(err)
			}
			h.TxRoot = root
			sb.Header.Header = h
			resign(sb)
		}},
	}
	for _, c := range cases {
		t.Run(c.what, func(t *testing.T) {
			dst := src.fresh()
			for h := uint64(1); h <= c.height; h++ {
				sb, err := src.sourceBlock(h)
				if err != nil {
					t.Fatal(err)
				}
				if h == c.height {
					c.edit(sb)
				}
				_, err = ReplayBlock(ctx, dst, sb)
				if h < c.height {
					if err != nil {
						t.Fatal(err)
					}
					continue
				}
				m := asMismatch(t, err)
				if m.What != c.what || m.Height != c.height {
					t.Fatalf("mismatch %+v", m)
				}
				if c.what == MismatchRejected && m.TxIndex != 0 {
					t.Fatalf("rejected tx not named: %+v", m)
				}
				if dst.Latest().Header.Height != c.height-1 {
					t.Fatal("mismatched block committed")
				}
			}
		})
	}
}

// TestReplayIgnoresCutoff: a block cut short replays to the same header,
// because replay executes exactly the transactions the block holds.
func TestReplayIgnoresCutoff(t *testing.T) {
	e := newEnv(t)
	e.setup()
	txs := []*tx.Tx{e.pay(1), e.pay(2), e.pay(3)}
	p := e.proposal(txs...)
	p.Cutoff = func() bool { return true }
	a, err := e.l.ApplyBlock(context.Background(), p, e.proposer)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.TxHashes) != 1 {
		t.Fatalf("cut block holds %d txs, want 1", len(a.TxHashes))
	}
	dst := e.fresh()
	h, err := ReplayLedger(context.Background(), dst, e.l)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if h != a.Header.Header.Height || dst.Latest().Hash() != e.l.Latest().Hash() {
		t.Fatalf("replayed to %d head %s, want %d %s", h, dst.Latest().Hash(), a.Header.Header.Height, e.l.Latest().Hash())
	}
}
