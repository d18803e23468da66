package registry

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
)

// Keys of the registry's namespace. Addresses are written as lower-case
// 0x hex so a key does not depend on how a caller spelled the address;
// proposal ids are zero-padded to 20 digits (the width of the largest
// uint64) so that byte order of the keys is numeric order of the ids.

// MemberKey is the key of addr's member record.
func MemberKey(addr common.Address) []byte {
	return []byte(KeyMemberPrefix + lowerHex(addr))
}

// OrgKey is the key of an organisation's record.
func OrgKey(id string) []byte { return []byte(KeyOrgPrefix + id) }

// OrgMemberKey is the key of the index entry that lists addr under org.
func OrgMemberKey(org string, addr common.Address) []byte {
	return []byte(KeyOrgMemberPrefix + org + "/" + lowerHex(addr))
}

// ProposalKey is the key of proposal id.
func ProposalKey(id uint64) []byte {
	return fmt.Appendf([]byte(KeyProposalPrefix), "%020d", id)
}

func lowerHex(addr common.Address) string {
	var b [2 + 2*common.AddressLength]byte
	b[0], b[1] = '0', 'x'
	hex.Encode(b[2:], addr[:])
	return string(b[:])
}

// getJSON reads key into v; ok is false when the key is absent. A record
// that does not decode is a host failure, not a call failure: the
// registry wrote it, so the state is damaged.
func getJSON(r Reader, key []byte, v any) (ok bool, err error) {
	raw, ok, err := r.Get(key)
	if err != nil {
		return false, fmt.Errorf("registry: read %s: %w", key, err)
	}
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("registry: decode %s: %w", key, err)
	}
	return true, nil
}

// putJSON writes v under key. The records are structs of strings,
// numbers and sorted slices, whose encoding cannot fail; a failure would
// be a programming error, so it panics rather than hand the ledger a
// partial write set.
func putJSON(st Store, key []byte, v any) {
	st.Set(key, mustJSON(v))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("registry: encode %T: %v", v, err))
	}
	return b
}

func readMember(r Reader, addr common.Address) (*Member, error) {
	var m Member
	ok, err := getJSON(r, MemberKey(addr), &m)
	if err != nil || !ok {
		return nil, err
	}
	return &m, nil
}

func readOrg(r Reader, id string) (*Org, error) {
	var o Org
	ok, err := getJSON(r, OrgKey(id), &o)
	if err != nil || !ok {
		return nil, err
	}
	return &o, nil
}

func readPolicy(r Reader) (*Policy, error) {
	var p Policy
	ok, err := getJSON(r, []byte(KeyPolicy), &p)
	if err != nil || !ok {
		return nil, err
	}
	return &p, nil
}

func readProposal(r Reader, id uint64) (*Proposal, error) {
	var p Proposal
	ok, err := getJSON(r, ProposalKey(id), &p)
	if err != nil || !ok {
		return nil, err
	}
	return &p, nil
}

// nextProposalID reads the proposal sequence: ids start at 1, so 0 never
// names a proposal.
func nextProposalID(r Reader) (uint64, error) {
	raw, ok, err := r.Get([]byte(KeyNextProposal))
	if err != nil {
		return 0, fmt.Errorf("registry: read %s: %w", KeyNextProposal, err)
	}
	if !ok {
		return 1, nil
	}
	id, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("registry: decode %s %q: %w", KeyNextProposal, raw, err)
	}
	if id == 0 {
		return 0, fmt.Errorf("registry: %s is 0, but ids start at 1", KeyNextProposal)
	}
	return id, nil
}

// orgIDs lists the ids of every organisation, ascending.
func orgIDs(r Reader) ([]string, error) {
	var ids []string
	prefix := []byte(KeyOrgPrefix)
	err := r.Iterate(prefix, prefix, func(k, _ []byte) bool {
		ids = append(ids, string(k[len(prefix):]))
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("registry: list organisations: %w", err)
	}
	return ids, nil
}

// orgMemberAddrs lists the addresses the index holds for org, ascending.
func orgMemberAddrs(r Reader, org string) ([]common.Address, error) {
	var addrs []common.Address
	var bad error
	prefix := []byte(KeyOrgMemberPrefix + org + "/")
	err := r.Iterate(prefix, prefix, func(k, _ []byte) bool {
		s := string(k[len(prefix):])
		if !common.IsHexAddress(s) {
			bad = fmt.Errorf("registry: bad index key %q", k)
			return false
		}
		addrs = append(addrs, common.HexToAddress(s))
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("registry: list members of %s: %w", org, err)
	}
	return addrs, bad
}
