package browsertest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/meshledger/meshledger/node/nodetest"
)

// lie is what the tampering proxy in front of the node alters in the state
// and history responses the explorer reads.
type lie int32

const (
	honest lie = iota
	// forgedValue changes one digit of every value (a loan's balance, say):
	// a plausible lie that still parses, which only the proofs can catch.
	forgedValue
	// forgedProof flips one byte of the leaf of every state proof.
	forgedProof
)

func (l lie) String() string {
	return [...]string{"honest", "forged value", "forged proof"}[l]
}

// lyingNode returns a nodetest.Tamper that tells the lie mode holds at the
// time of each response, in the contract state and history responses only.
func lyingNode(mode *atomic.Int32) nodetest.Tamper {
	return func(r *http.Request, status int, body []byte) []byte {
		l := lie(mode.Load())
		if l == honest || status != http.StatusOK || !readsState(r.URL.Path) {
			return body
		}
		out, err := forge(body, l)
		if err != nil {
			return body // not JSON: not one of the responses we lie in
		}
		return out
	}
}

// readsState is true for the routes that answer a key's value, proof and
// lineage: /v1/contracts/{address}/state/{key} and .../history/{key}.
func readsState(path string) bool {
	rest, ok := strings.CutPrefix(path, "/v1/contracts/")
	return ok && (strings.Contains(rest, "/state/") || strings.Contains(rest, "/history/"))
}

// forge applies lie l to every value, or to every state proof, in a JSON
// response body. Numbers are kept as written.
func forge(body []byte, l lie) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	walk(doc, func(key string, v any) any {
		s, ok := v.(string)
		switch {
		case l == forgedValue && key == "value" && ok:
			return forgeHex(s, changeDigit)
		case l == forgedProof && key == "nodes":
			nodes, ok := v.([]any)
			if !ok || len(nodes) == 0 {
				return v
			}
			if leaf, ok := nodes[len(nodes)-1].(string); ok {
				nodes[len(nodes)-1] = forgeHex(leaf, flipMiddleByte)
			}
			return nodes
		}
		return v
	})
	return json.Marshal(doc)
}

// walk calls fn for every member of every object in v, depth first, and
// replaces the member with its result.
func walk(v any, fn func(key string, v any) any) {
	switch x := v.(type) {
	case map[string]any:
		for k, member := range x {
			walk(member, fn)
			x[k] = fn(k, member)
		}
	case []any:
		for _, e := range x {
			walk(e, fn)
		}
	}
}

// forgeHex applies change to the bytes of a 0x-hex string; anything else is
// returned as it was.
func forgeHex(s string, change func([]byte)) string {
	raw, ok := strings.CutPrefix(s, "0x")
	if !ok {
		return s
	}
	b, err := hex.DecodeString(raw)
	if err != nil || len(b) == 0 {
		return s
	}
	change(b)
	return "0x" + hex.EncodeToString(b)
}

// changeDigit changes the last ASCII digit of b to another digit, so JSON
// stays JSON; without a digit it flips the last byte's low bit.
func changeDigit(b []byte) {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] >= '0' && b[i] <= '9' {
			b[i] = '0' + (b[i]-'0'+1)%10
			return
		}
	}
	b[len(b)-1] ^= 1
}

// flipMiddleByte flips every bit of the middle byte of b.
func flipMiddleByte(b []byte) { b[len(b)/2] ^= 0xff }

func TestForgeValue(t *testing.T) {
	value := hex.EncodeToString([]byte(`{"id":"L-1","balance":100000}`))
	body := `{"height":12345678901234567890,"value":"0x` + value + `","proof":{"value":"0x` + value + `","nodes":["0x01","0xaabbcc"]},"key":"0x6c6f616e2f4c2d31"}`
	out, err := forge([]byte(body), forgedValue)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Height json.Number `json:"height"`
		Value  string      `json:"value"`
		Key    string      `json:"key"`
		Proof  struct {
			Value string   `json:"value"`
			Nodes []string `json:"nodes"`
		} `json:"proof"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	forged := "0x" + hex.EncodeToString([]byte(`{"id":"L-1","balance":100001}`))
	if got.Value != forged || got.Proof.Value != forged {
		t.Errorf("values %s, %s; want both %s", got.Value, got.Proof.Value, forged)
	}
	if got.Height != "12345678901234567890" || got.Key != "0x6c6f616e2f4c2d31" || got.Proof.Nodes[1] != "0xaabbcc" {
		t.Errorf("forging the value altered more: %s", out)
	}
}

func TestForgeProof(t *testing.T) {
	body := `{"value":"0x3132","entries":[{"value":"0x33"}],"latest":{"proof":{"nodes":["0x0102","0xaabbcc"]}}}`
	out, err := forge([]byte(body), forgedProof)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"entries":[{"value":"0x33"}],"latest":{"proof":{"nodes":["0x0102","0xaa44cc"]}},"value":"0x3132"}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

func TestForgeLeavesOtherBodiesAlone(t *testing.T) {
	if _, err := forge([]byte("data: not json\n\n"), forgedValue); err == nil {
		t.Error("forge accepted a body that is not JSON")
	}
	for _, s := range []string{"plain", "0xzz", "0x"} {
		if got := forgeHex(s, flipMiddleByte); got != s {
			t.Errorf("forgeHex(%q) = %q, want it unchanged", s, got)
		}
	}
	b := []byte{0x10, 0x20}
	changeDigit(b)
	if !bytes.Equal(b, []byte{0x10, 0x21}) {
		t.Errorf("changeDigit without a digit: %x, want 1021", b)
	}
	for path, want := range map[string]bool{
		"/v1/contracts/0xabc/state/loan%2FL-1":   true,
		"/v1/contracts/0xabc/history/loan%2FL-1": true,
		"/v1/contracts/0xabc":                    false,
		"/v1/txs/0x01":                           false,
		"/assets/state/x.js":                     false,
	} {
		if got := readsState(path); got != want {
			t.Errorf("readsState(%s) = %v, want %v", path, got, want)
		}
	}
}

func TestLyingNodeTellsTheLieOfTheMoment(t *testing.T) {
	var mode atomic.Int32
	tamper := lyingNode(&mode)
	req, _ := http.NewRequest("GET", "http://127.0.0.1/v1/contracts/0xabc/state/k", nil)
	body := []byte(`{"value":"0x31"}`)
	if got := tamper(req, 200, body); !bytes.Equal(got, body) {
		t.Errorf("honest: %s", got)
	}
	mode.Store(int32(forgedValue))
	if got := string(tamper(req, 200, body)); got != `{"value":"0x32"}` {
		t.Errorf("forged value: %s", got)
	}
	if got := tamper(req, 404, body); !bytes.Equal(got, body) {
		t.Errorf("an error response was altered: %s", got)
	}
	other, _ := http.NewRequest("GET", "http://127.0.0.1/v1/chain", nil)
	if got := tamper(other, 200, body); !bytes.Equal(got, body) {
		t.Errorf("/v1/chain was altered: %s", got)
	}
}
