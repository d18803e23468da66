package cometbft

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/lru"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/tx"
)

// TestDecodeCache: the same bytes decode to the same transaction, whose
// recovered sender is kept; other bytes decode afresh; refusals are not
// kept.
func TestDecodeCache(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sign := func(nonce uint64) []byte {
		c := tx.Call{From: crypto.PubkeyToAddress(key.PublicKey), Nonce: nonce, Contract: common.HexToAddress("0x01"), Method: "m", Args: []byte(`{}`), GasLimit: 1000}
		signed, err := tx.SignCall(c, 7, key)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := EncodeTx(signed)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	a := &App{decoded: lru.NewCache[[32]byte, *tx.Tx](4), limits: tx.DefaultLimits()}
	first, err := a.decode(sign(0))
	if err != nil {
		t.Fatal(err)
	}
	again, err := a.decode(sign(0))
	if err != nil || again != first {
		t.Fatalf("same bytes decoded to another transaction (%v)", err)
	}
	if other, _ := a.decode(sign(1)); other == first {
		t.Fatal("other bytes decoded to the cached transaction")
	}
	if _, err := a.decode([]byte("junk")); err == nil || a.decoded.Len() != 2 {
		t.Fatalf("junk: %v, %d cached", err, a.decoded.Len())
	}
}
