package contract

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Participant is an address's place in the network's participant
// registry, as of the state the call runs against (earlier transactions of
// the same block included): its organisation and its roles, ascending and
// unique. The network defines the roles admin, deployer and auditor;
// contracts give meaning to any others (servicer, owner, borrower...).
type Participant struct {
	Org   string
	Roles []string
}

// HasRole reports whether p has role.
func (p Participant) HasRole(role string) bool {
	_, ok := slices.BinarySearch(p.Roles, role)
	return ok
}

// ErrParticipantEncoding means the host returned a malformed participant.
var ErrParticipantEncoding = errors.New("contract: malformed participant from host")

// Participant looks addr up in the participant registry; false if it is
// not a member. Each lookup is a host call priced in gas (docs/abi.md);
// the caller's own entry is looked up once per call and kept.
func (c *Context) Participant(addr Address) (Participant, bool) {
	buf := c.scratch
	n := c.h.Participant(addr, buf)
	if n < 0 {
		return Participant{}, false
	}
	var enc []byte
	if n <= len(buf) {
		enc = buf[:n]
	} else {
		enc = make([]byte, n)
		if m := c.h.Participant(addr, enc); m != n {
			panic(ErrParticipantEncoding)
		}
	}
	p, err := decodeParticipant(enc)
	if err != nil {
		panic(err)
	}
	return p, true
}

// callerParticipant is the caller's registry entry, looked up once.
func (c *Context) callerParticipant() (Participant, bool) {
	if !c.haveCallerP {
		c.callerP, c.callerIsMember = c.Participant(c.Caller())
		c.haveCallerP = true
	}
	return c.callerP, c.callerIsMember
}

// CallerOrg is the organisation of the caller, "" if the caller is not a
// member (possible only where the network allows non-members, and in
// queries by a node's own tools).
func (c *Context) CallerOrg() string {
	p, _ := c.callerParticipant()
	return p.Org
}

// HasRole reports whether the caller is a member with role.
func (c *Context) HasRole(role string) bool {
	p, ok := c.callerParticipant()
	return ok && p.HasRole(role)
}

// decodeParticipant parses u32 org_len, org, u32 count, then u32 len and
// bytes per role (little-endian). The strings are copied: enc may be the
// call's scratch buffer.
func decodeParticipant(enc []byte) (Participant, error) {
	org, rest, ok := cutField(enc)
	if !ok || len(rest) < 4 {
		return Participant{}, ErrParticipantEncoding
	}
	count := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(count)*4 > uint64(len(rest)) {
		return Participant{}, ErrParticipantEncoding
	}
	p := Participant{Org: string(org)}
	if count > 0 {
		p.Roles = make([]string, count)
	}
	for i := range p.Roles {
		var r []byte
		if r, rest, ok = cutField(rest); !ok {
			return Participant{}, ErrParticipantEncoding
		}
		p.Roles[i] = string(r)
	}
	if len(rest) != 0 {
		return Participant{}, ErrParticipantEncoding
	}
	return p, nil
}

// Audience is one entry of an event's audience: who may read the event
// through a node's API. Build it with ToAddress, ToOrg, ToRole or
// ToMembers. Auditors read every event whatever its audience.
type Audience struct {
	// entry is the entry's text, except for an address, which is kept as
	// its bytes and spelt out only when the event is emitted: an event
	// addressed to a loan's three parties then costs no allocation.
	entry  string
	addr   Address
	isAddr bool
}

// String is the entry as the host and the receipts spell it.
func (a Audience) String() string {
	if a.isAddr {
		return a.addr.Hex()
	}
	return a.entry
}

// appendTo appends the entry's text to b.
func (a *Audience) appendTo(b []byte) []byte {
	if a.isAddr {
		return appendAddressHex(b, &a.addr)
	}
	return append(b, a.entry...)
}

// ToAddress addresses an event to one account.
func ToAddress(a Address) Audience { return Audience{addr: a, isAddr: true} }

// ToOrg addresses an event to every member of organisation id.
func ToOrg(id string) Audience { return Audience{entry: "org:" + id} }

// ToRole addresses an event to every member with role.
func ToRole(role string) Audience { return Audience{entry: "role:" + role} }

// ToMembers addresses an event to every member of the network.
func ToMembers() Audience { return Audience{entry: "members"} }

// MaxAudience is the most entries an event's audience may have.
const MaxAudience = 16

// EmitTo appends an event, encoded as Emit encodes it, that only the
// audience (and auditors) may read. With no audience it is Emit: the
// contract's organisation and auditors read it. A malformed entry (an org
// id or role outside the host's syntax) or more than MaxAudience entries
// fails the call with bad_audience; the audience's bytes count toward the
// call's event bytes.
func (c *Context) EmitTo(name string, payload any, audience ...Audience) error {
	// The payload and the audience share one buffer, the scratch buffer
	// when it is free: the host copies both before returning.
	buf := c.scratch
	if buf == nil {
		buf = make([]byte, 0, 256)
	}
	var data []byte
	if ap, ok := payload.(JSONAppender); ok && !isNilPointer(payload) {
		data = ap.AppendJSON(buf[:0])
		buf = data[len(data):]
	} else {
		var err error
		if data, err = MarshalJSON(payload); err != nil {
			return fmt.Errorf("contract: encode event %s: %w", name, err)
		}
	}
	var aud []byte
	if len(audience) > 0 {
		aud = buf[:0]
		for i := range audience {
			if i > 0 {
				aud = append(aud, '\n')
			}
			aud = audience[i].appendTo(aud)
		}
	}
	c.h.EmitTo(name, data, aud)
	return nil
}
