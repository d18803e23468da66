//go:build !wasip1

// The slot is exercised natively, through a host written in Go; in Wasm
// hostAPI is the imports themselves.

package contract

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/sdk/contract/internal/hostlink"
)

// slotHost is a host for driving the SDK's call path in this package's
// tests: one caller, one participant entry, a map of state, and a method
// with its arguments. Methods the tests do not reach panic through the
// nil embedded Host.
type slotHost struct {
	hostlink.Host
	caller  Address
	org     string
	state   map[string][]byte
	method  string
	args    []byte
	ret     []byte
	reads   int
	emitted []string
}

func (h *slotHost) Caller() [20]byte      { return h.caller }
func (h *slotHost) MethodLen() int        { return len(h.method) }
func (h *slotHost) MethodRead(buf []byte) { copy(buf, h.method) }
func (h *slotHost) ArgsLen() int          { return len(h.args) }
func (h *slotHost) ArgsRead(buf []byte)   { copy(buf, h.args) }
func (h *slotHost) SetReturn(data []byte) { h.ret = append([]byte(nil), data...) }

func (h *slotHost) StateGet(key, buf []byte) int {
	h.reads++
	v, ok := h.state[string(key)]
	if !ok {
		return -1
	}
	copy(buf, v)
	return len(v)
}

func (h *slotHost) EmitTo(name string, data, audience []byte) {
	h.emitted = append(h.emitted, name+" "+string(data)+" "+string(audience))
}

// Participant encodes the caller's entry, org and one role, as the host
// does (u32 org_len, org, u32 count, u32 len and bytes per role).
func (h *slotHost) Participant(addr [20]byte, buf []byte) int {
	if addr != h.caller {
		return -1
	}
	var enc []byte
	enc = binary.LittleEndian.AppendUint32(enc, uint32(len(h.org)))
	enc = append(enc, h.org...)
	enc = binary.LittleEndian.AppendUint32(enc, 1)
	enc = binary.LittleEndian.AppendUint32(enc, uint32(len("role-"+h.org)))
	enc = append(enc, "role-"+h.org...)
	if len(enc) <= len(buf) {
		copy(buf, enc)
	}
	return len(enc)
}

// TestContextSlotLeavesNothingToTheNextCall runs two calls on one slot:
// the first caches its caller and registry entry, reads state into the
// arena and lends its scratch buffer; the second, by another caller,
// must find a Context exactly as a fresh one, and learn its own caller.
func TestContextSlotLeavesNothingToTheNextCall(t *testing.T) {
	var slot contextSlot
	a := &slotHost{caller: Address{1}, org: "a", state: map[string][]byte{"k": []byte("first")}}
	c := slot.take(a)
	if c.Caller() != a.caller || c.CallerOrg() != "a" || !c.HasRole("role-a") {
		t.Fatalf("first call: caller %v org %q", c.Caller(), c.CallerOrg())
	}
	if v, ok := c.Get([]byte("k")); !ok || string(v) != "first" {
		t.Fatalf("first call: Get = %q %v", v, ok)
	}
	c.scratch = nil // as while lent out
	slot.give(c)

	b := &slotHost{caller: Address{2}, org: "b", state: map[string][]byte{}}
	c2 := slot.take(b)
	if c2 != c {
		t.Fatal("the free slot's Context was not reused")
	}
	fresh := callState{h: b, reuse: true, scratch: c2.buf[:]}
	if !reflect.DeepEqual(c2.callState, fresh) {
		got := c2.callState
		got.scratch, fresh.scratch = got.scratch[:min(len(got.scratch), 8)], nil
		t.Fatalf("second call's Context holds the first's state (scratch %d bytes):\n%+v\nwant\n%+v", len(c2.scratch), got, fresh)
	}
	if c2.Caller() != b.caller || c2.CallerOrg() != "b" || c2.HasRole("role-a") {
		t.Fatalf("second call sees caller %v org %q", c2.Caller(), c2.CallerOrg())
	}
	if v, ok := c2.Get([]byte("k")); ok {
		t.Fatalf("second call reads the first call's value: %q", v)
	}
	slot.give(c2)
}

// TestContextSlotNested: a call taken while the slot's Context is out
// gets a Context of its own, which reuses nothing, and giving it back
// leaves the slot's Context out until its own call ends.
func TestContextSlotNested(t *testing.T) {
	var slot contextSlot
	h := &slotHost{}
	outer := slot.take(h)
	inner := slot.take(h)
	if inner == outer || inner.reuse || !outer.reuse {
		t.Fatalf("nested take: inner %p outer %p, reuse %v %v", inner, outer, inner.reuse, outer.reuse)
	}
	slot.give(inner)
	if again := slot.take(h); again == outer {
		t.Fatal("the slot's Context was handed out while its call was running")
	}
	slot.give(outer)
	if again := slot.take(h); again != outer {
		t.Fatal("the slot's Context was not free after its call ended")
	}
}

