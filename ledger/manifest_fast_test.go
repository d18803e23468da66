package ledger

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// boardArgsSchema is the argument schema sdk/build generates for the loan
// contract's board: nested records through $defs and $ref, a nullable
// array, address patterns and int64 ranges.
const boardArgsSchema = `{"$defs":{"HistoricPayment":{"additionalProperties":false,"properties":{"amount":{"maximum":9223372036854775807,"minimum":-9223372036854775808,"type":"integer"},"paid_at":{"maximum":9223372036854775807,"minimum":-9223372036854775808,"type":"integer"}},"required":["amount","paid_at"],"type":"object"}},"$schema":"https://json-schema.org/draft/2020-12/schema","additionalProperties":false,"properties":{"borrower":{"pattern":"^0x[0-9a-fA-F]{40}$","type":"string"},"first_due":{"maximum":9223372036854775807,"minimum":-9223372036854775808,"type":"integer"},"history":{"items":{"$ref":"#/$defs/HistoricPayment"},"type":["array","null"]},"id":{"type":"string"},"originated_at":{"maximum":9223372036854775807,"minimum":-9223372036854775808,"type":"integer"},"owner":{"pattern":"^0x[0-9a-fA-F]{40}$","type":"string"},"pool":{"type":"string"},"pool_contract":{"pattern":"^0x[0-9a-fA-F]{40}$","type":"string"},"portfolio_contract":{"pattern":"^0x[0-9a-fA-F]{40}$","type":"string"},"principal":{"maximum":9223372036854775807,"minimum":-9223372036854775808,"type":"integer"},"rate_bps":{"maximum":9223372036854775807,"minimum":-9223372036854775808,"type":"integer"},"securitizer":{"pattern":"^0x[0-9a-fA-F]{40}$","type":"string"},"term_months":{"maximum":9223372036854775807,"minimum":-9223372036854775808,"type":"integer"}},"required":["id","owner","borrower","principal","rate_bps","term_months","first_due","originated_at"],"type":"object"}`

const boardArgs = `{"id":"L000001","owner":"0x1111111111111111111111111111111111111111",
	"borrower":"0x2222222222222222222222222222222222222222","principal":25000000,"rate_bps":650,
	"term_months":360,"first_due":1767225600000,"originated_at":1764547200000,"pool":"P1",
	"pool_contract":"0x3333333333333333333333333333333333333333",
	"portfolio_contract":"0x4444444444444444444444444444444444444444",
	"securitizer":"0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa",
	"history":[{"amount":158015,"paid_at":1767225600000},{"amount":158015,"paid_at":1769904000000}]}`

func mustArgSchema(t testing.TB, schema string) *argSchema {
	t.Helper()
	sch, err := compileSchema(schemaCompiler(), schemaURL("args", 0), "t", json.RawMessage(schema))
	if err != nil {
		t.Fatal(err)
	}
	return newArgSchema(sch, json.RawMessage(schema))
}

// TestFastSchemaCoversGeneratedManifests: every method of the scenario
// contracts has a fast path, so no generated schema silently falls back
// to the library for valid arguments.
func TestFastSchemaCoversGeneratedManifests(t *testing.T) {
	for _, pkg := range []string{"contracts/loan", "contracts/pool", "contracts/portfolio"} {
		cm := compileManifest(buildtest.Wasm(t, pkg))
		if cm.m == nil || cm.bad != "" {
			t.Fatalf("%s: manifest %q", pkg, cm.bad)
		}
		for name, s := range cm.args {
			if s.fast == nil {
				t.Errorf("%s.%s: no fast path for %s", pkg, name, cm.m.Methods[name].Args)
			}
		}
	}
}

