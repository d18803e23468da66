package ledger

import (
	"testing"

	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
)

// TestHistoricalIterate lists keys under past roots: keys created later are
// absent, deleted ones too, values are those of that height.
func TestHistoricalIterate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()                                                                          // height 2: loan/L1
	e.apply(e.callTx(e.owner, e.nonce(e.owner), e.loan, "create", e.createArgs("L2"))) // 3
	e.apply(e.pay(5))                                                                  // 4
	list := func(height uint64, prefix, start string) []string {
		sh, err := e.l.Header(height)
		if err != nil {
			t.Fatal(err)
		}
		rr, err := e.l.state.ContractReaderAt(sh.Header.StateRoot, e.loan)
		if err != nil {
			t.Fatal(err)
		}
		hs := &historicalState{l: e.l, root: rr, contract: e.loan, height: height}
		var keys []string
		if err := hs.Iterate([]byte(prefix), []byte(start), func(k, v []byte) bool {
			keys = append(keys, string(k))
			return true
		}); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	cases := []struct {
		height        uint64
		prefix, start string
		want          []string
	}{
		{1, "", "", nil},
		{2, "loan/", "", []string{"loan/L1"}},
		{3, "loan/", "", []string{"loan/L1", "loan/L2"}},
		{3, "loan/", "loan/L2", []string{"loan/L2"}},
		{4, "other/", "", nil},
	}
	for _, c := range cases {
		got := list(c.height, c.prefix, c.start)
		if len(got) != len(c.want) {
			t.Fatalf("height %d prefix %q: %v, want %v", c.height, c.prefix, got, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("height %d: %v, want %v", c.height, got, c.want)
			}
		}
	}
}

// TestOverlayIterate checks the block overlay merges its writes and
// deletions into the committed iteration in key order.
func TestOverlayIterate(t *testing.T) {
	t.Parallel()
	base := mapState{"a": "1", "b": "2", "d": "4"}
	ov := newOverlay()
	c := ledgertest.AddrOf(ledgertest.MustKey(t, 7))
	ov.set(c, []byte("b"), nil, true)
	ov.set(c, []byte("c"), []byte("3"), false)
	ov.set(c, []byte("e"), []byte("5"), false)
	ov.set(c, []byte("a"), []byte("1x"), false)
	view := ov.view(c, base)
	var got []string
	view.Iterate(nil, nil, func(k, v []byte) bool { got = append(got, string(k)+"="+string(v)); return true })
	want := []string{"a=1x", "c=3", "d=4", "e=5"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	got = nil
	view.Iterate(nil, []byte("c"), func(k, v []byte) bool { got = append(got, string(k)); return len(got) < 2 })
	if len(got) != 2 || got[0] != "c" || got[1] != "d" {
		t.Fatalf("from c, stop after 2: %v", got)
	}
	if _, ok, _ := view.Get([]byte("b")); ok {
		t.Fatal("deleted key visible")
	}
	if v, ok, _ := view.Get([]byte("d")); !ok || string(v) != "4" {
		t.Fatal("base key hidden")
	}
}

type mapState map[string]string

func (m mapState) Get(k []byte) ([]byte, bool, error) {
	v, ok := m[string(k)]
	return []byte(v), ok, nil
}

func (m mapState) Iterate(prefix, start []byte, fn func(k, v []byte) bool) error {
	keys := []string{}
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		if len(k) >= len(prefix) && k[:len(prefix)] == string(prefix) && k >= string(start) {
			if !fn([]byte(k), []byte(m[k])) {
				return nil
			}
		}
	}
	return nil
}
