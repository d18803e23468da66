package main

import "testing"

func testCLIHistory(t *testing.T, tn *testNet) {
	r := tn.cli(t, "history", tn.loan.Hex(), "loan/C1")
	r.want(t, 0, "HEIGHT", "INDEX", "SIGNER", "VALUE", tn.admin.Key().Address().Hex(), `"id":"C1"`, tn.admin.Key().Address().Hex())
	tn.cli(t, "history", tn.loan.Hex(), "loan/C1", "--limit", "1", "--json").want(t, 0, `"entries"`, `"signer"`)
	tn.cli(t, "history", tn.loan.Hex(), "loan/none").want(t, 0, "HEIGHT")
	tn.cli(t, "history", tn.loan.Hex(), "loan/C1", "--verify").want(t, 0, "VERSION", `"id":"C1"`, "verified: ")
	tn.cli(t, "history", tn.loan.Hex(), "loan/none", "--verify").want(t, 0, "verified: 0 versions")
	tn.cli(t, "history", tn.loan.Hex(), "loan/C1", "--verify", "--json").want(t, 0, `"version": 1`, `"txProof"`)
	// A node signing with a key nobody trusts: refused, non-zero exit.
	tn.cli(t, "history", tn.loan.Hex(), "loan/C1", "--verify", "--trust", "0x0000000000000000000000000000000000000001").
		wantErr(t, 1, "version 1")
}

func TestHistoryArgs(t *testing.T) {
	runCLI(t, nil, "history", "0x0000000000000000000000000000000000000001").wantErr(t, 1, "accepts 2 arg(s)")
}
