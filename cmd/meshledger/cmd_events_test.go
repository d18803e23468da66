package main

import (
	"strings"
	"testing"
)

func testCLIEvents(t *testing.T, tn *testNet) {
	r := tn.cli(t, "events", "--from-height", "1", "--contract", tn.loan.Hex(), "--count", "2")
	r.want(t, 0, "event", "LoanCreated", "event")
	if n := strings.Count(r.stdout, "\n"); n != 2 {
		t.Fatalf("%d lines, want 2:\n%s", n, r.stdout)
	}
	tn.cli(t, "events", "--from-height", "1", "--blocks", "--count", "1", "--json").
		want(t, 0, `{"id":"1:0","type":"block","data":{"height":1`)
}

func TestEventsArgs(t *testing.T) {
	runCLI(t, nil, "events", "--contract", "0x1").wantErr(t, 1, `--contract "0x1"`)
	runCLI(t, nil, "events", "extra").wantErr(t, 1, "unknown command")
}
