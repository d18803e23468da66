package ledger

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/meshledger/meshledger/ledger/storage"
)

// CompareState compares the latest contract state stored in src with the
// one in dst (both at the same height), key by key, and returns a
// *ReplayMismatch naming the first differing key and the transaction that
// last wrote it in dst. Expected is src's value, Got dst's ("<absent>"
// when missing).
func CompareState(src, dst *Ledger) error {
	sh, dh := src.Latest().Header, dst.Latest().Header
	if sh.Height != dh.Height {
		return fmt.Errorf("%w: compare state at heights %d and %d", ErrBadRequest, sh.Height, dh.Height)
	}
	a := src.kv.NewIterator([]byte{storage.PrefixFlatState}, nil)
	defer a.Release()
	b := dst.kv.NewIterator([]byte{storage.PrefixFlatState}, nil)
	defer b.Release()
	aok, bok := a.Next(), b.Next()
	for aok || bok {
		var key []byte
		var want, got []byte
		var wantOK, gotOK bool
		switch c := cmpIter(a, aok, b, bok); {
		case c < 0:
			key, want, wantOK = a.Key(), a.Value(), true
			aok = a.Next()
		case c > 0:
			key, got, gotOK = b.Key(), b.Value(), true
			bok = b.Next()
		default:
			key = a.Key()
			want, got, wantOK, gotOK = a.Value(), b.Value(), true, true
			if bytes.Equal(want, got) {
				aok, bok = a.Next(), b.Next()
				continue
			}
		}
		return dst.stateMismatch(key, want, wantOK, got, gotOK)
	}
	if err := a.Error(); err != nil {
		return err
	}
	return b.Error()
}

func cmpIter(a ethdb.Iterator, aok bool, b ethdb.Iterator, bok bool) int {
	switch {
	case !aok:
		return 1
	case !bok:
		return -1
	}
	return bytes.Compare(a.Key(), b.Key())
}

func (l *Ledger) stateMismatch(flatKey, want []byte, wantOK bool, got []byte, gotOK bool) error {
	show := func(v []byte, ok bool) string {
		if !ok {
			return "<absent>"
		}
		return hexutil.Encode(v)
	}
	m := &ReplayMismatch{
		Height: l.Latest().Header.Height, TxIndex: -1, What: MismatchStateValue,
		Expected: show(want, wantOK), Got: show(got, gotOK),
	}
	if len(flatKey) < 1+common.AddressLength {
		return m
	}
	m.Contract = common.BytesToAddress(flatKey[1 : 1+common.AddressLength])
	m.Key = bytes.Clone(flatKey[1+common.AddressLength:])
	// Name the transaction that last wrote the key, walking its history.
	var cur Cursor
	for {
		page, err := l.History(m.Contract, m.Key, cur, MaxHistoryLimit)
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
