package ledger

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/registry"
)

// TestLineage reads a key's proven lineage page by page: versions chained
// by hash, two versions in one block, each entry's transaction and
// receipt proven against its header, and the latest leaf, on the last
// page only, equal to the newest entry.
func TestLineage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setup()
	e.apply(e.pay(1_000))
	e.apply(e.pay(2_000), e.pay(3_000))
	key := []byte("loan/L1")
	var all []LineageEntry
	var latest *StateAt
	for from, pages := (Cursor{}), 0; ; pages++ {
		page, err := e.l.Lineage(e.loan, key, from, 2)
		if err != nil {
			t.Fatal(err)
		}
		if (page.Next == nil) != (page.Latest != nil) || pages > 2 {
			t.Fatalf("page %d: next %v, latest %v", pages, page.Next, page.Latest != nil)
		}
		all = append(all, page.Entries...)
		if page.Next == nil {
			latest = page.Latest
			break
		}
		from = *page.Next
	}
	if len(all) != 4 {
		t.Fatalf("%d versions, want 4", len(all))
	}
	var prev common.Hash
	for i, le := range all {
		en := le.Entry
		if en.Version != uint64(i+1) || en.Prev != prev || le.Header.Header.Height != en.Height {
			t.Fatalf("version %d: %+v", i+1, en)
		}
		prev = en.Hash()
		k := proof.IndexKey(uint64(en.TxIndex))
		if leaf, err := proof.VerifyInclusion(le.Header.Header.TxRoot, k, le.TxProof); err != nil || !bytes.Equal(leaf, le.TxBody) || le.Tx.Hash() != le.TxHash {
			t.Fatalf("version %d: tx proof %v", en.Version, err)
		}
		renc, err := le.Receipt.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if leaf, err := proof.VerifyInclusion(le.Header.Header.ReceiptRoot, k, le.ReceiptProof); err != nil || !bytes.Equal(leaf, renc) {
			t.Fatalf("version %d: receipt proof %v", en.Version, err)
		}
		if !writes(le.Receipt, e.loan, key, en.Value) {
			t.Fatalf("version %d: receipt does not write %q", en.Version, en.Value)
		}
	}
	if all[2].Entry.Height != all[3].Entry.Height {
		t.Fatalf("versions 3 and 4 in blocks %d and %d, want one block", all[2].Entry.Height, all[3].Entry.Height)
	}
	head, err := proof.VerifyStateEntry(latest.Header.Header.StateRoot, e.loan, key, latest.Proof.Nodes)
	if err != nil || head == nil || head.Hash() != prev {
		t.Fatalf("latest leaf %+v, %v", head, err)
	}

	// A genesis record: version 1 at height 0, with no transaction.
	member := registry.MemberKey(ledgertest.AddrOf(e.owner))
	page, err := e.l.Lineage(registry.Address, member, Cursor{}, 0)
	if err != nil || len(page.Entries) == 0 {
		t.Fatalf("genesis lineage %+v %v", page, err)
	}
	if g := page.Entries[0]; g.Entry.Height != 0 || g.Entry.Version != 1 || g.Tx != nil || g.TxBody != nil || g.Receipt != nil || g.TxHash != (common.Hash{}) {
		t.Fatalf("genesis record %+v", g)
	}
	// A key never written: no entries, a proof of absence.
	page, err = e.l.Lineage(e.loan, []byte("loan/none"), Cursor{}, 0)
	if err != nil || len(page.Entries) != 0 || page.Latest == nil || page.Latest.Proof.Exists {
		t.Fatalf("never written: %+v %v", page, err)
	}
}

func writes(r *block.Receipt, contract common.Address, key, value []byte) bool {
	found := false
	for _, w := range r.Writes {
		if w.Contract == contract && bytes.Equal(w.Key, key) {
			found = !w.Delete && bytes.Equal(w.Value, value)
		}
	}
	return found
}
