package main

import (
	"encoding/hex"
	"testing"
)

func testCLIState(t *testing.T, tn *testNet) {
	tn.cli(t, "state", tn.loan.Hex(), "loan/C1", "--verify").
		want(t, 0, "contract:", tn.loan.Hex(), "key:", `"loan/C1"`, "value:", `"id":"C1"`, "verified:", "proof checked")
	tn.cli(t, "state", tn.loan.Hex(), "0x"+hex.EncodeToString([]byte("loan/C1")), "--hex", "--trust", tn.node.Address().Hex(), "--verify").
		want(t, 0, "value:", `"id":"C1"`, "verified:")
	tn.cli(t, "state", tn.loan.Hex(), "loan/none", "--verify").want(t, 0, "value:", "(absent)", "verified:")
	tn.cli(t, "state", tn.loan.Hex(), "loan/C1", "--height", "1").want(t, 0, "height:", "1", "value:", "(absent)")
	// A node key other than the trusted one fails verification.
	tn.cli(t, "state", tn.loan.Hex(), "loan/C1", "--verify", "--trust", "0x0000000000000000000000000000000000000001").
		wantErr(t, 1, "not signed by a trusted node")
	tn.cli(t, "state", tn.loan.Hex(), "loan/C1", "--height", "99999").wantErr(t, 3, "height_unavailable")
}

func TestStateArgs(t *testing.T) {
	runCLI(t, nil, "state", "0x0000000000000000000000000000000000000001", "zz", "--hex").wantErr(t, 1, `key "0xzz"`)
	runCLI(t, nil, "state", "0x0000000000000000000000000000000000000001", "k", "--trust", "bad").wantErr(t, 1, `--trust "bad"`)
}
