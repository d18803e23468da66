package state

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// model is the reference: contract key → value, as a plain map.
type model map[string][]byte

func modelKey(c common.Address, k []byte) string { return string(c[:]) + string(k) }

func (m model) clone() model {
	out := make(model, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Random blocks of sets, empty sets and deletes, checked after each block
// against the model: flat reads, iteration, reads and proofs at every past
// root, the full invariant check, and all of it again after a reopen.
func TestRandomOperations(t *testing.T) {
	const (
		blocks       = 50
		opsPerBlock  = 30 // 1,500 operations
		keySpace     = 120
		contractsLen = 3
	)
	rng := rand.New(rand.NewPCG(1, 2))
	contracts := make([]common.Address, contractsLen)
	for i := range contracts {
		contracts[i] = common.BigToAddress(common.Big1)
		contracts[i][0] = byte(i + 1)
	}
	keyOf := func(i int) []byte {
		// Keys share prefixes and include the empty key.
		if i == 0 {
			return []byte{}
		}
		return []byte(fmt.Sprintf("k/%d", i))
	}
	s := newTestStore(t)
	cur := model{}
	var snapshots []model
	for h := range blocks {
		var changes []Change
		for i := range opsPerBlock {
			c := contracts[rng.IntN(contractsLen)]
			k := keyOf(rng.IntN(keySpace))
			ch := Change{Contract: c, Key: k, TxIndex: uint32(i / 5), TxHash: common.Hash{byte(h), byte(i)}}
			switch r := rng.IntN(10); {
			case r < 3:
				ch.Delete = true
				delete(cur, modelKey(c, k))
			case r < 4:
				ch.Value = []byte{}
				cur[modelKey(c, k)] = []byte{}
			default:
				ch.Value = []byte(fmt.Sprintf("v%d.%d", h, i))
				cur[modelKey(c, k)] = ch.Value
			}
			changes = append(changes, ch)
		}
		s.commit(changes...)
		snapshots = append(snapshots, cur.clone())
		if err := Check(s.db, s.root); err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		compareLatest(t, s, cur, contracts, rng)
	}
	compareHistory := func() {
		for _, h := range []int{0, 7, 23, blocks - 1} {
			for _, c := range contracts {
				for i := range keySpace {
					k := keyOf(i)
					want, wantOK := snapshots[h][modelKey(c, k)]
					got, ok, err := s.db.GetAt(s.roots[h], c, k)
					if err != nil || ok != wantOK || !bytes.Equal(got, want) {
						t.Fatalf("h%d GetAt %s %q: %q %v %v; want %q %v", h, c, k, got, ok, err, want, wantOK)
					}
					if i%10 == 0 {
						p, err := s.db.Prove(s.roots[h], c, k)
						if err != nil || p.Verify() != nil || p.Exists != wantOK {
							t.Fatalf("h%d proof of %q: %v", h, k, err)
						}
					}
				}
			}
		}
	}
	compareHistory()
	s.reopen()
	compareLatest(t, s, cur, contracts, rng)
	compareHistory()
}

func compareLatest(t *testing.T, s *testStore, cur model, contracts []common.Address, rng *rand.Rand) {
	t.Helper()
	for _, c := range contracts {
		var want []string
		for mk := range cur {
			if strings.HasPrefix(mk, string(c[:])) {
				want = append(want, mk[len(c):])
			}
		}
		slices.Sort(want)
		var got []string
		err := s.db.Iterate(c, nil, nil, func(k, v []byte) bool {
			if !bytes.Equal(v, cur[modelKey(c, k)]) {
				t.Fatalf("Iterate %q: value %q, model %q", k, v, cur[modelKey(c, k)])
			}
			got = append(got, string(k))
			return true
		})
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("Iterate %s: %q, %v; model %q", c, got, err, want)
		}
		for _, k := range want {
			v, ok, err := s.db.Get(c, []byte(k))
			if err != nil || !ok || !bytes.Equal(v, cur[modelKey(c, []byte(k))]) {
				t.Fatalf("Get %q: %q %v %v", k, v, ok, err)
			}
		}
		// A random prefix/start window.
		prefix := []byte(fmt.Sprintf("k/%d", rng.IntN(12)))
		start := []byte(fmt.Sprintf("k/%d", rng.IntN(120)))
		var wantWin []string
		for _, k := range want {
			if strings.HasPrefix(k, string(prefix)) && k >= string(start) {
				wantWin = append(wantWin, k)
			}
		}
		var gotWin []string
		_ = s.db.Iterate(c, prefix, start, func(k, _ []byte) bool { gotWin = append(gotWin, string(k)); return true })
		if !slices.Equal(gotWin, wantWin) {
			t.Fatalf("Iterate(%q, %q): %q, want %q", prefix, start, gotWin, wantWin)
		}
	}
}
