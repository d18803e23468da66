package registry

import (
	"strings"
	"testing"
)

// TestSetPolicyRequireManifest: a setPolicy proposal turns the manifest
// requirement on and, leaving the field out, off again; the record of a
// policy without it encodes exactly as it did before the field existed.
func TestSetPolicyRequireManifest(t *testing.T) {
	n := newNet(t, orgsSpec(1, nil))
	if got, err := LookupPolicy(n.st); err != nil || got.RequireManifest {
		t.Fatalf("default policy %+v, %v: want the requirement off", got, err)
	}
	legacy := `{"threshold":0,"deployPolicy":"approval","proposalTtlMs":604800000,"allowNonMembers":false}`
	if raw, _, _ := n.st.Get([]byte(KeyPolicy)); string(raw) != legacy {
		t.Fatalf("policy record %s, want %s", raw, legacy)
	}

	for _, tc := range []struct {
		name   string
		policy map[string]any
		want   bool
	}{
		{"on", map[string]any{"threshold": 0, "deployPolicy": "open", "proposalTtlMs": MinProposalTTL, "allowNonMembers": false, "requireManifest": true}, true},
		{"explicitly off", map[string]any{"threshold": 0, "deployPolicy": "open", "proposalTtlMs": MinProposalTTL, "allowNonMembers": false, "requireManifest": false}, false},
		{"on again", map[string]any{"threshold": 0, "deployPolicy": "open", "proposalTtlMs": MinProposalTTL, "allowNonMembers": false, "requireManifest": true}, true},
		{"left out: off", map[string]any{"threshold": 0, "deployPolicy": "open", "proposalTtlMs": MinProposalTTL, "allowNonMembers": false}, false},
	} {
		out := n.ok(admin(1), MethodPropose, propose(KindSetPolicy, map[string]any{"policy": tc.policy}))
		if p := n.proposal(out.Return); p.Status != StatusExecuted {
			t.Fatalf("%s: proposal %s, want executed by the only organisation", tc.name, p.Status)
		}
		got, err := LookupPolicy(n.st)
		if err != nil || got.RequireManifest != tc.want {
			t.Fatalf("%s: policy %+v, %v: want requireManifest %v", tc.name, got, err, tc.want)
		}
		raw, _, _ := n.st.Get([]byte(KeyPolicy))
		if has := strings.Contains(string(raw), `"requireManifest"`); has != tc.want {
			t.Fatalf("%s: record %s: the field is written only when on", tc.name, raw)
		}
	}
}

// TestSetPolicyRequireManifestRefused: the field is checked as strictly
// as the others; a refused proposal changes nothing.
func TestSetPolicyRequireManifestRefused(t *testing.T) {
	for _, tc := range []struct{ name, args, want string }{
		{"not a boolean", `{"kind":"setPolicy","params":{"policy":{"threshold":0,"deployPolicy":"open","proposalTtlMs":60000,"allowNonMembers":false,"requireManifest":"yes"}}}`, `requireManifest`},
		{"a number", `{"kind":"setPolicy","params":{"policy":{"threshold":0,"deployPolicy":"open","proposalTtlMs":60000,"allowNonMembers":false,"requireManifest":1}}}`, `requireManifest`},
		{"given twice", `{"kind":"setPolicy","params":{"policy":{"threshold":0,"deployPolicy":"open","proposalTtlMs":60000,"allowNonMembers":false,"requireManifest":true,"requireManifest":false}}}`, `field "requireManifest" given twice`},
		{"misspelt", `{"kind":"setPolicy","params":{"policy":{"threshold":0,"deployPolicy":"open","proposalTtlMs":60000,"allowNonMembers":false,"RequireManifest":true}}}`, `unknown field "RequireManifest"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNet(t, orgsSpec(1, nil))
			// fails also checks that the store did not change.
			err := n.fails(admin(1), MethodPropose, []byte(tc.args), ErrInvalidArgs)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want it to name %q", err, tc.want)
			}
		})
	}
}

// TestGenesisRequireManifest: a genesis policy with the requirement on is
// written as such (TestSetPolicyRequireManifest checks the record of a
// genesis without it).
func TestGenesisRequireManifest(t *testing.T) {
	pol := DefaultPolicy()
	pol.RequireManifest = true
	n := newNet(t, orgsSpec(2, &pol))
	got, err := LookupPolicy(n.st)
	if err != nil || *got != pol {
		t.Fatalf("policy %+v, %v; want %+v", got, err, pol)
	}
}
