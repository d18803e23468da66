package loanlogic

import "github.com/meshledger/meshledger/sdk/contract"

// Roles the loan contract gives meaning to. admin and auditor are the
// network's own roles (docs/access.md); owner and servicer are granted by
// an organisation's admin to the members who book loans.
const (
	RoleAdmin    = "admin"
	RoleAuditor  = "auditor"
	RoleOwner    = "owner"
	RoleServicer = "servicer"
)

// CreatorRoles are the roles of which a member needs one to book a loan.
var CreatorRoles = []string{RoleOwner, RoleServicer, RoleAdmin}

// MayCreate reports whether a member with the roles hasRole reports may
// book a loan.
func MayCreate(hasRole func(role string) bool) bool {
	for _, r := range CreatorRoles {
		if hasRole(r) {
			return true
		}
	}
	return false
}

// IsParty reports whether a is the loan's owner, borrower or servicer: the
// addresses that read the loan and its events.
func (l *Loan) IsParty(a contract.Address) bool {
	return a == l.Owner || a == l.Borrower || a == l.Servicer
}

// Parties are the loan's owner, borrower and servicer, in that order,
// each once: the audience of its events.
func (l *Loan) Parties() []contract.Address {
	return l.AppendParties(make([]contract.Address, 0, 3))
}

// AppendParties appends the Parties to ps: with room for three, in space
// the caller holds, a payment's event allocates nothing for them.
func (l *Loan) AppendParties(ps []contract.Address) []contract.Address {
	start := len(ps)
	for _, a := range [...]contract.Address{l.Owner, l.Borrower, l.Servicer} {
		if !a.IsZero() && !containsAddr(ps[start:], a) {
			ps = append(ps, a)
		}
	}
	return ps
}

func containsAddr(as []contract.Address, a contract.Address) bool {
	for _, b := range as {
		if a == b {
			return true
		}
	}
	return false
}
