package tx

import (
	"bytes"
	"testing"
)

func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	if c := ErrorCode(err); c != "malformed" && c != "too_large" {
		t.Fatalf("decode error %v has code %q", err, c)
	}
}

// checkStable checks that a decoded transaction survives both encodings.
func checkStable(t *testing.T, tx *Tx) {
	t.Helper()
	j := tx.EncodeJSON()
	tj, err := DecodeJSON(j, Limits{})
	if err != nil {
		t.Fatalf("re-decode JSON: %v\n%s", err, j)
	}
	if !txEqual(tx, tj) || !bytes.Equal(tj.EncodeJSON(), j) || tj.Hash() != tx.Hash() {
		t.Fatalf("JSON not stable:\n%s\n%s", j, tj.EncodeJSON())
	}
	r, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := DecodeRLP(r, Limits{})
	if err != nil {
		t.Fatalf("re-decode RLP: %v", err)
	}
	if tr.Hash() != tx.Hash() || tr.Signature() != tx.Signature() {
		t.Fatal("RLP not stable")
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add(signedCall(f).EncodeJSON())
	f.Add(signedDeploy(f).EncodeJSON())
	f.Add(signedUpgrade(f).EncodeJSON())
	f.Add([]byte(`{"type":"call","chainId":1,"message":{"from":"0x0000000000000000000000000000000000000001","nonce":0,"contract":"0x0000000000000000000000000000000000000002","method":"m\u00e9","args":"0x","gasLimit":1},"signature":"0x` +
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" + `00"}`))
	f.Add([]byte(`{"type":"deploy"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tx, err := DecodeJSON(data, Limits{})
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		checkStable(t, tx)
		_, _ = tx.Verify(tx.ChainID()) // must not panic on arbitrary signatures
	})
}

func FuzzDecodeRLP(f *testing.F) {
	for _, tx := range []*Tx{signedCall(f), signedDeploy(f), signedUpgrade(f)} {
		b, _ := tx.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		tx, err := DecodeRLP(data, Limits{})
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		// The block encoding is canonical: re-encoding gives the input.
		b, err := tx.MarshalBinary()
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("re-encoding differs: %x vs %x (%v)", b, data, err)
		}
		checkStable(t, tx)
		_, _ = tx.Verify(tx.ChainID())
	})
}
