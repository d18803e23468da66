package main

import "testing"

func testCLIPolicy(t *testing.T, tn *testNet) {
	tn.cli(t, "policy", "show").want(t, 0, "threshold:", "majority of organisations", "deploy policy:", "open",
		"proposal ttl:", "168h0m0s", "allow non-members:", "false", "require manifest:", "true")
	tn.cli(t, "policy", "propose", "--ttl", "72h").
		want(t, 0, "result:", "ok", "(setPolicy) was approved and took effect in this transaction")
	// Only the given field changed.
	tn.cli(t, "policy", "show").want(t, 0, "deploy policy:", "open", "proposal ttl:", "72h0m0s")
	tn.cli(t, "policy", "show", "--json").want(t, 0, `"policy"`, `"deployPolicy": "open"`, `"proposalTtlMs": 259200000`)
	// A threshold above the organisation count is the registry's to judge:
	// it is capped, so one organisation still passes it.
	tn.cli(t, "policy", "propose", "--threshold", "3", "--ttl", "168h", "--json").want(t, 0, `"status": "executed"`)
	tn.cli(t, "policy", "show").want(t, 0, "threshold:", "3 organisations", "proposal ttl:", "168h0m0s")
	tn.cli(t, "policy", "propose", "--threshold", "0").want(t, 0, "took effect")
	// The manifest requirement is copied like the other fields, and
	// changed only when asked.
	tn.cli(t, "policy", "show", "--json").want(t, 0, `"requireManifest": true`)
	tn.cli(t, "policy", "propose", "--require-manifest=false").want(t, 0, "took effect")
	tn.cli(t, "policy", "show").want(t, 0, "threshold:", "majority of organisations", "require manifest:", "false")
	tn.cli(t, "policy", "propose", "--require-manifest").want(t, 0, "took effect")
	tn.cli(t, "policy", "show").want(t, 0, "require manifest:", "true")
}

func TestPolicyArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"nothing to change", []string{"policy", "propose"}, "nothing to change"},
		{"bad deploy policy", []string{"policy", "propose", "--deploy-policy", "anyone"}, `--deploy-policy "anyone": want open or approval`},
		{"zero ttl", []string{"policy", "propose", "--ttl", "0s"}, "--ttl 0s: want a positive whole number of milliseconds"},
		{"sub-millisecond ttl", []string{"policy", "propose", "--ttl", "1.5ms"}, "want a positive whole number of milliseconds"},
		{"bad threshold", []string{"policy", "propose", "--threshold", "-1"}, "invalid argument"},
		{"bad require-manifest", []string{"policy", "propose", "--require-manifest=maybe"}, "invalid argument"},
		{"show with args", []string{"policy", "show", "x"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runCLI(t, nil, tt.args...).wantErr(t, 1, tt.want) })
	}
}
