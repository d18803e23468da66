package audit

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/meshledger/meshledger/ledger"
)

// CompareState compares the latest contract state stored in src with the
// one in dst (both at the same height), key by key, and returns a
// *Mismatch naming the first differing key and the transaction that last
// wrote it in dst. Expected is src's value, Got dst's ("<absent>" when
// missing). The headers cannot catch such a difference: the flat index
// readers are served from is not under the state root.
func CompareState(src, dst *ledger.Ledger) error {
	sh, dh := src.Latest().Header, dst.Latest().Header
	if sh.Height != dh.Height {
		return fmt.Errorf("%w: compare state at heights %d and %d", ledger.ErrBadRequest, sh.Height, dh.Height)
	}
	a := src.LatestState()
	defer a.Release()
	b := dst.LatestState()
	defer b.Release()
	aok, bok := a.Next(), b.Next()
	for aok || bok {
		var at entry
		var want, got []byte
		var wantOK, gotOK bool
		switch c := cmpIter(a, aok, b, bok); {
		case c < 0:
			at, want, wantOK = entryOf(a), bytes.Clone(a.Value()), true
		case c > 0:
			at, got, gotOK = entryOf(b), bytes.Clone(b.Value()), true
		default:
			if bytes.Equal(a.Value(), b.Value()) {
				aok, bok = a.Next(), b.Next()
				continue
			}
			at = entryOf(a)
			want, got, wantOK, gotOK = bytes.Clone(a.Value()), bytes.Clone(b.Value()), true, true
		}
		return stateMismatch(dst, at, want, wantOK, got, gotOK)
	}
	if err := a.Error(); err != nil {
		return err
	}
	return b.Error()
}

func cmpIter(a *ledger.StateIterator, aok bool, b *ledger.StateIterator, bok bool) int {
	switch {
	case !aok:
		return 1
	case !bok:
		return -1
	}
	return bytes.Compare(a.Position(), b.Position())
}

// entry is where a StateIterator stands, copied out of it.
type entry struct {
	contract common.Address
	key      []byte
	ok       bool // false for a corrupt entry that names no contract
}

func entryOf(it *ledger.StateIterator) entry {
	c, k, ok := it.Entry()
	return entry{contract: c, key: bytes.Clone(k), ok: ok}
}

// stateMismatch names the differing entry at and the transaction of l
// that last wrote it.
func stateMismatch(l *ledger.Ledger, at entry, want []byte, wantOK bool, got []byte, gotOK bool) error {
	show := func(v []byte, ok bool) string {
		if !ok {
			return "<absent>"
		}
		return hexutil.Encode(v)
	}
	m := &Mismatch{
		Height: l.Latest().Header.Height, TxIndex: -1, What: MismatchStateValue,
		Expected: show(want, wantOK), Got: show(got, gotOK),
	}
	if !at.ok {
		return m
	}
	m.Contract, m.Key = at.contract, at.key
	// Name the transaction that last wrote the key, walking its history.
	var cur ledger.Cursor
	for {
		page, err := l.History(m.Contract, m.Key, cur, ledger.MaxHistoryLimit)
		if err != nil {
			return fmt.Errorf("%w (and reading its history: %v)", m, err)
		}
		if n := len(page.Entries); n > 0 {
			e := page.Entries[n-1]
			m.Height, m.TxIndex, m.TxHash = e.Height, int(e.Index), e.TxHash
		}
		if page.Next == nil {
			return m
		}
		cur = *page.Next
	}
}
