package loanlogic

import (
	"encoding/json"
	"testing"
)

// BenchmarkLoanPaymentNative is one loan payment as plain Go over an
// in-memory map, doing the same work as the contract's pay method in Wasm:
// decode the JSON arguments, run Pay (which decodes and re-encodes the
// stored loan), encode the event and the result with the same encoders.
// Compare with BenchmarkLoanPaymentWasm.
func BenchmarkLoanPaymentNative(b *testing.B) {
	s := MapStore{}
	if _, err := Create(s, owner, now, CreateRequest{
		ID: "L1", Borrower: borrower, Servicer: servicer,
		Principal: MaxPrincipal, RateBps: 600, TermMonths: 360, FirstDue: now + 86400,
	}); err != nil {
		b.Fatal(err)
	}
	args := []byte(`{"id":"L1","amount":1000}`)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var req PayRequest
		if !req.DecodeJSONFast(args) {
			if err := json.Unmarshal(args, &req); err != nil {
				b.Fatal(err)
			}
		}
		_, p, err := Pay(s, servicer, now, req)
		if err != nil {
			b.Fatal(err)
		}
		buf = p.AppendJSON(buf[:0]) // the event
		buf = p.AppendJSON(buf[:0]) // the result
	}
}
