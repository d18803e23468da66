package registry

import (
	"errors"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// sees is Sees. It allocates nothing: it compares audience entries with
// the reader in place, so a stream can filter each event for hundreds of
// subscribers cheaply.
func sees(addr common.Address, m *Member, audience []string, contractOrg string) bool {
	if m != nil && m.HasRole(RoleAuditor) {
		return true
	}
	if len(audience) == 0 {
		return m != nil && contractOrg != "" && m.Org == contractOrg
	}
	for _, a := range audience {
		switch {
		case a == AudienceMembers:
			if m != nil {
				return true
			}
		case strings.HasPrefix(a, AudienceOrgPrefix):
			if m != nil && a[len(AudienceOrgPrefix):] == m.Org {
				return true
			}
		case strings.HasPrefix(a, AudienceRolePrefix):
			if m != nil && m.HasRole(a[len(AudienceRolePrefix):]) {
				return true
			}
		default:
			if audienceAddrIs(a, addr) {
				return true
			}
		}
	}
	return false
}

// audienceAddrIs reports whether the audience entry a ("0x" and 40 hex
// digits, either case) names addr. It compares the entry with addr's
// digits in place rather than decoding it.
func audienceAddrIs(a string, addr common.Address) bool {
	if len(a) != 2+2*common.AddressLength || a[0] != '0' || (a[1] != 'x' && a[1] != 'X') {
		return false
	}
	for i, b := range addr {
		if !hexDigitIs(a[2+2*i], b>>4) || !hexDigitIs(a[3+2*i], b&0xf) {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// hexDigitIs reports whether c is the hex digit of nibble, in either case.
func hexDigitIs(c, nibble byte) bool {
	d := hexDigits[nibble]
	return c == d || (d >= 'a' && c == d-('a'-'A'))
}

// AudienceAddress is the audience entry naming one address.
func AudienceAddress(addr common.Address) string { return lowerHex(addr) }

// ValidateAudience checks an event's audience entries: "members", "org:"
// and a valid org id, "role:" and a valid role, or "0x" and 40 lower-case
// hex digits. The ledger refuses an event whose audience fails it, so
// stored audiences always mean what Sees makes of them.
func ValidateAudience(audience []string) error {
	for _, a := range audience {
		switch {
		case a == AudienceMembers:
		case strings.HasPrefix(a, AudienceOrgPrefix):
			if err := ValidateOrgID(a[len(AudienceOrgPrefix):]); err != nil {
				return err
			}
		case strings.HasPrefix(a, AudienceRolePrefix):
			if err := ValidateRole(a[len(AudienceRolePrefix):]); err != nil {
				return err
			}
		default:
			if !isLowerHexAddr(a) {
				return invalid("audience entry %q: want %q, %q<org>, %q<role> or a lower-case 0x address", a, AudienceMembers, AudienceOrgPrefix, AudienceRolePrefix)
			}
		}
	}
	return nil
}

func isLowerHexAddr(a string) bool {
	if len(a) != 2+2*common.AddressLength || a[:2] != "0x" {
		return false
	}
	for i := 2; i < len(a); i++ {
		c := a[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

var sentinels = []error{ErrForbidden, ErrInvalidArgs, ErrNotFound, ErrConflict, ErrExpired, ErrClosed, ErrAlreadyVoted, ErrUnknownMethod}

func code(err error) string {
	if err == nil {
		return ""
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return ""
}
