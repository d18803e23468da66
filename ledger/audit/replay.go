package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
)

// ReplayBlock re-executes a committed block from another store through
// dst's executor and commits it with its original signed header, after
// checking everything the header commits to. A mismatch is a *Mismatch and
// leaves dst unchanged.
func ReplayBlock(ctx context.Context, dst *ledger.Ledger, sb *ledger.SourceBlock) (*ledger.Applied, error) {
	parent := dst.Latest()
	h := sb.Header.Header
	mm := func(what, expected, got string) *Mismatch {
		return &Mismatch{Height: h.Height, TxIndex: -1, What: what, Expected: expected, Got: got}
	}
	switch {
	case h.ChainID != dst.ChainID():
		return nil, mm(MismatchChainID, fmt.Sprint(h.ChainID), fmt.Sprint(dst.ChainID()))
	case h.Height != parent.Header.Height+1:
		return nil, mm(MismatchHeight, fmt.Sprint(h.Height), fmt.Sprint(parent.Header.Height+1))
	case h.ParentHash != parent.Hash():
		return nil, mm(MismatchParent, h.ParentHash.Hex(), parent.Hash().Hex())
	case h.TimeMs <= parent.Header.TimeMs:
		return nil, mm(MismatchTime, fmt.Sprint(h.TimeMs), fmt.Sprintf("> %d", parent.Header.TimeMs))
	}
	if err := dst.VerifyHeaderSignature(sb.Header); err != nil {
		return nil, mm(MismatchSignature, h.Proposer.Hex(), err.Error())
	}
	root, err := ledger.TxRoot(sb.Txs)
	if err != nil {
		return nil, fmt.Errorf("audit: block %d: %w", h.Height, err)
	}
	if root != h.TxRoot {
		return nil, mm(MismatchTxRoot, h.TxRoot.Hex(), root.Hex())
	}
	r, err := dst.Reexecute(ctx, sb.Header, sb.Txs)
	if err != nil {
		return nil, err
	}
	if len(r.Rejected) > 0 {
		rej := r.Rejected[0]
		m := mm(MismatchRejected, "included", rej.Err.Error())
		m.TxIndex, m.TxHash = rej.Index, sb.Txs[rej.Index].Hash()
		return nil, m
	}
	if sb.Receipts != nil {
		if len(sb.Receipts) != len(r.Receipts) {
			return nil, mm(MismatchReceiptCount, fmt.Sprint(len(sb.Receipts)), fmt.Sprint(len(r.Receipts)))
		}
		for i, got := range r.Receipts {
			if field, exp, g := diffReceipts(sb.Receipts[i], got); field != "" {
				m := mm(MismatchReceipt, exp, g)
				m.TxIndex, m.TxHash, m.Field = i, got.TxHash, field
				return nil, m
			}
		}
	}
	switch sealed := r.Header; {
	case sealed.ReceiptRoot != h.ReceiptRoot:
		return nil, mm(MismatchReceiptRoot, h.ReceiptRoot.Hex(), sealed.ReceiptRoot.Hex())
	case sealed.StateRoot != h.StateRoot:
		return nil, mm(MismatchStateRoot, h.StateRoot.Hex(), sealed.StateRoot.Hex())
	case sealed.LogRoot != h.LogRoot:
		return nil, mm(MismatchLogRoot, h.LogRoot.Hex(), sealed.LogRoot.Hex())
	case sealed != h:
		// Every field is derived from the checks above; this guards the
		// header layout growing without replay learning about it.
		return nil, mm(MismatchHeader, sb.Header.Hash().Hex(), sealed.Hash().Hex())
	}
	return dst.CommitReexecution(r, sb.Header)
}

// Replay feeds every block of src through ReplayBlock and returns the
// height reached. It stops at the first error, a *Mismatch when the
// source disagrees with re-execution.
func Replay(ctx context.Context, dst *ledger.Ledger, src ledger.BlockSource) (uint64, error) {
	for {
		sb, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return dst.Latest().Header.Height, nil
		}
		if err != nil {
			return dst.Latest().Header.Height, err
		}
		if _, err := ReplayBlock(ctx, dst, sb); err != nil {
			return dst.Latest().Header.Height, err
		}
	}
}

// ReplayLedger rebuilds dst from src's blocks (from dst's tip to src's
// tip), then compares src's stored latest state with the replayed one key
// by key, so that a value altered in the source store is named even though
// no header covers the flat index.
func ReplayLedger(ctx context.Context, dst, src *ledger.Ledger) (uint64, error) {
	if sg, dg := src.Genesis().Hash(), dst.Genesis().Hash(); sg != dg {
		return 0, fmt.Errorf("%w: source %s, destination %s", ledger.ErrGenesisMismatch, sg, dg)
	}
	from := dst.Latest().Header.Height + 1
	to := src.Latest().Header.Height
	h, err := Replay(ctx, dst, src.Blocks(from, to))
	if err != nil {
		return h, err
	}
	return h, CompareState(src, dst)
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
