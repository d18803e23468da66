package proof

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

func TestEntryRoundTrip(t *testing.T) {
	for _, e := range []Entry{
		{Version: 1, Value: []byte{}},
		{Version: 1, Height: 7, TxIndex: 3, Value: []byte("v")},
		{Version: 2, Height: 9, Prev: common.Hash{1}, Deleted: true},
		{Version: 300, Height: 1 << 40, TxIndex: 1 << 31, Prev: common.Hash{2}, Value: bytes.Repeat([]byte{7}, 300)},
	} {
		enc := e.Encode()
		// The hand-written encoder agrees with go-ethereum's rlp.
		ref, _ := rlp.EncodeToBytes([]any{e.Version, e.Height, e.TxIndex, e.Prev, e.Deleted, nonNil(e.Value)})
		if !bytes.Equal(enc, ref) {
			t.Fatalf("%+v: encoded %x, rlp %x", e, enc, ref)
		}
		got, err := DecodeEntry(enc)
		if err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		if got.Version != e.Version || got.Height != e.Height || got.TxIndex != e.TxIndex || got.Prev != e.Prev ||
			got.Deleted != e.Deleted || !bytes.Equal(got.Value, e.Value) || (got.Value == nil) != e.Deleted {
			t.Fatalf("decoded %+v, want %+v", got, e)
		}
		if got.Hash() != keccak(enc) {
			t.Fatal("Hash is not keccak of the encoding")
		}
	}
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func TestDecodeEntryRejects(t *testing.T) {
	enc := func(v ...any) []byte { b, _ := rlp.EncodeToBytes(v); return b }
	tests := []struct {
		name string
		leaf []byte
	}{
		{"plain value", []byte{0x83, 'a', 'b', 'c'}},
		{"five items", enc(uint64(1), uint64(0), uint32(0), common.Hash{}, false)},
		{"seven items", enc(uint64(1), uint64(0), uint32(0), common.Hash{}, false, []byte{}, []byte{})},
		{"version 0", enc(uint64(0), uint64(0), uint32(0), common.Hash{}, false, []byte{})},
		{"version 1 with prev", enc(uint64(1), uint64(0), uint32(0), common.Hash{1}, false, []byte{})},
		{"version 2 without prev", enc(uint64(2), uint64(0), uint32(0), common.Hash{}, false, []byte{})},
		{"tombstone with value", enc(uint64(1), uint64(0), uint32(0), common.Hash{}, true, []byte("x"))},
		{"short prev", enc(uint64(2), uint64(0), uint32(0), []byte{1, 2}, false, []byte{})},
		{"trailing bytes", append(enc(uint64(1), uint64(0), uint32(0), common.Hash{}, false, []byte{}), 0x80)},
		{"deleted 2", enc(uint64(1), uint64(0), uint32(0), common.Hash{}, uint64(2), []byte{})},
		{"tx index over 32 bits", enc(uint64(1), uint64(0), uint64(1<<32), common.Hash{}, false, []byte{})},
		{"non-canonical version", []byte{0xe7, 0x81, 0x01, 0x80, 0x80, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80}},
		{"integer with a leading zero", enc([]byte{0, 1}, uint64(0), uint32(0), common.Hash{}, false, []byte{})},
		{"list as value", enc(uint64(1), uint64(0), uint32(0), common.Hash{}, false, []any{})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if e, err := DecodeEntry(tc.leaf); !errors.Is(err, ErrBadEntry) {
				t.Fatalf("got %+v, %v; want ErrBadEntry", e, err)
			}
		})
	}
}

// TestTombstoneProvesAbsence: a tombstone leaf verifies as absent through
// VerifyStateProof and as the lineage head through VerifyStateEntry.
func TestTombstoneProvesAbsence(t *testing.T) {
	contract := common.Address{1}
	tr := trie.NewEmpty(nil)
	tk := StateTrieKey(contract, []byte("k"))
	tomb := &Entry{Version: 3, Height: 5, Prev: common.Hash{4}, Deleted: true}
	if err := tr.Update(tk[:], tomb.Encode()); err != nil {
		t.Fatal(err)
	}
	other := StateTrieKey(contract, []byte("other"))
	_ = tr.Update(other[:], (&Entry{Version: 1, Value: []byte("x")}).Encode())
	root := tr.Hash()
	nodes := prove(t, tr, tk[:])
	v, ok, err := VerifyStateProof(root, contract, []byte("k"), nodes)
	if err != nil || ok || v != nil {
		t.Fatalf("tombstone: %x %v %v, want absent", v, ok, err)
	}
	e, err := VerifyStateEntry(root, contract, []byte("k"), nodes)
	if err != nil || e == nil || !e.Deleted || e.Version != 3 || e.Prev != tomb.Prev {
		t.Fatalf("VerifyStateEntry: %+v %v", e, err)
	}
	sp := &StateProof{Root: root, Contract: contract, Key: []byte("k"), Nodes: nodes}
	if err := sp.Verify(); err != nil {
		t.Fatalf("absent claim: %v", err)
	}
	sp.Exists, sp.Value = true, []byte{}
	if err := sp.Verify(); !errors.Is(err, ErrMismatch) {
		t.Fatalf("present claim over a tombstone: %v, want ErrMismatch", err)
	}
}

// FuzzDecodeEntry: whatever DecodeEntry accepts re-encodes to the same
// bytes, so an entry has exactly one leaf and one hash.
func FuzzDecodeEntry(f *testing.F) {
	f.Add((&Entry{Version: 1, Value: []byte("v")}).Encode())
	f.Add((&Entry{Version: 9, Height: 300, TxIndex: 70000, Prev: common.Hash{3}, Deleted: true}).Encode())
	f.Add([]byte{0xe7, 0x81, 0x01, 0x80, 0x80, 0xa0})
	f.Fuzz(func(t *testing.T, leaf []byte) {
		e, err := DecodeEntry(leaf)
		if err != nil {
			return
		}
		if !bytes.Equal(e.Encode(), leaf) {
			t.Fatalf("accepted %x, which re-encodes to %x", leaf, e.Encode())
		}
	})
}
