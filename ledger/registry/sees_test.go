package registry

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestSees(t *testing.T) {
	reader := common.HexToAddress("0x00000000000000000000000000000000000000AB")
	member := &Member{Address: reader, Org: "bank", Roles: []string{"servicer"}}
	auditor := &Member{Address: reader, Org: "audit", Roles: []string{RoleAuditor}}
	self := "0x00000000000000000000000000000000000000ab"
	tests := []struct {
		name     string
		m        *Member
		audience []string
		org      string
		want     bool
	}{
		{"empty: contract's org", member, nil, "bank", true},
		{"empty: other org", member, nil, "other", false},
		{"empty: no contract org", member, nil, "", false},
		{"empty: non-member", nil, nil, "bank", false},
		{"empty: auditor", auditor, nil, "bank", true},
		{"members: member", member, []string{AudienceMembers}, "x", true},
		{"members: non-member", nil, []string{AudienceMembers}, "x", false},
		{"address: itself", member, []string{self}, "x", true},
		{"address: upper-case hex", member, []string{"0x00000000000000000000000000000000000000AB"}, "x", true},
		{"address: non-member", nil, []string{self}, "x", true},
		{"address: other", member, []string{"0x00000000000000000000000000000000000000ac"}, "x", false},
		{"address: malformed", member, []string{"0x0000000000000000000000000000000000000ab"}, "x", false},
		{"address: not hex", member, []string{"0x00000000000000000000000000000000000000ag"}, "x", false},
		{"address: 0X prefix", member, []string{"0X00000000000000000000000000000000000000ab"}, "x", true},
		{"address: mixed case", member, []string{"0x00000000000000000000000000000000000000aB"}, "x", true},
		{"address: control byte for a digit", member, []string{"0x\x10" + self[3:]}, "x", false},
		{"address: letter for a digit", member, []string{"0xp" + self[3:]}, "x", false},
		{"address: no 0x", member, []string{"0000000000000000000000000000000000000000ab"}, "x", false},
		{"org: same", member, []string{"org:bank"}, "x", true},
		{"org: other", member, []string{"org:ban"}, "x", false},
		{"org: non-member", nil, []string{"org:bank"}, "x", false},
		{"role: held", member, []string{"role:servicer"}, "x", true},
		{"role: not held", member, []string{"role:owner"}, "x", false},
		{"role: non-member", nil, []string{"role:servicer"}, "x", false},
		{"several: one matches", member, []string{"org:other", "role:owner", self}, "x", true},
		{"several: none", member, []string{"org:other", "role:owner"}, "bank", false},
		{"auditor: anything", auditor, []string{"org:other"}, "x", true},
		{"unknown entry", member, []string{"everyone"}, "bank", false},
	}
	for _, tt := range tests {
		if got := Sees(reader, tt.m, tt.audience, tt.org); got != tt.want {
			t.Errorf("%s: Sees = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSeesAllocatesNothing(t *testing.T) {
	reader := addr(0xAB)
	m := &Member{Address: reader, Org: "bank", Roles: []string{"a", "b", "servicer"}}
	aud := []string{"org:other", "role:owner", AudienceAddress(addr(1)), AudienceAddress(reader)}
	if n := testing.AllocsPerRun(100, func() { Sees(reader, m, aud, "bank") }); n != 0 {
		t.Fatalf("Sees allocates %v times", n)
	}
}

func TestValidateAudience(t *testing.T) {
	good := []string{AudienceMembers, "org:bank", "role:servicer", AudienceAddress(addr(5))}
	if err := ValidateAudience(good); err != nil {
		t.Fatalf("ValidateAudience(%v): %v", good, err)
	}
	for _, bad := range []string{"", "everyone", "org:", "org:Bank", "role:", "role:9", "0xAB", "0x00000000000000000000000000000000000000AB"} {
		if err := ValidateAudience([]string{bad}); Code(err) != "invalid_args" {
			t.Errorf("ValidateAudience(%q) = %v, want invalid_args", bad, err)
		}
	}
}

func TestCode(t *testing.T) {
	for _, s := range sentinels {
		wrapped := fmt.Errorf("context: %w", fmt.Errorf("more: %w", s))
		if got := Code(wrapped); got != s.Error() {
			t.Errorf("Code(%v) = %q", wrapped, got)
		}
	}
	want := map[error]string{
		ErrForbidden: "forbidden", ErrInvalidArgs: "invalid_args", ErrNotFound: "not_found", ErrConflict: "conflict",
		ErrExpired: "proposal_expired", ErrClosed: "proposal_closed", ErrAlreadyVoted: "already_voted", ErrUnknownMethod: "unknown_method",
	}
	for err, code := range want {
		if Code(err) != code {
			t.Errorf("Code(%v) = %q, want %q", err, Code(err), code)
		}
	}
	for _, err := range []error{nil, errors.New("forbidden"), errors.New("disk on fire")} {
		if got := Code(err); got != "" {
			t.Errorf("Code(%v) = %q, want \"\"", err, got)
		}
	}
}

// BenchmarkSees is the per-event, per-subscriber cost of filtering an
// event stream: a member that is not in a four-entry audience (the
// slowest answer, every entry compared).
func BenchmarkSees(b *testing.B) {
	reader := addr(0xAB)
	m := &Member{Address: reader, Org: "bank", Roles: []string{"a", "b", "servicer"}}
	aud := []string{"org:other", "role:owner", AudienceAddress(addr(1)), strings.Clone(AudienceAddress(addr(2)))}
	b.ReportAllocs()
	for b.Loop() {
		if Sees(reader, m, aud, "bank") {
			b.Fatal("sees")
		}
	}
}

// BenchmarkExecute is the host cost of registry calls over the in-memory
// store (each iteration includes copying the store): adding a member,
// and the vote that executes an addOrg.
func BenchmarkExecute(b *testing.B) {
	b.Run("addMember", func(b *testing.B) {
		n := newNet(b, orgsSpec(4, nil))
		args := mustJSON(MemberArgs{Address: addr(7), Roles: []string{"owner", "servicer"}})
		b.ReportAllocs()
		for b.Loop() {
			st := n.st.Clone()
			if _, err := Execute(st, n.env(admin(1)), MethodAddMember, args); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("approve-executes-addOrg", func(b *testing.B) {
		n := newNet(b, orgsSpec(4, nil))
		p := n.proposal(n.ok(admin(1), MethodPropose, addOrg("new", addr(9))).Return)
		n.ok(admin(2), MethodApprove, vote(p.ID))
		args := mustJSON(vote(p.ID))
		b.ReportAllocs()
		for b.Loop() {
			st := n.st.Clone()
			if _, err := Execute(st, n.env(admin(3)), MethodApprove, args); err != nil {
				b.Fatal(err)
			}
		}
	})
}
