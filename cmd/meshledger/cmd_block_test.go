package main

import (
	"strings"
	"testing"
)

func testCLIBlock(t *testing.T, tn *testNet) {
	tn.cli(t, "block").want(t, 0, "height:", "hash:", "proposer:", tn.node.Address().Hex(), "state root:", "txs:")
	tn.cli(t, "block", "1", "--json").want(t, 0, `"height": 1`, `"txHashes"`)
	tn.cli(t, "block", "99999").wantErr(t, 3, "404")
	// Block 1 holds the deploy; the admin (an auditor) reads it.
	r := tn.cli(t, "block", "1")
	r.want(t, 0, "txs:", "1\n", "tx:")
	if strings.Contains(r.stdout, "readable") {
		t.Fatalf("an auditor reads every transaction:\n%s", r.stdout)
	}
}

func TestBlockArgs(t *testing.T) {
	runCLI(t, nil, "block", "x").wantErr(t, 1, `height "x"`)
	runCLI(t, nil, "block", "1", "2").wantErr(t, 1, "accepts at most 1 arg(s)")
}