// TestGetArena: in a reusable Context, values Get returns stay as they
// were while later reads fill the arena, cannot be appended into one
// another, and a value too large for what is left of the arena still
// comes back whole.
func TestGetArena(t *testing.T) {
	big := bytes.Repeat([]byte{'b'}, 3000)
	h := &slotHost{state: map[string][]byte{"x": []byte("xx"), "y": []byte("yyy"), "big": big}}
	var slot contextSlot
	c := slot.take(h)
	defer slot.give(c)
	x, _ := c.Get([]byte("x"))
	y, _ := c.Get([]byte("y"))
	if cap(x) != len(x) {
		t.Fatalf("cap(x) = %d, len %d: an append would overwrite y", cap(x), len(x))
	}
	_ = append(x, 'z')
	if string(x) != "xx" || string(y) != "yyy" {
		t.Fatalf("x %q y %q", x, y)
	}
	// The arena has 4091 bytes left, the scratch buffer's 2048 fit, so
	// the big value is read into the arena in one read.
	reads := h.reads
	v, ok := c.Get([]byte("big"))
	if !ok || !bytes.Equal(v, big) || h.reads != reads+1 {
		t.Fatalf("big value: ok %v equal %v, %d reads", ok, bytes.Equal(v, big), h.reads-reads)
	}
	// Now less than the scratch buffer's room is left: the next read
	// goes through the scratch buffer into memory of its own.
	v2, ok := c.Get([]byte("big"))
	if !ok || !bytes.Equal(v2, big) || &v2[0] == &v[0] {
		t.Fatalf("second big value: ok %v equal %v", ok, bytes.Equal(v2, big))
	}
	if string(x) != "xx" || string(y) != "yyy" || !bytes.Equal(v, big) {
		t.Fatal("a later read overwrote an earlier value")
	}
}

type slotArgs struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

type slotResult struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

func (r slotResult) AppendJSON(b []byte) []byte {
	b = append(b, `{"name":"`...)
	b = append(b, r.Name...)
	b = append(b, `","n":`...)
	return append(b, byte('0'+r.N%10), '}')
}

func init() {
	Method("slot.echo", func(c *Context, a slotArgs) (slotResult, error) {
		return slotResult(a), nil
	})
}

// TestHandlerSlotsStartZero runs a method twice on the reused Context:
// the second call's arguments omit a member the first set, and must not
// find the first call's value in it, nor in the result.
func TestHandlerSlotsStartZero(t *testing.T) {
	var slot contextSlot
	for _, tc := range []struct{ args, want string }{
		{`{"name":"first","n":7}`, `{"name":"first","n":7}`},
		{`{"n":2}`, `{"name":"","n":2}`},
		{``, `{"name":"","n":0}`},
	} {
		h := &slotHost{method: "slot.echo", args: []byte(tc.args)}
		c := slot.take(h)
		status := runCall(c)
		slot.give(c)
		if status != statusOK || string(h.ret) != tc.want {
			t.Fatalf("args %s: status %d, result %s, want %s", tc.args, status, h.ret, tc.want)
		}
	}
}

// TestEmitToSharesScratch: an event's payload and audience are written to
// one buffer, and neither is cut short or mixed into the other.
func TestEmitToSharesScratch(t *testing.T) {
	h := &slotHost{}
	var slot contextSlot
	c := slot.take(h)
	defer slot.give(c)
	aud := []Audience{ToAddress(Address{0xab}), ToOrg("bank"), ToRole("servicer"), ToMembers()}
	if err := c.EmitTo("E", slotResult{Name: "x", N: 3}, aud...); err != nil {
		t.Fatal(err)
	}
	want := `E {"name":"x","n":3} 0xab00000000000000000000000000000000000000` + "\norg:bank\nrole:servicer\nmembers"
	if len(h.emitted) != 1 || h.emitted[0] != want {
		t.Fatalf("emitted %q, want %q", h.emitted, want)
	}
	// Without the scratch buffer (lent out), and with a payload only
	// encoding/json can write.
	c.scratch = nil
	if err := c.EmitTo("F", map[string]int{"a": 1}, ToAddress(Address{1})); err != nil {
		t.Fatal(err)
	}
	if got := h.emitted[1]; got != `F {"a":1} 0x01`+strings.Repeat("0", 38) {
		t.Fatalf("emitted %q", got)
	}
	if got, want := ToAddress(Address{0xab}).String(), (Address{0xab}).Hex(); got != want {
		t.Fatalf("ToAddress(...).String() = %q", got)
	}
}
