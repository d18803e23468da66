package contracttest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// directory returns the invoker's participant registry, skipping the case
// for an invoker without one.
func (c conformance) directory() DirectoryInvoker {
	c.t.Helper()
	d, ok := c.inv.(DirectoryInvoker)
	if !ok {
		c.t.Skip("the invoker has no participant registry")
	}
	return d
}

// runAs runs s as caller and requires success with the given return.
func (c conformance) runAs(caller [20]byte, s script, wantReturn string) Outcome {
	c.t.Helper()
	raw, err := json.Marshal(s)
	if err != nil {
		c.t.Fatal(err)
	}
	o := c.inv.Call(caller, "run", raw)
	if o.Code != CodeOK {
		c.t.Fatalf("run as 0x%x: code %q (%s), want ok", caller, o.Code, o.Message)
	}
	if wantReturn != "" && string(o.Return) != wantReturn {
		c.t.Fatalf("run as 0x%x: return\n got %s\nwant %s", caller, o.Return, wantReturn)
	}
	return o
}

func hexAddr(a [20]byte) string { return fmt.Sprintf("0x%x", a) }

func participantOp(a [20]byte) op { return op{Op: "participant", Address: hexAddr(a)} }
func hasRole(r string) op         { return op{Op: "has_role", Role: r} }

var callerOrg = op{Op: "caller_org"}

func emitTo(name, data string, audience ...string) op {
	return op{Op: "emit_to", Name: name, Data: json.RawMessage(data), Audience: audience}
}

// carol is a member whose registry entry is larger than the SDK's scratch
// buffer, so the SDK must ask the host twice.
var carol = [20]byte{0xca, 0x01}

func manyRoles() []string {
	roles := make([]string, 100)
	for i := range roles {
		roles[i] = fmt.Sprintf("role-%03d-%s", i, strings.Repeat("x", 24))
	}
	return roles
}

var identityCases = []conformanceCase{
	{"Participant", func(c conformance) {
		d := c.directory()
		d.SetParticipant(alice, "bank", []string{"admin", "servicer"})
		d.SetParticipant(carol, "big", manyRoles())
		wantCarol, _ := json.Marshal(map[string]any{"member": true, "org": "big", "roles": manyRoles()})
		c.runAs(alice, script{Ops: []op{participantOp(alice), participantOp(bob), participantOp(carol), callerOrg, hasRole("servicer"), hasRole("auditor")}},
			list(`{"member":true,"org":"bank","roles":["admin","servicer"]}`, `{"member":false,"org":"","roles":null}`, string(wantCarol), `"bank"`, "true", "false"))
		// A non-member has no organisation and no role.
		c.runAs(bob, script{Ops: []op{callerOrg, hasRole("admin")}}, list(`""`, "false"))
		// A member without roles; later calls see registry changes.
		d.SetParticipant(bob, "solo", nil)
		c.runAs(bob, script{Ops: []op{participantOp(bob), callerOrg, hasRole("")}}, list(`{"member":true,"org":"solo","roles":null}`, `"solo"`, "false"))
		d.SetParticipant(bob, "solo", []string{"auditor"})
		c.runAs(bob, script{Ops: []op{hasRole("auditor")}}, list("true"))
	}},
	{"EmitTo", func(c conformance) {
		a := hexAddr(alice)
		o := c.ok(script{Ops: []op{
			emitTo("A", `{"x":1}`, a, "org:bank-2", "role:home_owner", "members"),
			emitTo("B", `2`),
			emit("C", `3`),
			emitTo("D", `4`, "members", a),
		}}, "")
		want := []Event{
			{Name: "A", Data: []byte(`{"x":1}`), Audience: []string{a, "org:bank-2", "role:home_owner", "members"}},
			{Name: "B", Data: []byte(`2`)},
			{Name: "C", Data: []byte(`3`)},
			{Name: "D", Data: []byte(`4`), Audience: []string{"members", a}},
		}
		if len(o.Events) != len(want) {
			c.t.Fatalf("events: got %d, want %d", len(o.Events), len(want))
		}
		for i, e := range want {
			g := o.Events[i]
			// No audience is reported as nil or empty alike.
			if g.Name != e.Name || string(g.Data) != string(e.Data) || len(g.Audience) != len(e.Audience) || (len(e.Audience) > 0 && !slices.Equal(g.Audience, e.Audience)) {
				c.t.Fatalf("event %d: got %s %s %q, want %s %s %q", i, g.Name, g.Data, g.Audience, e.Name, e.Data, e.Audience)
			}
		}
		c.ok(script{Ops: []op{emitTo("E", `0`, slices.Repeat([]string{"members"}, MaxAudience)...)}}, "")
	}},
	{"EmitToBadAudience", func(c conformance) {
		c.ok(script{Ops: []op{set("a", "1")}}, "")
		for _, aud := range [][]string{
			{"org:Bank"},
			{"org:-x"},
			{"org:" + strings.Repeat("o", 33)},
			{"role:1x"},
			{"members", "role:a b"},
			{"role:"},
			slices.Repeat([]string{"members"}, MaxAudience+1),
		} {
			c.fails(script{Ops: []op{set("a", "2"), emit("ok", `{}`), emitTo("E", `{}`, aud...)}}, CodeBadAudience)
		}
		c.state(map[string]*string{"a": str("1")})
	}},
	{"EmitToAudienceCountsTowardEventBytes", func(c conformance) {
		// Name "e" (1 byte), audience "members" (7): the data may fill the rest.
		room := MaxEventBytes - 1 - len("members")
		o := c.ok(script{Ops: []op{{Op: "emit_to", Name: "e", ValueSize: room, Audience: []string{"members"}}}}, "")
		if len(o.Events) != 1 || len(o.Events[0].Data) != room {
			c.t.Fatalf("events %d", len(o.Events))
		}
		c.fails(script{Ops: []op{{Op: "emit_to", Name: "e", ValueSize: room + 1, Audience: []string{"members"}}}}, CodeEventLimit)
	}},
	{"ReadPolicy", func(c conformance) {
		d := c.directory()
		q, ok := c.inv.(QueryInvoker)
		if !ok {
			c.t.Skip("the invoker runs no queries")
		}
		c.ok(script{Ops: []op{set("doc/1", hexAddr(alice)), set("pub/x", "p")}}, "")
		d.SetParticipant(carol, "audit", []string{"reader"})
		for _, tc := range []struct {
			reader [20]byte
			key    string
			want   string
		}{
			{bob, "pub/x", "true"},
			{bob, "pub/absent", "true"},
			{alice, "doc/1", "true"},
			{bob, "doc/1", "false"},
			{bob, "doc/absent", "false"},
			{carol, "doc/1", "true"},
			{bob, "", "false"},
		} {
			o := q.Query(tc.reader, "mesh.canRead", []byte(tc.key))
			if o.Code != CodeOK || string(o.Return) != tc.want {
				c.t.Fatalf("mesh.canRead %q by 0x%x: %s %s %s, want ok %s", tc.key, tc.reader, o.Code, o.Message, o.Return, tc.want)
			}
		}
		// A failing policy fails the call, which a node takes as a refusal.
		if o := q.Query(bob, "mesh.canRead", []byte("panic")); o.Code != CodePanic {
			c.t.Fatalf("panicking policy: %s %s, want panic", o.Code, o.Message)
		}
	}},
}
