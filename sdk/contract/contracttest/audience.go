package contracttest

import (
	"fmt"
	"strings"
)

// parseAudience splits and validates an EmitTo audience exactly as the
// real host does (docs/abi.md, "Events and their audience"), with the
// same code for the same refusal. Messages may differ; the suite compares
// codes.
func parseAudience(aud string) ([]string, error) {
	if aud == "" {
		return nil, nil
	}
	entries := strings.Split(aud, "\n")
	if len(entries) > MaxAudience {
		return nil, fmt.Errorf("audience of %d entries exceeds %d", len(entries), MaxAudience)
	}
	for i, e := range entries {
		if !validAudienceEntry(e) {
			return nil, fmt.Errorf("audience entry %d: %q is not 0x<40 lower-case hex>, org:<id>, role:<role> or members", i+1, e)
		}
	}
	return entries, nil
}

func validAudienceEntry(e string) bool {
	if e == "members" {
		return true
	}
	if hexDigits, ok := strings.CutPrefix(e, "0x"); ok {
		return len(hexDigits) == 40 && strings.Trim(hexDigits, "0123456789abcdef") == ""
	}
	if id, ok := strings.CutPrefix(e, "org:"); ok {
		return nameMatches(id, "abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789-")
	}
	if role, ok := strings.CutPrefix(e, "role:"); ok {
		return nameMatches(role, "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789_-")
	}
	return false
}

// nameMatches reports whether s is 1 to 32 bytes, its first from first
// and the rest from rest.
func nameMatches(s, first, rest string) bool {
	return len(s) >= 1 && len(s) <= 32 && strings.IndexByte(first, s[0]) >= 0 && strings.Trim(s[1:], rest) == ""
}
