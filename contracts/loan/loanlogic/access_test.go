package loanlogic

import (
	"slices"
	"testing"

	"github.com/meshledger/meshledger/sdk/contract"
)

func TestMayCreate(t *testing.T) {
	tests := []struct {
		roles []string
		want  bool
	}{
		{[]string{"owner"}, true},
		{[]string{"servicer"}, true},
		{[]string{"admin"}, true},
		{[]string{"auditor", "deployer"}, false},
		{[]string{"borrower"}, false},
		{nil, false},
	}
	for _, tc := range tests {
		has := func(r string) bool { return slices.Contains(tc.roles, r) }
		if got := MayCreate(has); got != tc.want {
			t.Errorf("MayCreate(%q) = %v, want %v", tc.roles, got, tc.want)
		}
	}
}

func TestParties(t *testing.T) {
	o, b, s, x := contract.Address{1}, contract.Address{2}, contract.Address{3}, contract.Address{4}
	tests := []struct {
		name string
		l    Loan
		want []contract.Address
	}{
		{"three", Loan{Owner: o, Borrower: b, Servicer: s}, []contract.Address{o, b, s}},
		{"servicer is borrower", Loan{Owner: o, Borrower: s, Servicer: s}, []contract.Address{o, s}},
		{"owner is everything", Loan{Owner: o, Borrower: o, Servicer: o}, []contract.Address{o}},
		{"no owner recorded", Loan{Borrower: b, Servicer: s}, []contract.Address{b, s}},
	}
	for _, tc := range tests {
		if got := tc.l.Parties(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Parties = %v, want %v", tc.name, got, tc.want)
		}
		for _, a := range tc.want {
			if !tc.l.IsParty(a) {
				t.Errorf("%s: %s is not a party", tc.name, a)
			}
		}
		if tc.l.IsParty(x) {
			t.Errorf("%s: %s is a party", tc.name, x)
		}
	}
}
