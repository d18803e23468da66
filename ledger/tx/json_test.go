package tx

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	for _, tx := range []*Tx{signedCall(t), signedDeploy(t), signedUpgrade(t)} {
		t.Run(tx.Type(), func(t *testing.T) {
			b := tx.EncodeJSON()
			got, err := DecodeJSON(b, Limits{})
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if !txEqual(tx, got) || got.Hash() != tx.Hash() {
				t.Fatalf("round trip differs:\n%s\n%s", b, got.EncodeJSON())
			}
			if string(got.EncodeJSON()) != string(b) {
				t.Fatal("encoding not stable")
			}
			if _, err := got.Verify(testChainID); err != nil {
				t.Fatal(err)
			}
			// Through encoding/json as a struct member.
			var wrapper struct{ Tx *Tx }
			w, err := json.Marshal(struct{ Tx *Tx }{tx})
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(w, &wrapper); err != nil || !txEqual(wrapper.Tx, tx) {
				t.Fatalf("encoding/json round trip: %v", err)
			}
		})
	}
}

// mutateJSON decodes the envelope of tx into maps of raw members, lets f
// change them, and re-encodes.
func mutateJSON(t *testing.T, tx *Tx, f func(top, msg map[string]json.RawMessage)) []byte {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(tx.EncodeJSON(), &top); err != nil {
		t.Fatal(err)
	}
	var msg map[string]json.RawMessage
	if err := json.Unmarshal(top["message"], &msg); err != nil {
		t.Fatal(err)
	}
	orig := string(top["message"])
	f(top, msg)
	mb, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	if cur, ok := top["message"]; ok && string(cur) == orig {
		top["message"] = mb
	}
	b, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeJSONAccepts(t *testing.T) {
	call := signedCall(t)
	tests := []struct {
		name string
		f    func(top, msg map[string]json.RawMessage)
	}{
		{"numbers as JSON numbers", func(top, msg map[string]json.RawMessage) {
			top["chainId"] = json.RawMessage(`1337`)
			msg["nonce"] = json.RawMessage(`7`)
			msg["gasLimit"] = json.RawMessage(`1000000`)
		}},
		{"max uint64", func(top, msg map[string]json.RawMessage) {
			msg["gasLimit"] = json.RawMessage(`"18446744073709551615"`)
		}},
		{"lower-case address", func(top, msg map[string]json.RawMessage) {
			msg["from"] = json.RawMessage(strings.ToLower(string(msg["from"])))
		}},
		{"v as 0/1", func(top, msg map[string]json.RawMessage) {
			s := string(top["signature"])
			v := s[len(s)-3 : len(s)-1]
			top["signature"] = json.RawMessage(s[:len(s)-3] + map[string]string{"1b": "00", "1c": "01"}[v] + `"`)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := mutateJSON(t, call, tc.f)
			got, err := DecodeJSON(b, Limits{})
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if tc.name != "max uint64" {
				if _, err := got.Verify(testChainID); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	// Whitespace and member order do not matter.
	b := "\n { \"signature\" : " + string(mutateJSON(t, call, func(top, _ map[string]json.RawMessage) {})[1:])
	b = strings.Replace(b, `"signature":`+`"`+call.Signature().String()+`",`, "", 1)
	b = strings.Replace(b, `"signature" : `, `"signature" : "`+call.Signature().String()+`",`, 1)
	if got, err := DecodeJSON([]byte(b), Limits{}); err != nil || got.Hash() != call.Hash() {
		t.Fatalf("reordered: %v\n%s", err, b)
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	call, deploy := signedCall(t), signedDeploy(t)
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name  string
		tx    *Tx
		f     func(top, msg map[string]json.RawMessage)
		field string
	}{
		{"unknown top field", call, func(top, _ map[string]json.RawMessage) { top["extra"] = raw(`"x"`) }, "extra"},
		{"unknown message field", call, func(_, m map[string]json.RawMessage) { m["extra"] = raw(`"x"`) }, "message.extra"},
		{"deploy field in call", call, func(_, m map[string]json.RawMessage) { m["codeHash"] = raw(`"0x00"`) }, "message.codeHash"},
		{"missing type", call, func(top, _ map[string]json.RawMessage) { delete(top, "type") }, "type"},
		{"missing chainId", call, func(top, _ map[string]json.RawMessage) { delete(top, "chainId") }, "chainId"},
		{"missing message", call, func(top, _ map[string]json.RawMessage) { delete(top, "message") }, "message"},
		{"missing signature", call, func(top, _ map[string]json.RawMessage) { delete(top, "signature") }, "signature"},
		{"missing nonce", call, func(_, m map[string]json.RawMessage) { delete(m, "nonce") }, "message.nonce"},
		{"missing args", call, func(_, m map[string]json.RawMessage) { delete(m, "args") }, "message.args"},
		{"unknown type", call, func(top, _ map[string]json.RawMessage) { top["type"] = raw(`"transfer"`) }, "type"},
		{"type not string", call, func(top, _ map[string]json.RawMessage) { top["type"] = raw(`1`) }, "type"},
		{"message not object", call, func(top, _ map[string]json.RawMessage) { top["message"] = raw(`"x"`) }, "message"},
		{"negative nonce", call, func(_, m map[string]json.RawMessage) { m["nonce"] = raw(`-1`) }, "message.nonce"},
		{"negative nonce string", call, func(_, m map[string]json.RawMessage) { m["nonce"] = raw(`"-1"`) }, "message.nonce"},
		{"fractional nonce", call, func(_, m map[string]json.RawMessage) { m["nonce"] = raw(`1.5`) }, "message.nonce"},
		{"exponent nonce", call, func(_, m map[string]json.RawMessage) { m["nonce"] = raw(`1e3`) }, "message.nonce"},
		{"overflowing gas", call, func(_, m map[string]json.RawMessage) { m["gasLimit"] = raw(`"18446744073709551616"`) }, "message.gasLimit"},
		{"overflowing gas number", call, func(_, m map[string]json.RawMessage) { m["gasLimit"] = raw(`18446744073709551616`) }, "message.gasLimit"},
		{"hex nonce", call, func(_, m map[string]json.RawMessage) { m["nonce"] = raw(`"0x7"`) }, "message.nonce"},
		{"leading zero", call, func(_, m map[string]json.RawMessage) { m["nonce"] = raw(`"07"`) }, "message.nonce"},
		{"empty number", call, func(_, m map[string]json.RawMessage) { m["nonce"] = raw(`""`) }, "message.nonce"},
		{"bool nonce", call, func(_, m map[string]json.RawMessage) { m["nonce"] = raw(`true`) }, "message.nonce"},
		{"null method", call, func(_, m map[string]json.RawMessage) { m["method"] = raw(`null`) }, "message.method"},
		{"number method", call, func(_, m map[string]json.RawMessage) { m["method"] = raw(`5`) }, "message.method"},
		{"negative chain", call, func(top, _ map[string]json.RawMessage) { top["chainId"] = raw(`"-1"`) }, "chainId"},
		{"short address", call, func(_, m map[string]json.RawMessage) { m["contract"] = raw(`"0x00c0"`) }, "message.contract"},
		{"address no 0x", call, func(_, m map[string]json.RawMessage) {
			m["contract"] = raw(`"00000000000000000000000000000000000000c0"`)
		}, "message.contract"},
		{"bad checksum", call, func(_, m map[string]json.RawMessage) {
			m["from"] = raw(`"0x2C7536E3605D9C16a7a3D7b1898e529396a65c24"`)
		}, "message.from"},
		{"bad hex", call, func(_, m map[string]json.RawMessage) { m["args"] = raw(`"0xzz"`) }, "message.args"},
		{"odd hex", call, func(_, m map[string]json.RawMessage) { m["args"] = raw(`"0x7b7"`) }, "message.args"},
		{"args not JSON", call, func(_, m map[string]json.RawMessage) { m["args"] = raw(`"0x7b"`) }, "message.args"},
		{"args not UTF-8", call, func(_, m map[string]json.RawMessage) { m["args"] = raw(`"0x22ff22"`) }, "message.args"},
		{"empty method", call, func(_, m map[string]json.RawMessage) { m["method"] = raw(`""`) }, "message.method"},
		{"lone surrogate method", call, func(_, m map[string]json.RawMessage) { m["method"] = raw(`"a\ud800"`) }, "message.method"},
		{"zero gas", call, func(_, m map[string]json.RawMessage) { m["gasLimit"] = raw(`0`) }, "message.gasLimit"},
		{"short signature", call, func(top, _ map[string]json.RawMessage) { top["signature"] = raw(`"0x1234"`) }, "signature"},
		{"signature bad v", call, func(top, _ map[string]json.RawMessage) {
			s := string(top["signature"])
			top["signature"] = raw(s[:len(s)-3] + `05"`)
		}, "signature"},
		{"code on call", call, func(top, _ map[string]json.RawMessage) { top["code"] = raw(`"0x00"`) }, "code"},
		{"empty code", deploy, func(top, _ map[string]json.RawMessage) { top["code"] = raw(`"0x"`) }, "code"},
		{"short codeHash", deploy, func(_, m map[string]json.RawMessage) { m["codeHash"] = raw(`"0x1234"`) }, "message.codeHash"},
		{"initArgs not JSON", deploy, func(_, m map[string]json.RawMessage) { m["initArgs"] = raw(`"0x41"`) }, "message.initArgs"},
		{"empty name", deploy, func(_, m map[string]json.RawMessage) { m["name"] = raw(`""`) }, "message.name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := mutateJSON(t, tc.tx, tc.f)
			_, err := DecodeJSON(b, Limits{})
			wantErr(t, err, ErrMalformed, tc.field)
		})
	}
}

// Cases encoding/json cannot build: raw bytes, duplicates, broken syntax.
func TestDecodeJSONRawErrors(t *testing.T) {
	good := string(signedCall(t).EncodeJSON())
	method := `"method":"recordPayment"`
	if !strings.Contains(good, method) {
		t.Fatal("fixture changed")
	}
	tests := []struct {
		name, doc, field string
	}{
		{"non-UTF-8 method", strings.Replace(good, method, "\"method\":\"a\xffb\"", 1), "message.method"},
		{"control char in method", strings.Replace(good, method, "\"method\":\"a\x01\"", 1), "message.method"},
		{"duplicate message field", strings.Replace(good, method, method+","+method, 1), "message.method"},
		{"duplicate top field", strings.Replace(good, `{"type":"call",`, `{"type":"call","type":"call",`, 1), "type"},
		{"trailing data", good + "{}", "envelope"},
		{"not an object", `[]`, "envelope"},
		{"empty", ``, "envelope"},
		{"truncated", good[:len(good)/2], ""},
		{"missing comma", strings.Replace(good, `,"chainId"`, ` "chainId"`, 1), "envelope"},
		{"empty object", `{}`, "type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeJSON([]byte(tc.doc), Limits{})
			wantErr(t, err, ErrMalformed, tc.field)
		})
	}
	// Escapes decode to the same method.
	esc := strings.Replace(good, method, `"method":"record\u0050ayment"`, 1)
	if got, err := DecodeJSON([]byte(esc), Limits{}); err != nil || got.Hash() != signedCall(t).Hash() {
		t.Fatalf("escaped method: %v", err)
	}
	pair := strings.Replace(good, method, `"method":"\ud83d\ude00\n\"\\\/"`, 1)
	got, err := DecodeJSON([]byte(pair), Limits{})
	if err != nil || got.Message().(*Call).Method != "😀\n\"\\/" {
		t.Fatalf("escapes: %v", err)
	}
	again, err := DecodeJSON(got.EncodeJSON(), Limits{})
	if err != nil || again.Message().(*Call).Method != "😀\n\"\\/" {
		t.Fatalf("escapes re-encoded: %v %s", err, got.EncodeJSON())
	}
}

func TestDecodeJSONLimits(t *testing.T) {
	deploy := signedDeploy(t)
	b := deploy.EncodeJSON()
	tests := []struct {
		name  string
		lim   Limits
		field string
	}{
		{"envelope", Limits{MaxEnvelopeBytes: len(b) - 1}, "envelope"},
		{"code", Limits{MaxCodeBytes: len(testCode) - 1}, "code"},
		{"initArgs", Limits{MaxArgsBytes: 3}, "message.initArgs"},
		{"name", Limits{MaxNameBytes: 2}, "message.name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeJSON(b, tc.lim)
			wantErr(t, err, ErrTooLarge, tc.field)
		})
	}
	call := signedCall(t).EncodeJSON()
	_, err := DecodeJSON(call, Limits{MaxArgsBytes: 3})
	wantErr(t, err, ErrTooLarge, "message.args")
	_, err = DecodeJSON(call, Limits{MaxNameBytes: 3})
	wantErr(t, err, ErrTooLarge, "message.method")
	// Exactly at the limits is fine.
	if _, err := DecodeJSON(b, Limits{MaxEnvelopeBytes: len(b), MaxCodeBytes: len(testCode)}); err != nil {
		t.Fatal(err)
	}
}
