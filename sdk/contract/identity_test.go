package contract_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/sdk/contract"
	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

var (
	alice = contract.Address{0xa1}
	bob   = contract.Address{0xb0}
)

// Identity probes; their policy: keys under "own/" hold the address of the
// one member who may read them, whose own reads of state during the
// policy must not disturb the key it was given.
func init() {
	contract.Method("id.who", func(ctx *contract.Context, _ struct{}) ([]any, error) {
		p, ok := ctx.Participant(bob)
		return []any{ctx.CallerOrg(), ctx.HasRole("servicer"), ok, p.Org, p.Roles}, nil
	})
	contract.Method("id.emit", func(ctx *contract.Context, aud []string) (bool, error) {
		as := make([]contract.Audience, len(aud))
		for i, e := range aud {
			as[i] = contract.ToRole(e)
		}
		return true, ctx.EmitTo("E", fastResultFor(len(aud)), as...)
	})
	contract.Method("id.emitbad", func(ctx *contract.Context, _ struct{}) (bool, error) {
		return true, ctx.EmitTo("E", make(chan int), contract.ToMembers())
	})
	contract.ReadPolicy(func(ctx *contract.Context, key []byte) bool {
		if !strings.HasPrefix(string(key), "own/") {
			return false
		}
		// A long value read through the call's scratch buffer: the key
		// must survive it.
		_, _ = ctx.Get([]byte("filler"))
		v, ok := ctx.Get(key)
		return ok && string(v) == ctx.Caller().Hex()
	})
}

func fastResultFor(n int) *fastResult { return &fastResult{N: n} }

func TestIdentity(t *testing.T) {
	h := contracttest.New()
	h.SetParticipant(alice, "bank", "servicer", "admin", "servicer")
	h.SetCaller(alice)
	r := h.Call("id.who", nil)
	if !r.OK || string(r.Return) != `["bank",true,false,"",null]` {
		t.Fatalf("alice, bob not a member: %s %s %s", r.Code, r.Message, r.Return)
	}
	h.SetParticipant(bob, "homes", "borrower")
	h.SetCaller(bob)
	r = h.Call("id.who", nil)
	if !r.OK || string(r.Return) != `["homes",false,true,"homes",["borrower"]]` {
		t.Fatalf("bob: %s %s %s", r.Code, r.Message, r.Return)
	}
	if p, ok := h.Participant(alice); !ok || !slices.Equal(p.Roles, []string{"admin", "servicer"}) {
		t.Fatalf("alice's roles %q: kept ascending and unique", p.Roles)
	}
	h.RemoveParticipant(bob)
	r = h.Call("id.who", nil)
	if !r.OK || string(r.Return) != `["",false,false,"",null]` {
		t.Fatalf("bob removed: %s %s %s", r.Code, r.Message, r.Return)
	}
}

func TestEmitToAudience(t *testing.T) {
	h := contracttest.New()
	r := h.Call("id.emit", []string{"servicer", "owner"})
	if !r.OK || len(r.Events) != 1 || string(r.Events[0].Data) != `{"fast":2}` ||
		!slices.Equal(r.Events[0].Audience, []string{"role:servicer", "role:owner"}) {
		t.Fatalf("emit: %s %s %+v", r.Code, r.Message, r.Events)
	}
	r = h.Call("id.emit", []string{})
	if !r.OK || len(r.Events) != 1 || r.Events[0].Audience != nil {
		t.Fatalf("emit without audience: %s %s %+v", r.Code, r.Message, r.Events)
	}
	r = h.Call("id.emit", []string{"Servicer"})
	if r.Code != contracttest.CodeBadAudience || !strings.Contains(r.Message, "role:Servicer") || len(h.Events()) != 2 {
		t.Fatalf("bad role: %s %q, %d events kept", r.Code, r.Message, len(h.Events()))
	}
	r = h.Call("id.emit", slices.Repeat([]string{"a"}, contract.MaxAudience+1))
	if r.Code != contracttest.CodeBadAudience || !strings.Contains(r.Message, "17 entries exceeds 16") {
		t.Fatalf("too many entries: %s %q", r.Code, r.Message)
	}
	r = h.Call("id.emitbad", nil)
	if r.Code != contracttest.CodeError || !strings.Contains(r.Message, "contract: encode event E") {
		t.Fatalf("unencodable payload: %s %q", r.Code, r.Message)
	}
}

func TestReadPolicy(t *testing.T) {
	h := contracttest.New()
	h.Put("own/1", []byte(alice.Hex()))
	h.Put("filler", []byte(strings.Repeat("f", 4096)))
	for _, tc := range []struct {
		reader contract.Address
		key    string
		want   bool
	}{
		{alice, "own/1", true},
		{bob, "own/1", false},
		{alice, "own/2", false},
		{alice, "filler", false},
	} {
		got, r := h.CanRead(tc.reader, []byte(tc.key))
		if got != tc.want || !r.OK {
			t.Errorf("CanRead(%s, %q) = %v (%s %s)", tc.reader, tc.key, got, r.Code, r.Message)
		}
	}
	// mesh.methods lists the policy, so that the node knows to ask it.
	if r := h.Query("mesh.methods", nil); !strings.Contains(string(r.Return), `"mesh.canRead"`) {
		t.Fatalf("mesh.methods does not list the read policy: %s", r.Return)
	}
}

// A contract reads who its caller is from the participant registry, and
// addresses events to the parties who should see them; the mock host's
// registry is filled with SetParticipant.
func ExampleContext_EmitTo() {
	h := contracttest.New()
	h.SetParticipant(alice, "bank", "servicer")
	h.SetCaller(alice)
	r := h.Call("id.emit", []string{"servicer"})
	fmt.Println(r.Code, r.Events[0].Name, r.Events[0].Audience)
	// Output:
	// ok E [role:servicer]
}
