package proof

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

type proofNodes [][]byte

func (p *proofNodes) Put(_, v []byte) error { *p = append(*p, bytes.Clone(v)); return nil }
func (p *proofNodes) Delete([]byte) error   { return nil }

// stateTrie builds, in memory, the trie the ledger builds for these
// entries: version-1 Entry leaves under StateTrieKey.
func stateTrie(t testing.TB, contract common.Address, entries map[string][]byte) *trie.Trie {
	t.Helper()
	tr := trie.NewEmpty(nil)
	for k, v := range entries {
		tk := StateTrieKey(contract, []byte(k))
		enc := (&Entry{Version: 1, Value: v}).Encode()
		if err := tr.Update(tk[:], enc); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

func prove(t testing.TB, tr *trie.Trie, trieKey []byte) [][]byte {
	t.Helper()
	var p proofNodes
	if err := tr.Prove(trieKey, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// gethVerify checks the same proof with go-ethereum's verifier.
func gethVerify(root common.Hash, trieKey []byte, nodes [][]byte) ([]byte, error) {
	db := memorydb.New()
	for _, n := range nodes {
		_ = db.Put(keccak(n).Bytes(), n)
	}
	return trie.VerifyProof(root, trieKey, db)
}

func TestVerifyStateProof(t *testing.T) {
	contract := common.HexToAddress("0x00000000000000000000000000000000000000c1")
	other := common.HexToAddress("0x00000000000000000000000000000000000000c2")
	entries := map[string][]byte{"empty": {}, "small": {1}, "big": bytes.Repeat([]byte{7}, 300)}
	for i := range 200 {
		entries[fmt.Sprintf("loan/%03d", i)] = []byte(fmt.Sprintf("balance-%d", i))
	}
	tr := stateTrie(t, contract, entries)
	root := tr.Hash()
	tests := []struct {
		name     string
		contract common.Address
		key      string
		want     []byte
		exists   bool
	}{
		{"empty value", contract, "empty", []byte{}, true},
		{"one byte", contract, "small", []byte{1}, true},
		{"long value", contract, "big", entries["big"], true},
		{"many keys", contract, "loan/123", []byte("balance-123"), true},
		{"absent key", contract, "loan/999", nil, false},
		{"other contract", other, "small", nil, false},
		{"empty key absent", contract, "", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tk := StateTrieKey(tc.contract, []byte(tc.key))
			nodes := prove(t, tr, tk[:])
			v, ok, err := VerifyStateProof(root, tc.contract, []byte(tc.key), nodes)
			if err != nil || ok != tc.exists || !bytes.Equal(v, tc.want) || (ok && v == nil) {
				t.Fatalf("got %x, %v, %v; want %x, %v", v, ok, err, tc.want, tc.exists)
			}
			leaf, err := gethVerify(root, tk[:], nodes)
			if err != nil {
				t.Fatalf("go-ethereum rejects the proof: %v", err)
			}
			if (leaf != nil) != tc.exists {
				t.Fatalf("go-ethereum sees exists=%v", leaf != nil)
			}
			p := &StateProof{Root: root, Contract: tc.contract, Key: []byte(tc.key), Value: tc.want, Exists: tc.exists, Nodes: nodes}
			if err := p.Verify(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTamperedProofs(t *testing.T) {
	contract := common.HexToAddress("0xc1")
	entries := map[string][]byte{}
	for i := range 100 {
		entries[fmt.Sprint(i)] = []byte{byte(i)}
	}
	tr := stateTrie(t, contract, entries)
	root := tr.Hash()
	key := []byte("42")
	tk := StateTrieKey(contract, key)
	nodes := prove(t, tr, tk[:])
	if len(nodes) < 2 {
		t.Fatalf("want a multi-node proof, got %d nodes", len(nodes))
	}
	clone := func() [][]byte {
		out := make([][]byte, len(nodes))
		for i, n := range nodes {
			out[i] = bytes.Clone(n)
		}
		return out
	}
	for i := range nodes {
		for _, pos := range []int{0, len(nodes[i]) / 2, len(nodes[i]) - 1} {
			t.Run(fmt.Sprintf("node%d-byte%d", i, pos), func(t *testing.T) {
				bad := clone()
				bad[i][pos] ^= 0x01
				if _, _, err := VerifyStateProof(root, contract, key, bad); !errors.Is(err, ErrMissingNode) {
					t.Fatalf("flipped byte: got %v, want ErrMissingNode", err)
				}
			})
		}
	}
	t.Run("dropped node", func(t *testing.T) {
		if _, _, err := VerifyStateProof(root, contract, key, clone()[:len(nodes)-1]); !errors.Is(err, ErrMissingNode) {
			t.Fatalf("got %v, want ErrMissingNode", err)
		}
	})
	t.Run("wrong root", func(t *testing.T) {
		if _, _, err := VerifyStateProof(common.Hash{1}, contract, key, clone()); !errors.Is(err, ErrMissingNode) {
			t.Fatalf("got %v, want ErrMissingNode", err)
		}
	})
	claims := []struct {
		name   string
		value  []byte
		exists bool
	}{{"wrong value", []byte{43}, true}, {"claims absent", nil, false}, {"claims empty", []byte{}, true}}
	for _, c := range claims {
		t.Run(c.name, func(t *testing.T) {
			p := &StateProof{Root: root, Contract: contract, Key: key, Value: c.value, Exists: c.exists, Nodes: clone()}
			if err := p.Verify(); !errors.Is(err, ErrMismatch) {
				t.Fatalf("got %v, want ErrMismatch", err)
			}
		})
	}
}

func TestMalformedNodes(t *testing.T) {
	enc := func(v any) []byte { b, _ := rlp.EncodeToBytes(v); return b }
	hp := func(b ...byte) []byte { return b }
	tests := []struct {
		name string
		node []byte
		key  []byte
		want error
	}{
		{"not rlp", []byte{0xff, 0x01}, []byte{1}, ErrBadNode},
		{"list of 3", enc([][]byte{{1}, {2}, {3}}), []byte{1}, ErrBadNode},
		{"bad hex-prefix flag", enc([][]byte{hp(0x40), {1}}), []byte{1}, ErrBadNode},
		{"empty path", enc([][]byte{{}, {1}}), []byte{1}, ErrBadNode},
		{"path is a list", enc([]any{[][]byte{{1}}, []byte{1}}), []byte{1}, ErrBadNode},
		{"bad reference size", enc([][]byte{hp(0x00, 0x01), {1, 2, 3}}), []byte{0x01, 0x02}, ErrBadNode},
		{"empty leaf value", enc([][]byte{hp(0x20, 0x01), {}}), []byte{0x01}, ErrBadNode},
		{"leaf not a state value", enc([][]byte{hp(0x20, 0x01), {0xc0}}), []byte{0x01}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyProof(keccak(tc.node), tc.key, [][]byte{tc.node})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// A raw leaf that is not an Entry is a valid trie but not valid state.
	tr := trie.NewEmpty(nil)
	tk := StateTrieKey(common.Address{}, []byte("k"))
	_ = tr.Update(tk[:], []byte{0xc0})
	if _, _, err := VerifyStateProof(tr.Hash(), common.Address{}, []byte("k"), prove(t, tr, tk[:])); !errors.Is(err, ErrBadValue) {
		t.Fatalf("non-RLP state leaf: got %v, want ErrBadValue", err)
	}
}

func TestEmptyRoot(t *testing.T) {
	tr := trie.NewEmpty(nil)
	if tr.Hash() != EmptyRoot {
		t.Fatalf("EmptyRoot %x differs from go-ethereum's %x", EmptyRoot, tr.Hash())
	}
	v, ok, err := VerifyStateProof(EmptyRoot, common.Address{}, []byte("k"), nil)
	if err != nil || ok || v != nil {
		t.Fatalf("got %x %v %v", v, ok, err)
	}
}

// Transaction and receipt roots are tries keyed by rlp(index).
func TestVerifyInclusion(t *testing.T) {
	tr := trie.NewEmpty(nil)
	for i := range uint64(300) {
		if err := tr.Update(IndexKey(i), []byte(fmt.Sprintf("tx-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	root := tr.Hash()
	for _, i := range []uint64{0, 1, 127, 128, 255, 299} {
		nodes := prove(t, tr, IndexKey(i))
		v, err := VerifyInclusion(root, IndexKey(i), nodes)
		if err != nil || string(v) != fmt.Sprintf("tx-%d", i) {
			t.Fatalf("index %d: %q, %v", i, v, err)
		}
		if g, err := gethVerify(root, IndexKey(i), nodes); err != nil || !bytes.Equal(g, v) {
			t.Fatalf("index %d: go-ethereum got %q, %v", i, g, err)
		}
	}
	nodes := prove(t, tr, IndexKey(300))
	if _, err := VerifyInclusion(root, IndexKey(300), nodes); !errors.Is(err, ErrNotIncluded) {
		t.Fatalf("absent index: got %v, want ErrNotIncluded", err)
	}
	if _, err := VerifyInclusion(root, IndexKey(5), nil); !errors.Is(err, ErrMissingNode) {
		t.Fatalf("no nodes: got %v, want ErrMissingNode", err)
	}
}

func TestIndexKey(t *testing.T) {
	for _, tc := range []struct {
		i    uint64
		want []byte
	}{{0, []byte{0x80}}, {1, []byte{0x01}}, {127, []byte{0x7f}}, {128, []byte{0x81, 0x80}}, {256, []byte{0x82, 0x01, 0x00}}} {
		if got := IndexKey(tc.i); !bytes.Equal(got, tc.want) {
			t.Errorf("IndexKey(%d) = %x, want %x", tc.i, got, tc.want)
		}
	}
}

// The trie key derivation is part of the public format; pin it.
func TestStateTrieKeyGolden(t *testing.T) {
	got := StateTrieKey(common.HexToAddress("0x0102030405060708090a0b0c0d0e0f1011121314"), []byte("loan/1"))
	want := keccak(append(common.FromHex("0x0102030405060708090a0b0c0d0e0f1011121314"), "loan/1"...))
	if got != want {
		t.Fatalf("got %x, want %x", got, want)
	}
	if got.Hex() != "0x"+goldenStateKey {
		t.Fatalf("golden: got %s", got.Hex())
	}
}

const goldenStateKey = "5e5f3b833ca44735afd722d5f07cb996d729842a480a1e37eaab7c99c7002d26"

func TestStateProofJSON(t *testing.T) {
	p := StateProof{Root: common.Hash{0xaa}, Contract: common.Address{0xbb}, Key: []byte("k"), Value: []byte{}, Exists: true, Nodes: [][]byte{{0xc1, 0x80}}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"root":"0xaa00000000000000000000000000000000000000000000000000000000000000","contract":"0xbb00000000000000000000000000000000000000","key":"0x6b","value":"0x","exists":true,"nodes":["0xc180"]}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	var back StateProof
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Root != p.Root || back.Contract != p.Contract || !bytes.Equal(back.Key, p.Key) || back.Value == nil || len(back.Value) != 0 || !back.Exists || !bytes.Equal(back.Nodes[0], p.Nodes[0]) {
		t.Fatalf("round trip: %+v", back)
	}
	for _, bad := range []string{`{"root":"0x12"}`, `{"nodes":["zz"]}`, `[`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
}
