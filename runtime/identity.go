package runtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// Identity imports (docs/abi.md, "Identity" and "Events and their
// audience"): who an address is in the participant registry, and events
// addressed to an audience.
const (
	// gasParticipant is a directory lookup beyond the host base. A node's
	// directory reads and decodes a member's registry record once per
	// block and then answers from memory; the price, three state reads',
	// covers that first decoding spread over a few calls, and the
	// benchmark's directory is a map, as its state is.
	gasParticipant = 1500
	// gasAudienceEntry is one audience entry's validation and its own
	// string in the event, which the result copies again; priced from
	// BenchmarkHostFunctions' emit_to cases (four entries each).
	gasAudienceEntry = 500
)

// Bounds of an event's audience. An entry is at most 42 bytes ("0x" and
// 40 hex digits), so maxAudienceBytes admits every valid audience and lets
// the host refuse a larger one before reading it.
const (
	MaxAudienceEntries = 16
	maxAudienceEntry   = 42
	maxAudienceBytes   = MaxAudienceEntries*(maxAudienceEntry+1) - 1
)

// hostParticipant is participant(addr_ptr, out_ptr, out_cap) -> i32: -1 if
// the address is not a member, else the length n of its encoding (u32
// org_len, org, u32 count, then u32 len and bytes per role, little-endian),
// copied to out only if n <= out_cap, as state_scan does.
func hostParticipant(cs *callState, s []uint64) {
	cs.charge(gasHostBase + gasParticipant + bytesGas(20))
	var addr Address
	copy(addr[:], cs.read(uint32(s[0]), 20))
	out, outCap := uint32(s[1]), uint32(s[2])
	if cs.env.Directory == nil {
		s[0] = uint64(uint32(0xFFFFFFFF)) // -1 as i32: nobody is a member
		return
	}
	p, ok, err := cs.env.Directory.Participant(addr)
	if err != nil {
		// Like an unreadable state: the node failed, not the contract.
		cs.hostFailure(fmt.Errorf("runtime: participant lookup of 0x%x: %w", addr, err))
	}
	if !ok {
		s[0] = uint64(uint32(0xFFFFFFFF))
		return
	}
	// The encoding is paid for before it is built.
	size := 8 + len(p.Org)
	for _, r := range p.Roles {
		size += 4 + len(r)
	}
	cs.charge(bytesGas(size))
	enc := appendParticipant(cs.ident[:0], p)
	cs.ident = enc
	if uint64(len(enc)) <= uint64(outCap) {
		cs.write(out, enc)
	}
	s[0] = uint64(uint32(len(enc)))
}

// appendParticipant appends the participant import's encoding of p.
func appendParticipant(b []byte, p Participant) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p.Org)))
	b = append(b, p.Org...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p.Roles)))
	for _, r := range p.Roles {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
		b = append(b, r...)
	}
	return b
}

// hostEmitTo is emit_to(name_ptr, name_len, data_ptr, data_len, aud_ptr,
// aud_len): emit with an audience, its entries separated by "\n". An empty
// audience is emit's: the contract's organisation and auditors.
func hostEmitTo(cs *callState, s []uint64) {
	nameLen, dataLen, audLen := uint32(s[1]), uint32(s[3]), uint32(s[5])
	if len(cs.events) >= cs.limits.MaxEvents {
		cs.stop(CodeEventLimit, fmt.Sprintf("more than %d events", cs.limits.MaxEvents))
	}
	size := int64(nameLen) + int64(dataLen) + int64(audLen)
	if total := int64(cs.evBytes) + size; total > int64(cs.limits.MaxEventBytes) {
		cs.stop(CodeEventLimit, fmt.Sprintf("events exceed %d bytes", cs.limits.MaxEventBytes))
	}
	if audLen > maxAudienceBytes {
		cs.stop(CodeBadAudience, fmt.Sprintf("audience of %d bytes exceeds %d", audLen, maxAudienceBytes))
	}
	cs.charge(gasHostBase + gasEmit + eventBytesGas(int(size)))
	audience, err := parseAudience(cs.read(uint32(s[4]), audLen))
	if err != nil {
		cs.stop(CodeBadAudience, err.Error())
	}
	cs.charge(gasAudienceEntry * uint64(len(audience)))
	name := string(cs.read(uint32(s[0]), nameLen))
	data := append([]byte(nil), cs.read(uint32(s[2]), dataLen)...)
	cs.events = append(cs.events, Event{Name: name, Data: data, Audience: audience})
	cs.evBytes += int(size)
}

// parseAudience splits and validates an emit_to audience. The entries keep
// the contract's order; they are copied out of guest memory as one string
// that they share, since an allocation costs more than validating an entry.
func parseAudience(b []byte) ([]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	n := bytes.Count(b, []byte{'\n'}) + 1
	if n > MaxAudienceEntries {
		return nil, fmt.Errorf("audience of %d entries exceeds %d", n, MaxAudienceEntries)
	}
	all := string(b)
	out := make([]string, 0, n)
	for i, start := 1, 0; ; i++ {
		end := strings.IndexByte(all[start:], '\n')
		if end < 0 {
			end = len(all)
		} else {
			end += start
		}
		if err := validAudienceEntry(b[start:end]); err != nil {
			return nil, fmt.Errorf("audience entry %d: %w", i, err)
		}
		out = append(out, all[start:end])
		if end == len(all) {
			return out, nil
		}
		start = end + 1
	}
}

// validAudienceEntry reports why e is not an audience entry: "0x" and 40
// lower-case hex digits (an address), "org:<id>" with id
// [a-z0-9][a-z0-9-]{0,31}, "role:<role>" with role [a-z][a-z0-9_-]{0,31},
// or "members". Upper-case hex is refused so that one address has one
// spelling, which keeps audience matching a plain comparison.
func validAudienceEntry(e []byte) error {
	switch {
	case string(e) == "members":
		return nil
	case bytes.HasPrefix(e, []byte("0x")):
		if len(e) != 42 {
			return fmt.Errorf("address %q must be 0x and 40 lower-case hex digits", e)
		}
		for _, c := range e[2:] {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return fmt.Errorf("address %q must be 0x and 40 lower-case hex digits", e)
			}
		}
		return nil
	case bytes.HasPrefix(e, []byte("org:")):
		id := e[4:]
		if !validName(id, isLowerDigit, func(c byte) bool { return isLowerDigit(c) || c == '-' }) {
			return fmt.Errorf("org %q must match [a-z0-9][a-z0-9-]{0,31}", id)
		}
		return nil
	case bytes.HasPrefix(e, []byte("role:")):
		r := e[5:]
		if !validName(r, isLower, func(c byte) bool { return isLowerDigit(c) || c == '-' || c == '_' }) {
			return fmt.Errorf("role %q must match [a-z][a-z0-9_-]{0,31}", r)
		}
		return nil
	case len(e) == 0:
		return fmt.Errorf("empty entry")
	}
	return fmt.Errorf("%q is not 0x<address>, org:<id>, role:<role> or members", e)
}

func isLower(c byte) bool      { return 'a' <= c && c <= 'z' }
func isLowerDigit(c byte) bool { return isLower(c) || '0' <= c && c <= '9' }

// validName checks a 1 to 32 byte name: its first byte by first, the rest
// by rest.
func validName(s []byte, first, rest func(byte) bool) bool {
	if len(s) == 0 || len(s) > 32 || !first(s[0]) {
		return false
	}
	for _, c := range s[1:] {
		if !rest(c) {
			return false
		}
	}
	return true
}
