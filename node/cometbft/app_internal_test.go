package cometbft

import (
	"errors"
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

// TestRemember: the node's own decoded transaction is cached under its
// encoding only when the encoding decodes to it (same hash, signature and
// code); anything else is refused with ErrNotTheEncoding and leaves the
// cache as it was.
func TestRemember(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sign := func(nonce uint64) *tx.Tx {
		c := tx.Call{From: crypto.PubkeyToAddress(key.PublicKey), Nonce: nonce, Contract: common.HexToAddress("0x01"), Method: "m", Args: []byte(`{}`), GasLimit: 1000}
		signed, err := tx.SignCall(c, 7, key)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	encode := func(x *tx.Tx) []byte {
		raw, err := EncodeTx(x)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	own := sign(0)
	sig := own.Signature()
	sig[3] ^= 0xff // same message, another signature
	forged, err := tx.NewTx(7, own.Message(), sig, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		raw  []byte
		err  error
	}{
		{"its encoding", encode(own), nil},
		{"another transaction's", encode(sign(1)), ErrNotTheEncoding},
		{"another signature", encode(forged), ErrNotTheEncoding},
		{"junk", []byte("junk"), ErrNotTheEncoding},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := &App{decoded: lru.NewCache[[32]byte, *tx.Tx](4), limits: tx.DefaultLimits()}
			err := a.Remember(c.raw, own)
			if !errors.Is(err, c.err) {
				t.Fatalf("Remember: %v, want %v", err, c.err)
			}
			if c.err != nil {
				if a.decoded.Len() != 0 {
					t.Fatalf("refused, yet %d cached", a.decoded.Len())
				}
				return
			}
			got, err := a.decode(c.raw)
			if err != nil || got != own {
				t.Fatalf("decode after Remember: %v, the remembered transaction: %v", err, got == own)
			}
		})
	}
}
