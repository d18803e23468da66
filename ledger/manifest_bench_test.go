package ledger

import (
	"encoding/json"
	"testing"
)

// BenchmarkSchemaValidate is what validation adds to a loan payment, at
// admission and again at execution: its arguments checked against the
// compiled schema of pay (depth bound, decoding, validation).
func BenchmarkSchemaValidate(b *testing.B) {
	sch, err := compileSchema(schemaCompiler(), schemaURL("args", 0), "methods.pay.args", json.RawMessage(payArgsSchema))
	if err != nil {
		b.Fatal(err)
	}
	args := []byte(`{"id":"L000123","amount":215000}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := validateArgs(sch, "pay", args); err != nil {
			b.Fatal(err)
		}
	}
}
