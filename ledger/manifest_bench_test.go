package ledger

import (
	"testing"
)

// BenchmarkSchemaValidate is what validation adds to a loan payment, at
// admission and again at execution: its arguments checked against the
// compiled schema of pay. "fast" is the path every node takes (the
// generated-keyword fast path, the library only when it is unsure);
// "library" is the library alone (depth bound, decoding, validation), for
// comparison; "board" is the loan contract's largest argument document.
func BenchmarkSchemaValidate(b *testing.B) {
	pay := []byte(`{"id":"L000123","amount":215000}`)
	for _, bc := range []struct {
		name, schema string
		args         []byte
		libOnly      bool
	}{
		{"fast", payArgsSchema, pay, false},
		{"library", payArgsSchema, pay, true},
		{"board/fast", boardArgsSchema, []byte(boardArgs), false},
		{"board/library", boardArgsSchema, []byte(boardArgs), true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sch := mustArgSchema(b, bc.schema)
			if sch.fast == nil {
				b.Fatal("schema has no fast path")
			}
			if bc.libOnly {
				sch.fast = nil
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := validateArgs(sch, "pay", bc.args); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
