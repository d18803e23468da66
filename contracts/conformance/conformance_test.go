package main

import (
	"testing"

	"github.com/meshledger/meshledger/sdk/contract/contracttest"
)

// TestConformanceMock runs the host conformance suite on the mock host.
func TestConformanceMock(t *testing.T) {
	contracttest.RunConformance(t, func(t *testing.T) contracttest.Invoker {
		h := contracttest.New()
		h.SetHeight(42)
		h.SetTxHash([32]byte{1, 2, 3})
		return h.Invoker()
	})
}
