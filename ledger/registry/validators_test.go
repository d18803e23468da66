package registry

import (
	"bytes"
	"encoding/json"
	"testing"
)

func vkey(b byte) []byte { return bytes.Repeat([]byte{b}, ValidatorKeySize) }

// validatorSpec is orgsSpec(n) where organisation i runs validator key i
// with power 10.
func validatorSpec(n int) GenesisSpec {
	g := orgsSpec(n, nil)
	for i := range g.Orgs {
		g.Orgs[i].Validator = &Validator{PubKey: vkey(byte(i + 1)), Power: 10}
	}
	return g
}

func validatorChanges(t *testing.T, out *Outcome) []ValidatorChange {
	t.Helper()
	var got []ValidatorChange
	for _, e := range out.Events {
		if e.Name != EventValidatorChanged {
			continue
		}
		var c ValidatorChange
		if err := json.Unmarshal(e.Data, &c); err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	return got
}

func TestGenesisValidators(t *testing.T) {
	n := newNet(t, validatorSpec(3))
	if v := n.org("o2").Validator; v == nil || !bytes.Equal(v.PubKey, vkey(2)) || v.Power != 10 {
		t.Fatalf("o2 validator %+v", v)
	}
	for _, c := range []struct {
		name string
		mod  func(*GenesisSpec)
	}{
		{"short key", func(g *GenesisSpec) { g.Orgs[0].Validator.PubKey = vkey(1)[:31] }},
		{"zero power", func(g *GenesisSpec) { g.Orgs[0].Validator.Power = 0 }},
		{"huge power", func(g *GenesisSpec) { g.Orgs[0].Validator.Power = MaxValidatorPower + 1 }},
		{"shared key", func(g *GenesisSpec) { g.Orgs[1].Validator.PubKey = vkey(1) }},
	} {
		g := validatorSpec(3)
		c.mod(&g)
		if err := Genesis(NewMemStore(), g); err == nil {
			t.Errorf("%s: genesis accepted", c.name)
		}
	}
}

// TestSetValidator runs setValidator proposals through governance: add,
// change power, rotate the key, remove; and the refusals.
func TestSetValidator(t *testing.T) {
	n := newNet(t, validatorSpec(3))
	pass := func(params SetValidatorParams) []ValidatorChange {
		t.Helper()
		p := n.proposal(n.ok(admin(1), MethodPropose, propose(KindSetValidator, params)).Return)
		out := n.ok(admin(2), MethodApprove, vote(p.ID)) // 2 of 3
		return validatorChanges(t, out)
	}
	// Power change.
	if got := pass(SetValidatorParams{Org: "o3", PubKey: vkey(3), Power: 25}); len(got) != 1 || got[0].Power != 25 || !bytes.Equal(got[0].PubKey, vkey(3)) {
		t.Fatalf("power change: %+v", got)
	}
	// Key rotation: the old key leaves, the new one joins, in that order.
	got := pass(SetValidatorParams{Org: "o3", PubKey: vkey(9), Power: 25})
	if len(got) != 2 || !bytes.Equal(got[0].PubKey, vkey(3)) || got[0].Power != 0 || !bytes.Equal(got[1].PubKey, vkey(9)) || got[1].Power != 25 {
		t.Fatalf("rotation: %+v", got)
	}
	// Removal.
	if got := pass(SetValidatorParams{Org: "o3", PubKey: vkey(9), Power: 0}); len(got) != 1 || got[0].Power != 0 || n.org("o3").Validator != nil {
		t.Fatalf("removal: %+v, record %+v", got, n.org("o3").Validator)
	}

	// Refused at proposal time.
	for _, c := range []struct {
		name   string
		params any
		want   error
	}{
		{"key of another org", SetValidatorParams{Org: "o3", PubKey: vkey(1), Power: 5}, ErrConflict},
		{"remove a validator it does not have", SetValidatorParams{Org: "o3", PubKey: vkey(9), Power: 0}, ErrNotFound},
		{"remove with another key", SetValidatorParams{Org: "o2", PubKey: vkey(7), Power: 0}, ErrNotFound},
		{"unknown org", SetValidatorParams{Org: "zz", PubKey: vkey(7), Power: 5}, ErrNotFound},
		{"short key", SetValidatorParams{Org: "o2", PubKey: vkey(2)[:5], Power: 5}, ErrInvalidArgs},
		{"negative power", SetValidatorParams{Org: "o2", PubKey: vkey(2), Power: -1}, ErrInvalidArgs},
		{"unknown field", map[string]any{"org": "o2", "pubKey": vkey(2), "power": 5, "x": 1}, ErrInvalidArgs},
	} {
		t.Run(c.name, func(t *testing.T) {
			n.fails(admin(1), MethodPropose, propose(KindSetValidator, c.params), c.want)
		})
	}

	// The last validator cannot leave, by setValidator or removeOrg.
	pass(SetValidatorParams{Org: "o2", PubKey: vkey(2), Power: 0})
	n.fails(admin(1), MethodPropose, propose(KindSetValidator, SetValidatorParams{Org: "o1", PubKey: vkey(1), Power: 0}), ErrConflict)
	n.fails(admin(2), MethodPropose, propose(KindRemoveOrg, RemoveOrgParams{ID: "o1"}), ErrConflict)
}

// TestRemoveOrgRemovesItsValidator: an organisation that leaves takes its
// validator out of the set.
func TestRemoveOrgRemovesItsValidator(t *testing.T) {
	n := newNet(t, validatorSpec(3))
	p := n.proposal(n.ok(admin(1), MethodPropose, propose(KindRemoveOrg, RemoveOrgParams{ID: "o3"})).Return)
	got := validatorChanges(t, n.ok(admin(2), MethodApprove, vote(p.ID)))
	if len(got) != 1 || got[0].Org != "o3" || got[0].Power != 0 || !bytes.Equal(got[0].PubKey, vkey(3)) {
		t.Fatalf("changes %+v", got)
	}
}
