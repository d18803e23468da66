package registry

import (
	"encoding/json"
	"fmt"
	"slices"
)

// StatusAt is p's status as of nowMs: an open proposal whose expiry has
// passed reads as StatusExpired (its record stays "open"; no transaction
// is needed to expire it).
func (p *Proposal) StatusAt(nowMs int64) string {
	if p.Status == StatusOpen && nowMs >= p.ExpiresMs {
		return StatusExpired
	}
	return p.Status
}

var statuses = []string{StatusOpen, StatusExecuted, StatusRejected, StatusExpired}

func listOrgs(r Reader) ([]*Org, error) {
	var (
		out []*Org
		bad error
	)
	prefix := []byte(KeyOrgPrefix)
	err := r.Iterate(prefix, prefix, func(k, v []byte) bool {
		var o Org
		if err := json.Unmarshal(v, &o); err != nil {
			bad = fmt.Errorf("registry: decode %s: %w", k, err)
			return false
		}
		out = append(out, &o)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("registry: list organisations: %w", err)
	}
	return out, bad
}

func listOrgMembers(r Reader, org string) ([]*Member, error) {
	if _, err := LookupOrg(r, org); err != nil {
		return nil, err
	}
	addrs, err := orgMemberAddrs(r, org)
	if err != nil {
		return nil, err
	}
	out := make([]*Member, 0, len(addrs))
	for _, a := range addrs {
		m, err := readMember(r, a)
		if err != nil {
			return nil, err
		}
		if m == nil || m.Org != org {
			return nil, fmt.Errorf("registry: index lists %s under %s without its member record", lowerHex(a), org)
		}
		out = append(out, m)
	}
	return out, nil
}

func listProposals(r Reader, status string, after uint64, limit int, nowMs int64) ([]*Proposal, error) {
	if status != "" && !slices.Contains(statuses, status) {
		return nil, invalid("status %q: want one of %v", status, statuses)
	}
	if after == ^uint64(0) {
		return nil, nil // no id follows the largest
	}
	var (
		out []*Proposal
		bad error
	)
	err := r.Iterate([]byte(KeyProposalPrefix), ProposalKey(after+1), func(k, v []byte) bool {
		var p Proposal
		if err := json.Unmarshal(v, &p); err != nil {
			bad = fmt.Errorf("registry: decode %s: %w", k, err)
			return false
		}
		p.Status = p.StatusAt(nowMs)
		if status == "" || p.Status == status {
			out = append(out, &p)
		}
		return limit <= 0 || len(out) < limit
	})
	if err != nil {
		return nil, fmt.Errorf("registry: list proposals: %w", err)
	}
	return out, bad
}
