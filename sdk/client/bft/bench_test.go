package bft_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/meshledger/meshledger/sdk/client/bft"
	"github.com/meshledger/meshledger/sdk/client/bft/bfttest"
)

// BenchmarkVerifyLightBlock is what a client pays to check one commit
// (decode, structural checks, CometBFT's batch signature verification)
// with n validators of equal power, when the header's set is the trusted
// one.
func BenchmarkVerifyLightBlock(b *testing.B) {
	for _, n := range []int{4, 16} {
		b.Run(fmt.Sprintf("validators=%d", n), func(b *testing.B) {
			powers := make([]int64, n)
			for i := range powers {
				powers[i] = 10
			}
			vals := bfttest.NewValidators("org", powers...)
			c := bfttest.NewChain(b, chainID, bfttest.Epoch{From: 1, Vals: vals})
			raw := bfttest.Encode(b, c.LightBlock(11))
			v, err := bft.New(bft.Config{ChainID: chainID, Validators: vals.Set, Height: 1}, &source{c: c})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				lb, err := bft.DecodeLightBlock(raw)
				if err != nil {
					b.Fatal(err)
				}
				if err := v.VerifyLightBlock(ctx, lb); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
