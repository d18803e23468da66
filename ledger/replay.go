package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/roots"
	"github.com/meshledger/meshledger/ledger/tx"
)

// What a ReplayMismatch is about.
const (
	MismatchChainID      = "chain_id"
	MismatchHeight       = "height"
	MismatchParent       = "parent"
	MismatchSignature    = "signature"
	MismatchTime         = "time"
	MismatchTxRoot       = "tx_root"
	MismatchRejected     = "rejected" // a transaction of the block is not valid on replay
	MismatchReceiptCount = "receipt_count"
	MismatchReceipt      = "receipt"
	MismatchReceiptRoot  = "receipt_root"
	MismatchStateRoot    = "state_root"
	MismatchStateValue   = "state_value" // the source's stored state differs from the replayed state
)

// ReplayMismatch is the first disagreement found by a replay. Expected is
// what the source holds (its signed header, stored receipt or stored
// value); Got is what re-execution produced.
type ReplayMismatch struct {
	Height   uint64
	TxIndex  int // -1 when the mismatch is not attributable to one transaction
	TxHash   common.Hash
	What     string
	Field    string // the differing field of a receipt ("status", "writes[0].value", ...)
	Contract common.Address
	Key      []byte
	Expected string
	Got      string
}

func (m *ReplayMismatch) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "replay mismatch at block %d", m.Height)
	if m.TxIndex >= 0 {
		fmt.Fprintf(&b, " tx %d (%s)", m.TxIndex, m.TxHash)
	}
	fmt.Fprintf(&b, ": %s", m.What)
	if m.Field != "" {
		fmt.Fprintf(&b, " %s", m.Field)
	}
	if m.What == MismatchStateValue {
		fmt.Fprintf(&b, " of key %x in %s", m.Key, m.Contract)
	}
	fmt.Fprintf(&b, ": expected %s, got %s", m.Expected, m.Got)
	return b.String()
}

// SourceBlock is a committed block as a replay source gives it.
type SourceBlock struct {
	Header *block.SignedHeader
	// Txs carry their code where the original transaction did.
	Txs []*tx.Tx
	// Receipts are the source's stored receipts, compared one by one with
	// the recomputed ones; nil to skip (the receipt root is still checked).
	Receipts []*block.Receipt
}

// BlockSource yields blocks in height order; Next returns io.EOF after the
// last.
type BlockSource interface {
	Next(ctx context.Context) (*SourceBlock, error)
}

// ReplayBlock re-executes a committed block from another store through the
// same executor as ApplyBlock and commits it with its original signed
// header, after checking everything the header commits to. A mismatch is a
// *ReplayMismatch and leaves the ledger unchanged.
func (l *Ledger) ReplayBlock(ctx context.Context, sb *SourceBlock) (*Applied, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	l.applyMu.Lock()
	defer l.applyMu.Unlock()
	if err := l.checkOpen(); err != nil { // closed while waiting
		return nil, err
	}
	parent := l.latest.Load()
	h := sb.Header.Header
	mm := func(what, expected, got string) *ReplayMismatch {
		return &ReplayMismatch{Height: h.Height, TxIndex: -1, What: what, Expected: expected, Got: got}
	}
	switch {
	case h.ChainID != l.chainID:
		return nil, mm(MismatchChainID, fmt.Sprint(h.ChainID), fmt.Sprint(l.chainID))
	case h.Height != parent.Header.Height+1:
		return nil, mm(MismatchHeight, fmt.Sprint(h.Height), fmt.Sprint(parent.Header.Height+1))
	case h.ParentHash != parent.Hash():
		return nil, mm(MismatchParent, h.ParentHash.Hex(), parent.Hash().Hex())
	case h.TimeMs <= parent.Header.TimeMs:
		return nil, mm(MismatchTime, fmt.Sprint(h.TimeMs), fmt.Sprintf("> %d", parent.Header.TimeMs))
	}
	if err := sb.Header.VerifySignature(); err != nil {
		return nil, mm(MismatchSignature, h.Proposer.Hex(), err.Error())
	}
	bodies := make([][]byte, len(sb.Txs))
	for i, t := range sb.Txs {
		b, err := t.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("ledger: encode tx %d of block %d: %w", i, h.Height, err)
		}
		bodies[i] = b
	}
	if root := roots.Derive(bodies); root != h.TxRoot {
		return nil, mm(MismatchTxRoot, h.TxRoot.Hex(), root.Hex())
	}
	b, err := l.execute(ctx, Proposal{TimeMs: h.TimeMs, Proposer: h.Proposer, Txs: sb.Txs})
	if err != nil {
		return nil, err
	}
	defer b.enc.finish() // on a mismatch, before seal
	if len(b.rejected) > 0 {
		r := b.rejected[0]
		m := mm(MismatchRejected, "included", r.Err.Error())
		m.TxIndex, m.TxHash = r.Index, sb.Txs[r.Index].Hash()
		return nil, m
	}
	if sb.Receipts != nil {
		if len(sb.Receipts) != len(b.receipts) {
			return nil, mm(MismatchReceiptCount, fmt.Sprint(len(sb.Receipts)), fmt.Sprint(len(b.receipts)))
		}
		for i, got := range b.receipts {
			if field, exp, g := diffReceipts(sb.Receipts[i], got); field != "" {
				m := mm(MismatchReceipt, exp, g)
				m.TxIndex, m.TxHash, m.Field = i, got.TxHash, field
				return nil, m
			}
		}
	}
	batch := l.newBlockBatch(len(b.records))
	sealed, err := l.seal(b, batch)
	if err != nil {
		return nil, err
	}
	switch {
	case sealed.ReceiptRoot != h.ReceiptRoot:
		return nil, mm(MismatchReceiptRoot, h.ReceiptRoot.Hex(), sealed.ReceiptRoot.Hex())
	case sealed.StateRoot != h.StateRoot:
		return nil, mm(MismatchStateRoot, h.StateRoot.Hex(), sealed.StateRoot.Hex())
	case sealed != h:
		// Every field is derived from the checks above; this guards the
		// header layout growing without replay learning about it.
		return nil, mm("header", sb.Header.Hash().Hex(), sealed.Hash().Hex())
	}
	if err := l.commit(b, sb.Header, batch); err != nil {
		return nil, err
	}
	return b.applied(sb.Header), nil
}

