package main

import (
	"testing"
)

func testCLITx(t *testing.T, tn *testNet) {
	blk, err := tn.admin.LatestBlock(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	// Find a block with a transaction, walking back from the latest.
	h := blk.Header.Header.Height
	for ; h > 0 && len(blk.TxHashes) == 0; h-- {
		if blk, err = tn.admin.Block(ctx(t), h-1); err != nil {
			t.Fatal(err)
		}
	}
	hash := blk.TxHashes[0].Hex()
	tn.cli(t, "tx", hash, "--verify", "--trust", tn.node.Address().Hex()).
		want(t, 0, "hash:", hash, "status:", "committed", "block:", "verified:", "write proofs")
	tn.cli(t, "tx", hash, "--wait", "--json").want(t, 0, `"status": "committed"`, `"txProof"`)
	tn.cli(t, "tx", "0x"+repeat("ab", 32)).wantErr(t, 3, "not_found")
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestTxArgs(t *testing.T) {
	runCLI(t, nil, "tx", "0x1234").wantErr(t, 1, "want 0x and 64 hex digits")
}
