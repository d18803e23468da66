package contracttest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

const absent = `{"found":false,"value":""}`

func found(v string) string { return fmt.Sprintf(`{"found":true,"value":%q}`, v) }

func entries(kv ...string) string {
	parts := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, fmt.Sprintf(`{"key":%q,"value":%q}`, kv[i], kv[i+1]))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func list(items ...string) string { return "[" + strings.Join(items, ",") + "]" }

var conformanceCases = []conformanceCase{
	{"SetThenGetAcrossCalls", func(c conformance) {
		o := c.ok(script{Ops: []op{set("b", "2"), set("a", "1")}}, `[null,null]`)
		c.writes(o, put("a", "1"), put("b", "2"))
		c.state(map[string]*string{"a": str("1"), "b": str("2"), "c": nil})
	}},
	{"AbsentKey", func(c conformance) {
		o := c.ok(script{Ops: []op{get("x"), has("x")}}, list(absent, "false"))
		c.writes(o)
	}},
	{"EmptyValueIsAValue", func(c conformance) {
		o := c.ok(script{Ops: []op{set("e", ""), get("e"), has("e")}}, list("null", found(""), "true"))
		c.writes(o, put("e", ""))
		c.ok(script{Ops: []op{get("e"), has("e")}}, list(found(""), "true"))
	}},
	{"OverwriteLastWriteWins", func(c conformance) {
		o := c.ok(script{Ops: []op{set("k", "1"), set("k", "2"), get("k")}}, list("null", "null", found("2")))
		c.writes(o, put("k", "2"))
		o = c.ok(script{Ops: []op{get("k"), set("k", "3")}}, list(found("2"), "null"))
		c.writes(o, put("k", "3"))
		c.state(map[string]*string{"k": str("3")})
	}},
	{"Delete", func(c conformance) {
		c.ok(script{Ops: []op{set("a", "1"), set("b", "2")}}, "")
		o := c.ok(script{Ops: []op{del("a"), get("a"), has("a"), has("b")}}, list("null", absent, "false", "true"))
		c.writes(o, gone("a"))
		c.state(map[string]*string{"a": nil, "b": str("2")})
		// A set then delete leaves a delete; a delete then set, a value.
		o = c.ok(script{Ops: []op{set("c", "1"), del("c"), get("c"), del("b"), set("b", "9")}}, "")
		c.writes(o, put("b", "9"), gone("c"))
		c.state(map[string]*string{"b": str("9"), "c": nil})
	}},
	{"WritesAscendingByKey", func(c conformance) {
		o := c.ok(script{Ops: []op{set("c", "3"), set("a", "1"), set("b", "2"), set("a2", "x"), set("B", "0")}}, "")
		c.writes(o, put("B", "0"), put("a", "1"), put("a2", "x"), put("b", "2"), put("c", "3"))
	}},
	{"Scan", func(c conformance) {
		c.ok(script{Ops: []op{set("p/c", "3"), set("p", "0"), set("q/a", "4"), set("p/a", "1"), set("p/b", "2")}}, "")
		c.ok(script{Ops: []op{
			scan("p/", "", 0),
			scan("p/", "p/b", 0),
			scan("p/", "", 2),
			scan("p/", "a", 0),
			scan("p/", "p/z", 0),
			scan("", "", 0),
			scan("p", "", 0),
			scan("p/", "p/bb", 1),
			scan("r", "", 0),
		}}, list(
			entries("p/a", "1", "p/b", "2", "p/c", "3"),
			entries("p/b", "2", "p/c", "3"),
			entries("p/a", "1", "p/b", "2"),
			entries("p/a", "1", "p/b", "2", "p/c", "3"),
			entries(),
			entries("p", "0", "p/a", "1", "p/b", "2", "p/c", "3", "q/a", "4"),
			entries("p", "0", "p/a", "1", "p/b", "2", "p/c", "3"),
			entries("p/c", "3"),
			entries(),
		))
	}},
	{"ScanSeesOwnWrites", func(c conformance) {
		c.ok(script{Ops: []op{set("p/a", "1"), set("p/b", "2"), set("p/c", "3")}}, "")
		c.ok(script{Ops: []op{del("p/b"), set("p/bb", "x"), set("p/a", "y"), set("p/", "e"), scan("p/", "", 0)}},
			list("null", "null", "null", "null", entries("p/", "e", "p/a", "y", "p/bb", "x", "p/c", "3")))
	}},
	{"ScanCappedAtMaxScanEntries", func(c conformance) {
		c.ok(script{Ops: []op{{Op: "fill", Prefix: "s/", Count: MaxScanEntries + 1}}}, "")
		kv := make([]string, 0, 2*MaxScanEntries)
		for i := range MaxScanEntries {
			kv = append(kv, fmt.Sprintf("s/%04d", i), "v")
		}
		want := list(entries(kv...))
		c.ok(script{Ops: []op{scan("s/", "", 0)}}, want)
		c.ok(script{Ops: []op{scan("s/", "", MaxScanEntries+1)}}, want)
		c.ok(script{Ops: []op{scan("s/", "s/0999", 0)}}, list(entries("s/0999", "v", "s/1000", "v")))
	}},
	{"QueryIsReadOnly", func(c conformance) {
		q, ok := c.inv.(QueryInvoker)
		if !ok {
			c.t.Skip("the invoker runs no queries")
		}
		c.ok(script{Ops: []op{set("a", "1")}}, "")
		query := func(s script) Outcome {
			c.t.Helper()
			raw, err := json.Marshal(s)
			if err != nil {
				c.t.Fatal(err)
			}
			return q.Query(alice, "run", raw)
		}
		o := query(script{Ops: []op{get("a"), has("b"), scan("", "", 0)}})
		if want := list(found("1"), "false", entries("a", "1")); o.Code != CodeOK || string(o.Return) != want || len(o.Writes) != 0 {
			c.t.Fatalf("query: %s %q %s, writes %v; want ok %s", o.Code, o.Message, o.Return, fmtWrites(o.Writes), want)
		}
		c.failed(query(script{Ops: []op{set("b", "2")}}), CodeReadOnly)
		c.failed(query(script{Ops: []op{del("a")}}), CodeReadOnly)
		c.failed(query(script{Ops: []op{emit("E", `{}`), set("a", "2")}}), CodeReadOnly)
		c.state(map[string]*string{"a": str("1"), "b": nil})
	}},
	{"EventsInOrder", func(c conformance) {
		o := c.ok(script{Ops: []op{emit("A", `{"x": 1}`), emit("B", `[1, 2]`), emit("A", `"s"`)}}, "")
		want := []Event{{Name: "A", Data: []byte(`{"x":1}`)}, {Name: "B", Data: []byte(`[1,2]`)}, {Name: "A", Data: []byte(`"s"`)}}
		if len(o.Events) != len(want) {
			c.t.Fatalf("events: got %d, want %d", len(o.Events), len(want))
		}
		for i, e := range want {
			if o.Events[i].Name != e.Name || string(o.Events[i].Data) != string(e.Data) {
				c.t.Fatalf("event %d: got %s %s, want %s %s", i, o.Events[i].Name, o.Events[i].Data, e.Name, e.Data)
			}
		}
	}},
	{"ErrorDiscardsWritesAndEvents", func(c conformance) {
		c.ok(script{Ops: []op{set("a", "1")}}, "")
		o := c.fails(script{Ops: []op{set("a", "2"), set("b", "3"), emit("E", `{}`)}, Then: "error", Message: "no way"}, CodeError)
		if o.Message != "no way" {
			c.t.Fatalf("message %q, want %q", o.Message, "no way")
		}
		c.state(map[string]*string{"a": str("1"), "b": nil})
	}},
	{"PanicDiscardsWritesAndEvents", func(c conformance) {
		c.ok(script{Ops: []op{set("a", "1")}}, "")
		o := c.fails(script{Ops: []op{set("a", "2"), emit("E", `{}`)}, Then: "panic", Message: "boom"}, CodePanic)
		if o.Message != "boom" {
			c.t.Fatalf("message %q, want %q", o.Message, "boom")
		}
		c.state(map[string]*string{"a": str("1")})
	}},
	{"AbortDiscardsWritesAndEvents", func(c conformance) {
		c.ok(script{Ops: []op{set("a", "1")}}, "")
		o := c.fails(script{Ops: []op{set("a", "2"), emit("E", `{}`)}, Then: "abort", Message: "stop here"}, CodeAborted)
		if o.Message != "stop here" {
			c.t.Fatalf("message %q, want %q", o.Message, "stop here")
		}
		c.state(map[string]*string{"a": str("1")})
	}},
	{"UnknownMethod", func(c conformance) {
		o := c.call("no.such", nil)
		c.failed(o, CodeUnknownMethod)
		if !strings.Contains(o.Message, "no.such") {
			c.t.Fatalf("message %q does not name the method", o.Message)
		}
	}},
	{"BadArgs", func(c conformance) {
		for _, args := range []string{`{`, `{"n":"x"}`, `{"n":1,"extra":2}`, `[1]`, `{"n":1} {"n":2}`, `"n"`} {
			c.failed(c.call("typed", []byte(args)), CodeBadArgs)
		}
		for args, want := range map[string]string{
			`{"n":7,"s":"x"}`: `{"n":7,"s":"x"}`,
			``:                `{"n":0,"s":""}`,
			`null`:            `{"n":0,"s":""}`,
		} {
			o := c.call("typed", []byte(args))
			if o.Code != CodeOK || string(o.Return) != want {
				c.t.Fatalf("typed(%s): %s %s %s, want ok %s", args, o.Code, o.Message, o.Return, want)
			}
		}
	}},
	{"ReservedMethods", func(c conformance) {
		o := c.call("init", []byte(`{"anything":1}`))
		if o.Code != CodeOK || len(o.Return) != 0 || len(o.Writes) != 0 {
			c.t.Fatalf("unregistered init: %s %s return %q", o.Code, o.Message, o.Return)
		}
		o = c.call("mesh.methods", nil)
		if o.Code != CodeOK || string(o.Return) != `["env","mesh.canRead","run","typed"]` {
			c.t.Fatalf("mesh.methods: %s %s %s", o.Code, o.Message, o.Return)
		}
	}},
	{"Caller", func(c conformance) {
		for _, who := range [][20]byte{alice, bob} {
			o := c.inv.Call(who, "env", nil)
			var e envResult
			decodeOK(c, o, &e)
			if want := fmt.Sprintf("0x%x", who); e.Caller != want {
				c.t.Fatalf("caller %s, want %s", e.Caller, want)
			}
		}
	}},
	{"BlockContext", func(c conformance) {
		var e1, e2 envResult
		decodeOK(c, c.call("env", nil), &e1)
		decodeOK(c, c.call("env", nil), &e2)
		if e1.Self != e2.Self || len(e1.Self) != 42 {
			c.t.Fatalf("self %q then %q", e1.Self, e2.Self)
		}
		if e1.Time != floorDiv(e1.TimeMs, 1000) {
			c.t.Fatalf("time %d is not floor(time_ms %d / 1000)", e1.Time, e1.TimeMs)
		}
		if len(e1.TxHash) != 66 || !e1.HasGas {
			c.t.Fatalf("tx hash %q, has gas %v", e1.TxHash, e1.HasGas)
		}
		ei, ok := c.inv.(EnvInvoker)
		if !ok {
			return
		}
		env := ei.Env()
		want := envResult{
			Caller: e1.Caller, Self: fmt.Sprintf("0x%x", env.Self), Height: env.Height,
			Time: floorDiv(env.TimeMs, 1000), TimeMs: env.TimeMs, TxHash: fmt.Sprintf("0x%x", env.TxHash), HasGas: true,
		}
		if e1 != want {
			c.t.Fatalf("env %+v, want %+v", e1, want)
		}
	}},
	{"KeySizeLimit", func(c conformance) {
		o := c.ok(script{Ops: []op{{Op: "set", KeySize: MaxKeySize, Value: "v"}}}, "")
		c.writes(o, put(strings.Repeat("k", MaxKeySize), "v"))
		c.fails(script{Ops: []op{{Op: "set", KeySize: MaxKeySize + 1, Value: "v"}}}, CodeBadKey)
	}},
	{"ValueSizeLimit", func(c conformance) {
		o := c.ok(script{Ops: []op{{Op: "set", Key: "v", ValueSize: MaxValueSize}}}, "")
		c.writes(o, put("v", strings.Repeat("v", MaxValueSize)))
		c.fails(script{Ops: []op{{Op: "set", Key: "w", ValueSize: MaxValueSize + 1}}}, CodeValueTooLarge)
	}},
	{"ReturnSizeLimit", func(c conformance) {
		o := c.ok(script{ReturnSize: MaxReturnSize}, "")
		if len(o.Return) != MaxReturnSize {
			c.t.Fatalf("return of %d bytes, want %d", len(o.Return), MaxReturnSize)
		}
		c.fails(script{Ops: []op{set("a", "1")}, ReturnSize: MaxReturnSize + 1}, CodeReturnTooLarge)
	}},
	{"EventCountLimit", func(c conformance) {
		o := c.ok(script{Ops: []op{{Op: "emits", Name: "e", Count: MaxEvents, ValueSize: 4}}}, "")
		if len(o.Events) != MaxEvents {
			c.t.Fatalf("%d events, want %d", len(o.Events), MaxEvents)
		}
		c.fails(script{Ops: []op{set("a", "1"), {Op: "emits", Name: "e", Count: MaxEvents + 1, ValueSize: 4}}}, CodeEventLimit)
	}},
	{"EventSizeLimit", func(c conformance) {
		o := c.ok(script{Ops: []op{{Op: "emits", Name: "e", Count: 1, ValueSize: 60 << 10}}}, "")
		if len(o.Events) != 1 || len(o.Events[0].Data) != 60<<10 {
			c.t.Fatalf("events %d", len(o.Events))
		}
		c.fails(script{Ops: []op{set("a", "1"), {Op: "emits", Name: "e", Count: 1, ValueSize: MaxEventBytes + 1}}}, CodeEventLimit)
	}},
}

type envResult struct {
	Caller string `json:"caller"`
	Self   string `json:"self"`
	Height uint64 `json:"height"`
	Time   int64  `json:"time"`
	TimeMs int64  `json:"time_ms"`
	TxHash string `json:"tx_hash"`
	HasGas bool   `json:"has_gas"`
}

func decodeOK(c conformance, o Outcome, v any) {
	c.t.Helper()
	if o.Code != CodeOK {
		c.t.Fatalf("code %q (%s), want ok", o.Code, o.Message)
	}
	if err := json.Unmarshal(o.Return, v); err != nil {
		c.t.Fatalf("decode %s: %v", o.Return, err)
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
