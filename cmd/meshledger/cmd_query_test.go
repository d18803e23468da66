package main

import "testing"

func testCLIQuery(t *testing.T, tn *testNet) {
	tn.cli(t, "query", tn.loan.Hex(), "get", `{"id":"C1"}`, "--verify").
		want(t, 0, "height:", "status:", "ok", "verified:", "reads proven", "result:", `"id":"C1"`)
	tn.cli(t, "query", tn.loan.Hex(), "get", `{"id":"C1"}`, "--height", "1").want(t, 4, "status:", "error")
	tn.cli(t, "query", tn.loan.Hex(), "nope").wantErr(t, 4, "unknown_method")
	tn.cli(t, "query", tn.loan.Hex(), "get", `{"id":"C1"}`, "--json").want(t, 0, `"status": "ok"`, `"proofs"`)
}

func TestQueryArgs(t *testing.T) {
	runCLI(t, nil, "query", "nope", "get").wantErr(t, 1, `contract "nope"`)
	runCLI(t, nil, "query", "0x0000000000000000000000000000000000000001", "get", "[").wantErr(t, 1, "not valid JSON")
}