// TestFastSchemaDeclines lists what the fast path must leave to the
// library: schemas using keywords it does not implement, and arguments it
// cannot judge exactly. Declining is always safe; accepting is not.
func TestFastSchemaDeclines(t *testing.T) {
	for _, schema := range []string{
		`{"type":"object","properties":{"a":{"type":"integer"}}}`, // open object
		`{"type":"object","additionalProperties":false,"properties":{"a":{"type":"number"}}}`,
		`{"type":"object","additionalProperties":false,"properties":{"a":{"enum":[1,2]}}}`,
		`{"type":"object","additionalProperties":false,"properties":{"a":{"type":"integer","minimum":0.5}}}`,
		`{"type":"object","additionalProperties":false,"properties":{"a":{"type":"integer","minimum":1e3}}}`,
		`{"type":"object","additionalProperties":false,"properties":{"a":{"type":"integer","maximum":18446744073709551616}}}`,
		`{"type":"array","items":true}`,
		`{"type":"array"}`,
		`{"type":"object","additionalProperties":false,"properties":{"a":{"$ref":"#/$defs/X","type":"object"}},"$defs":{"X":{"type":"integer"}}}`,
		`{"type":"object","additionalProperties":false,"required":["b"],"properties":{"a":{"type":"integer"}}}`,
		`{"type":"string","format":"date"}`,
		`{"type":"integer","multipleOf":2}`,
		`true`,
	} {
		if s := mustArgSchema(t, schema); s.fast != nil {
			t.Errorf("%s: fast path built for a schema it cannot implement exactly", schema)
		}
	}

	s := mustArgSchema(t, boardArgsSchema)
	if s.fast == nil {
		t.Fatal("board: no fast path")
	}
	if !s.fast.valid([]byte(boardArgs)) {
		t.Fatal("board: valid arguments declined")
	}
	for _, args := range []string{
		strings.Replace(boardArgs, `"L000001"`, `"L\u0030"`, 1),             // escape
		strings.Replace(boardArgs, `"P1"`, `"Pé"`, 1),                       // non-ASCII
		strings.Replace(boardArgs, `"rate_bps":650`, `"rate_bps":650.0`, 1), // fraction
		strings.Replace(boardArgs, `"rate_bps":650`, `"rate_bps":6.5e2`, 1), // exponent
		strings.Replace(boardArgs, `"rate_bps":650`, `"rate_bps":1234567890123456789`, 1),
		strings.Replace(boardArgs, `"pool":"P1",`, `"pool":"P1","pool":"P2",`, 1), // repeated
		strings.Replace(boardArgs, `"pool":"P1",`, `"extra":1,`, 1),
		strings.Replace(boardArgs, `"id":"L000001",`, "", 1), // required missing
		strings.Replace(boardArgs, "0x1111111111111111111111111111111111111111", "0x11", 1),
		strings.Replace(boardArgs, `"history":[`, `"history":[1,`, 1),
		boardArgs + " {}",
		boardArgs[:len(boardArgs)-1],
	} {
		if s.fast.valid([]byte(args)) {
			t.Errorf("fast path accepted %s", args)
		}
	}
	nullHistory := `{"id":"a","owner":"0x1111111111111111111111111111111111111111",
		"borrower":"0x2222222222222222222222222222222222222222","principal":-1,"rate_bps":0,
		"term_months":0,"first_due":0,"originated_at":0,"history":null}`
	if !s.fast.valid([]byte(nullHistory)) {
		t.Error("board: null history declined")
	}
}

// fastFuzzSchemas are the schemas FuzzFastArgs checks the fast path on.
var fastFuzzSchemas = []string{
	payArgsSchema,
	boardArgsSchema,
	`{"type":"object","additionalProperties":false,"properties":{"s":{"type":"string","minLength":2,"maxLength":4,"pattern":"^[a-c]+$"},
		"b":{"type":["boolean","null"]},"n":{"type":"integer","minimum":-5,"maximum":5},
		"a":{"type":"array","items":{"type":"array","items":{"type":"integer"}}}}}`,
}

// FuzzFastArgs checks that validation with the fast path gives exactly
// the library's outcome (nil, or the same error), for every argument
// document: the fast path may only ever save time.
func FuzzFastArgs(f *testing.F) {
	schemas := make([]*argSchema, len(fastFuzzSchemas))
	libs := make([]*argSchema, len(fastFuzzSchemas))
	for i, s := range fastFuzzSchemas {
		schemas[i] = mustArgSchema(f, s)
		if schemas[i].fast == nil {
			f.Fatalf("schema %d: no fast path", i)
		}
		libs[i] = &argSchema{lib: schemas[i].lib}
	}
	for _, seed := range append(slicesOf(decodeSeeds), `{"id":"L000123","amount":215000}`, boardArgs,
		`{"s":"ab","b":null,"n":-5,"a":[[1,2],[]]}`, `{"s":"abcd","b":true,"n":6}`, `{"s":"a"}`, `{"n":-0}`,
		`{"n":00}`, `{"a":[[1],[2.0]]}`, `{"s":"abx"}`, `{"id":"x","amount":9223372036854775807}`,
		`{"id":"x","amount":-9223372036854775809}`, `{"id":"","amount":1}`, `{"id":"x","amount":0}`) {
		for i := range schemas {
			f.Add(uint8(i), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, args []byte) {
		i := int(which) % len(schemas)
		got := validateArgs(schemas[i], "m", args)
		want := validateArgs(libs[i], "m", args)
		if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
			t.Fatalf("schema %d, %q: with fast path %v, library %v", i, args, got, want)
		}
		if schemas[i].fast.valid(args) && want != nil {
			t.Fatalf("schema %d, %q: fast path accepted, library says %v", i, args, want)
		}
		var ae *ArgsError
		if got != nil && !errors.As(got, &ae) {
			t.Fatalf("%q: %v is not an ArgsError", args, got)
		}
	})
}

func slicesOf(s []string) []string { return append([]string(nil), s...) }
