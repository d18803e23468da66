package tx

import (
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
)

func TestAdoptSender(t *testing.T) {
	signed := signedCall(t) // signing stores the sender
	want := addrOf(testKey(t))
	raw, err := rlp.EncodeToBytes(signed)
	if err != nil {
		t.Fatal(err)
	}
	decode := func() *Tx {
		var d Tx
		if err := rlp.DecodeBytes(raw, &d); err != nil {
			t.Fatal(err)
		}
		return &d
	}
	otherSig := signed.Signature()
	otherSig[5] ^= 1
	forged, err := NewTx(signed.ChainID(), signed.Message(), otherSig, nil)
	if err != nil {
		t.Fatal(err)
	}
	otherChain, err := NewTx(signed.ChainID()+1, signed.Message(), signed.Signature(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		to, from  *Tx
		adopted   bool
		wantAfter bool // to's sender is then want without a recovery of its own
	}{
		{"decoding of the same bytes", decode(), signed, true, true},
		{"from an unrecovered decoding", decode(), decode(), false, false},
		{"another signature", forged, signed, false, false},
		{"another chain", otherChain, signed, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.to.AdoptSender(c.from); got != c.adopted {
				t.Fatalf("AdoptSender = %v, want %v", got, c.adopted)
			}
			s := c.to.sender.Load()
			if c.wantAfter != (s != nil) || (s != nil && *s != want) {
				t.Fatalf("sender after: %v, want set=%v to %s", s, c.wantAfter, want)
			}
		})
	}
}
