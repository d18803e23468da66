package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
)

// Limits of registry records. They keep every record small, so a
// registry call's fixed gas (CallGas) covers its reads and writes.
const (
	MaxNameBytes   = 128  // an organisation's display name
	MaxRoles       = 16   // roles of one member
	MaxAdmins      = 16   // founding admins of an organisation in an addOrg proposal
	MaxNodes       = 64   // node addresses of one organisation
	MaxThreshold   = 1000 // Policy.Threshold
	MinProposalTTL = int64(60 * 1000)
	MaxProposalTTL = int64(365 * 24 * 3600 * 1000)
)

var (
	orgIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	rolePattern  = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgs, fmt.Sprintf(format, a...))
}

// ValidateOrgID checks an organisation id: 1–32 characters of lower-case
// letters, digits and '-', not starting with '-'. Ids appear in keys
// ("org/<id>") and audiences ("org:<id>"), so they never hold '/' or ':'.
func ValidateOrgID(id string) error {
	if !orgIDPattern.MatchString(id) {
		return invalid("organisation id %q: want 1-32 characters of a-z, 0-9 and '-', not starting with '-'", id)
	}
	return nil
}

// ValidateName checks a display name: non-empty UTF-8 of at most
// MaxNameBytes bytes.
func ValidateName(name string) error {
	switch {
	case name == "":
		return invalid("name is empty")
	case len(name) > MaxNameBytes:
		return invalid("name is %d bytes, at most %d", len(name), MaxNameBytes)
	case !utf8.ValidString(name):
		return invalid("name is not valid UTF-8")
	}
	return nil
}

// ValidateRole checks one role string: 1–32 characters of lower-case
// letters, digits, '_' and '-', starting with a letter.
func ValidateRole(role string) error {
	if !rolePattern.MatchString(role) {
		return invalid("role %q: want 1-32 characters of a-z, 0-9, '_' and '-', starting with a letter", role)
	}
	return nil
}

// NormalizeRoles checks a role list and returns it sorted. Duplicates are
// refused rather than merged: a list naming a role twice is a mistake of
// the caller, and silently merging it would hide that.
func NormalizeRoles(roles []string) ([]string, error) {
	if len(roles) > MaxRoles {
		return nil, invalid("%d roles, at most %d", len(roles), MaxRoles)
	}
	out := make([]string, len(roles))
	copy(out, roles)
	for _, r := range out {
		if err := ValidateRole(r); err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, invalid("role %q listed twice", out[i])
		}
	}
	return out, nil
}

// normalizeAddrs checks a list of addresses (no zero address, no
// duplicates, at most max) and returns it sorted; what names the list in
// messages.
func normalizeAddrs(what string, addrs []common.Address, max int) ([]common.Address, error) {
	if len(addrs) > max {
		return nil, invalid("%d %s, at most %d", len(addrs), what, max)
	}
	out := make([]common.Address, len(addrs))
	copy(out, addrs)
	for _, a := range out {
		if a == (common.Address{}) {
			return nil, invalid("%s: the zero address is not allowed", what)
		}
	}
	slices.SortFunc(out, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, invalid("%s: %s listed twice", what, lowerHex(out[i]))
		}
	}
	return out, nil
}

func validateAddress(what string, a common.Address) error {
	if a == (common.Address{}) {
		return invalid("%s is required (the zero address is not allowed)", what)
	}
	return nil
}

// Validate checks a policy: a known deploy policy, a proposal lifetime
// between one minute and 365 days, a threshold of at most MaxThreshold.
func (p *Policy) Validate() error {
	if p.DeployPolicy != DeployApproval && p.DeployPolicy != DeployOpen {
		return invalid("deployPolicy %q: want %q or %q", p.DeployPolicy, DeployApproval, DeployOpen)
	}
	if p.ProposalTTLMs < MinProposalTTL || p.ProposalTTLMs > MaxProposalTTL {
		return invalid("proposalTtlMs %d: want between %d (1 minute) and %d (365 days)", p.ProposalTTLMs, MinProposalTTL, MaxProposalTTL)
	}
	if p.Threshold > MaxThreshold {
		return invalid("threshold %d: at most %d", p.Threshold, MaxThreshold)
	}
	return nil
}

// decodeStrict decodes a JSON object into the struct v; what names it in
// messages ("arguments", "addOrg params"). It is stricter
// than encoding/json: the value must be an object; every key must be one
// of v's JSON field names spelled exactly (encoding/json would match
// "ADDRESS" to "address"), at most once; nothing may follow the object;
// the text must be valid UTF-8;
// and every name in required must be present. All of these are refused
// with ErrInvalidArgs, so two spellings of one request never mean
// different things on different clients.
func decodeStrict(what string, data []byte, v any, required ...string) error {
	if !utf8.Valid(data) {
		// encoding/json would quietly turn the bad bytes into U+FFFD.
		return invalid("%s are not valid UTF-8", what)
	}
	fields := jsonFields(reflect.TypeOf(v).Elem())
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return invalid("%s are not JSON: %v", what, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return invalid("%s must be a JSON object", what)
	}
	seen := make([]string, 0, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return invalid("%s are not JSON: %v", what, err)
		}
		key, _ := tok.(string)
		if !slices.Contains(fields, key) {
			return invalid("%s: unknown field %q (want %s)", what, key, strings.Join(fields, ", "))
		}
		if slices.Contains(seen, key) {
			return invalid("%s: field %q given twice", what, key)
		}
		seen = append(seen, key)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return invalid("%s: field %q: %v", what, key, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return invalid("%s are not JSON: %v", what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("trailing data after the %s", what)
	}
	for _, f := range required {
		if !slices.Contains(seen, f) {
			return invalid("%s: field %q is required", what, f)
		}
	}
	dec = json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("%s: %v", what, err)
	}
	return nil
}

// jsonFields lists the JSON names of a struct type's fields.
func jsonFields(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}
