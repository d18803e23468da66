package ledger

import (
	"testing"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/ledgertest"
	"github.com/meshledger/meshledger/ledger/tx"
)

// TestEmptyInitArgsOneState: a deploy waiting for approval writes its
// parameters into the registry's proposal record. The same signed deploy
// held with initArgs nil (as decoded) or []byte{} (as built in memory by
// a producer's client) must write the same record and root, or a node
// executing the one and a node executing the other disagree.
func TestEmptyInitArgsOneState(t *testing.T) {
	roots := map[string]block.Header{}
	for name, empty := range map[string][]byte{"nil": nil, "empty": {}} {
		nw := newNetwork(t, 2, approvalPolicy())
		k := nw.admins[0]
		d := tx.Deploy{From: ledgertest.AddrOf(k), Nonce: nw.next(k), Name: "counter", InitArgs: empty, GasLimit: block.DefaultBlockDeployGasLimit}
		signed, err := tx.SignDeploy(d, counterCode(t), ledgertest.ChainID, k)
		if err != nil {
			t.Fatal(err)
		}
		if rc := nw.okReceipt(signed); len(rc.Writes) == 0 {
			t.Fatalf("%s: the deploy was not proposed: %+v", name, rc)
		}
		roots[name] = nw.l.Latest().Header
	}
	if a, b := roots["nil"], roots["empty"]; a.StateRoot != b.StateRoot || a.ReceiptRoot != b.ReceiptRoot {
		t.Fatalf("initArgs nil and []byte{} give different state: roots %s / %s, receipts %s / %s",
			a.StateRoot, b.StateRoot, a.ReceiptRoot, b.ReceiptRoot)
	}
}
