package main

import (
	"testing"
)

func testCLICall(t *testing.T, tn *testNet) {
	me := tn.admin.Key().Address().Hex()
	args := `{"id":"C1","borrower":"` + me + `","servicer":"` + me + `","principal":1000,"rate_bps":100,"term_months":12,"first_due":4102444800}`
	tn.cli(t, "call", tn.loan.Hex(), "create", args).
		want(t, 0, "hash:", "status:", "committed", "result:", "ok", "event:", "LoanCreated", "write:", `"loan/C1"`)
	tn.cli(t, "call", tn.loan.Hex(), "pay", `{"id":"C1","amount":10}`).want(t, 0, "PaymentRecorded")
	// The contract refuses: committed, printed, exit 4.
	r := tn.cli(t, "call", tn.loan.Hex(), "pay", `{"id":"nope","amount":1}`)
	r.want(t, 4, "result:", "error")
	r.wantErr(t, 4, "failed: error")
	tn.cli(t, "call", tn.loan.Hex(), "get", `{"id":"C1"}`, "--no-wait").want(t, 0, "status:", "pending")
}

func TestCallArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"too few", []string{"call", "0x0000000000000000000000000000000000000001"}, "accepts between 2 and 3 arg(s)"},
		{"bad address", []string{"call", "0x12", "m"}, `contract "0x12"`},
		{"bad args", []string{"call", "0x0000000000000000000000000000000000000001", "m", "{x"}, "ARGS: not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runCLI(t, nil, tt.args...).wantErr(t, 1, tt.want) })
	}
}
