package contract

import (
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

func encodeParticipant(org string, roles ...string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(org)))
	b = append(b, org...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(roles)))
	for _, r := range roles {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
		b = append(b, r...)
	}
	return b
}

func TestDecodeParticipant(t *testing.T) {
	p, err := decodeParticipant(encodeParticipant("bank", "admin", "servicer"))
	if err != nil || p.Org != "bank" || !slices.Equal(p.Roles, []string{"admin", "servicer"}) {
		t.Fatalf("decode = %+v, %v", p, err)
	}
	p, err = decodeParticipant(encodeParticipant("solo"))
	if err != nil || p.Org != "solo" || p.Roles != nil {
		t.Fatalf("no roles: %+v, %v", p, err)
	}
	good := encodeParticipant("bank", "admin")
	for name, enc := range map[string][]byte{
		"empty":             nil,
		"short org length":  {1, 0},
		"org past the end":  {9, 0, 0, 0, 'a'},
		"no role count":     encodeParticipant("bank")[:8],
		"count too large":   binary.LittleEndian.AppendUint32(encodeParticipant("")[:4], 1<<30),
		"role past the end": good[:len(good)-1],
		"trailing bytes":    append(slices.Clone(good), 0),
	} {
		if _, err := decodeParticipant(enc); !errors.Is(err, ErrParticipantEncoding) {
			t.Errorf("%s: err = %v, want ErrParticipantEncoding", name, err)
		}
	}
}

// FuzzDecodeParticipant: the decoder never panics, and what it accepts
// encodes back to the same bytes.
func FuzzDecodeParticipant(f *testing.F) {
	f.Add(encodeParticipant("bank", "admin", "servicer"))
	f.Add(encodeParticipant(""))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, enc []byte) {
		p, err := decodeParticipant(enc)
		if err != nil {
			return
		}
		if again := encodeParticipant(p.Org, p.Roles...); string(again) != string(enc) {
			t.Fatalf("%x decoded to %+v, which encodes as %x", enc, p, again)
		}
	})
}

func TestParticipantHasRole(t *testing.T) {
	p := Participant{Org: "bank", Roles: []string{"admin", "auditor", "servicer"}}
	for role, want := range map[string]bool{"admin": true, "auditor": true, "servicer": true, "owner": false, "": false, "Admin": false} {
		if got := p.HasRole(role); got != want {
			t.Errorf("HasRole(%q) = %v, want %v", role, got, want)
		}
	}
}

func TestAudienceSpelling(t *testing.T) {
	a := Address{0xAB, 0x01}
	for _, tc := range []struct {
		got  Audience
		want string
	}{
		{ToAddress(a), "0xab01000000000000000000000000000000000000"},
		{ToOrg("bank-2"), "org:bank-2"},
		{ToRole("home_owner"), "role:home_owner"},
		{ToMembers(), "members"},
	} {
		if tc.got.String() != tc.want {
			t.Errorf("audience %q, want %q", tc.got, tc.want)
		}
	}
}

func TestReadPolicyRegistration(t *testing.T) {
	saved, savedNames := registry.readPolicy, registry.namesJSON
	t.Cleanup(func() { registry.readPolicy, registry.namesJSON = saved, savedNames })
	mustPanic := func(name string, fn func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		fn()
	}
	mustPanic("nil policy", func() { ReadPolicy(nil) })
	registry.readPolicy = nil
	ReadPolicy(func(*Context, []byte) bool { return true })
	mustPanic("second policy", func() { ReadPolicy(func(*Context, []byte) bool { return false }) })
	mustPanic("Method(mesh.canRead)", func() {
		Method(CanReadMethod, func(*Context, struct{}) (bool, error) { return true, nil })
	})
}
