package main

import (
	"testing"

	"github.com/meshledger/meshledger/contracts/loan/loanlogic"
)

// BenchmarkLoanPaymentMock is one pay call through the SDK and the mock
// host: the native cost of the whole call path without Wasm.
func BenchmarkLoanPaymentMock(b *testing.B) {
	h := newMockHost()
	h.SetCaller(owner)
	args := validCreate()
	args["principal"] = loanlogic.MaxPrincipal
	if res := h.Call("create", args); !res.OK {
		b.Fatal(res.Message)
	}
	h.SetCaller(servicer)
	pay := []byte(`{"id":"L-1","amount":1000}`)
	b.ReportAllocs()
	for b.Loop() {
		if res := h.Call("pay", pay); !res.OK {
			b.Fatal(res.Message)
		}
	}
}
