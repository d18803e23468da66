package roots

import (
	"bytes"
	"testing"

	"github.com/meshledger/meshledger/ledger/proof"
)

// TestProofsVerifyWithLedgerProof checks the proofs made here verify with
// the client-side verifier, keys included (IndexKey agrees with
// proof.IndexKey).
func TestProofsVerifyWithLedgerProof(t *testing.T) {
	its := items(200)
	root := Derive(its)
	for _, i := range []int{0, 1, 127, 128, 199} {
		if !bytes.Equal(IndexKey(i), proof.IndexKey(uint64(i))) {
			t.Fatalf("index key %d differs", i)
		}
		p, err := ProveItem(its, i)
		if err != nil {
			t.Fatal(err)
		}
		got, err := proof.VerifyInclusion(root, proof.IndexKey(uint64(i)), p)
		if err != nil || !bytes.Equal(got, its[i]) {
			t.Fatalf("item %d: %v", i, err)
		}
	}
}
