package status

import "testing"

// TestCodesAreDistinctAndStable pins every code's string: they are in
// stored receipts, so a rename would change receipt roots.
func TestCodesAreDistinctAndStable(t *testing.T) {
	want := map[Code]string{
		OK: "ok", OutOfGas: "out_of_gas", CallDepth: "call_depth", Aborted: "aborted", Error: "error",
		UnknownMethod: "unknown_method", BadArgs: "bad_args", Panic: "panic", Exit: "exit", Trap: "trap",
		ReadOnly: "read_only", ReturnTooLarge: "return_too_large", EventLimit: "event_limit", LogLimit: "log_limit",
		BadKey: "bad_key", ValueTooLarge: "value_too_large", BadStatus: "bad_status", MemoryLimit: "memory_limit",
		DeployMalformed: "malformed", DeployCodeTooLarge: "code_too_large", DeployForbiddenImport: "forbidden_import",
		DeployMissingExport: "missing_export", DeployLimit: "limit", DeployForbiddenFeature: "forbidden_feature",
		DeployInitOutOfGas: "init_out_of_gas", DeployInitFailed: "init_failed",
		UnknownContract: "unknown_contract", DeployFailed: "deploy_failed", AddressInUse: "address_in_use",
		BadAudience: "bad_audience", NoCalls: "call_unavailable", Reentrancy: "reentrancy", BadCall: "bad_call",
		BadManifest: "bad_manifest", InvalidArgs: "invalid_args",
	}
	if len(want) != 35 {
		t.Fatalf("%d distinct codes, want 35: two constants share a string", len(want))
	}
	for c, s := range want {
		if string(c) != s {
			t.Errorf("code %q, want %q", c, s)
		}
		if c.OK() != (c == OK) {
			t.Errorf("%q.OK() = %v", c, c.OK())
		}
	}
}