// diffReceipts names the first field where the stored receipt differs
// from the recomputed one ("" when equal).
func diffReceipts(want, got *block.Receipt) (field, expected, actual string) {
	we, _ := want.Encode()
	ge, _ := got.Encode()
	if bytes.Equal(we, ge) {
		return "", "", ""
	}
	str := func(v any) string { return fmt.Sprint(v) }
	hex := func(b []byte) string { return hexutil.Encode(b) }
	switch {
	case want.TxHash != got.TxHash:
		return "tx_hash", want.TxHash.Hex(), got.TxHash.Hex()
	case want.Status != got.Status:
		return "status", string(want.Status), string(got.Status)
	case want.Message != got.Message:
		return "message", want.Message, got.Message
	case want.GasUsed != got.GasUsed:
		return "gas_used", str(want.GasUsed), str(got.GasUsed)
	case !bytes.Equal(want.Return, got.Return):
		return "return", hex(want.Return), hex(got.Return)
	case want.ContractAddress != got.ContractAddress:
		return "contract_address", want.ContractAddress.Hex(), got.ContractAddress.Hex()
	case want.Height != got.Height:
		return "height", str(want.Height), str(got.Height)
	case want.Index != got.Index:
		return "index", str(want.Index), str(got.Index)
	case len(want.Events) != len(got.Events):
		return "events", str(len(want.Events)), str(len(got.Events))
	case len(want.Writes) != len(got.Writes):
		return "writes", str(len(want.Writes)), str(len(got.Writes))
	}
	for i := range want.Events {
		w, g := want.Events[i], got.Events[i]
		switch {
		case w.Contract != g.Contract:
			return fmt.Sprintf("events[%d].contract", i), w.Contract.Hex(), g.Contract.Hex()
		case w.Name != g.Name:
			return fmt.Sprintf("events[%d].name", i), w.Name, g.Name
		case !bytes.Equal(w.Data, g.Data):
			return fmt.Sprintf("events[%d].data", i), hex(w.Data), hex(g.Data)
		}
	}
	for i := range want.Writes {
		w, g := want.Writes[i], got.Writes[i]
		switch {
		case w.Contract != g.Contract:
			return fmt.Sprintf("writes[%d].contract", i), w.Contract.Hex(), g.Contract.Hex()
		case !bytes.Equal(w.Key, g.Key):
			return fmt.Sprintf("writes[%d].key", i), hex(w.Key), hex(g.Key)
		case w.Delete != g.Delete:
			return fmt.Sprintf("writes[%d].delete", i), str(w.Delete), str(g.Delete)
		case !bytes.Equal(w.Value, g.Value):
			return fmt.Sprintf("writes[%d].value", i), hex(w.Value), hex(g.Value)
		}
	}
	return "encoding", hex(we), hex(ge)
}

// Replay feeds every block of src through ReplayBlock and returns the
// height reached. It stops at the first error, a *ReplayMismatch when the
// source disagrees with re-execution.
func Replay(ctx context.Context, dst *Ledger, src BlockSource) (uint64, error) {
	for {
		sb, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return dst.Latest().Header.Height, nil
		}
		if err != nil {
			return dst.Latest().Header.Height, err
		}
		if _, err := dst.ReplayBlock(ctx, sb); err != nil {
			return dst.Latest().Header.Height, err
		}
	}
}

// ReplayLedger rebuilds dst from src's blocks (from dst's tip to src's
// tip), then compares src's stored latest state with the replayed one key
// by key, so that a value altered in the source store is named even though
// no header covers the flat index.
func ReplayLedger(ctx context.Context, dst, src *Ledger) (uint64, error) {
	if dst.genesis.Hash() != src.genesis.Hash() {
		return 0, fmt.Errorf("%w: source %s, destination %s", ErrGenesisMismatch, src.genesis.Hash(), dst.genesis.Hash())
	}
	from := dst.Latest().Header.Height + 1
	to := src.Latest().Header.Height
	h, err := Replay(ctx, dst, src.Blocks(from, to))
	if err != nil {
		return h, err
	}
	return h, CompareState(src, dst)
}
