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
	// The same transaction decoded from its bytes, its sender never
	// recovered: there is nothing to carry over.
	unrecovered, err := DecodeTx(encode(own), tx.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		tx   *tx.Tx
		raw  []byte
		err  error
	}{
		{"its encoding", own, encode(own), nil},
		{"sender not recovered", unrecovered, encode(own), ErrNotTheEncoding},
		{"another transaction's", own, encode(sign(1)), ErrNotTheEncoding},
		{"another signature", own, encode(forged), ErrNotTheEncoding},
		{"junk", own, []byte("junk"), ErrNotTheEncoding},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := &App{decoded: lru.NewCache[[32]byte, *tx.Tx](4), limits: tx.DefaultLimits()}
			err := a.Remember(c.raw, c.tx)
			if !errors.Is(err, c.err) {
				t.Fatalf("Remember: %v, want %v", err, c.err)
			}
			if c.err != nil {
				if a.decoded.Len() != 0 {
					t.Fatalf("refused, yet %d cached", a.decoded.Len())
				}
				return
			}
			// The cache holds the decoding of the bytes, never the
			// caller's object, with the caller's recovered sender.
			got, err := a.decode(c.raw)
			if err != nil || got == c.tx || got.Hash() != c.tx.Hash() {
				t.Fatalf("decode after Remember: %v, the caller's object: %v", err, got == c.tx)
			}
			if s, err := got.Recover(); err != nil || s != crypto.PubkeyToAddress(key.PublicKey) {
				t.Fatalf("cached sender %s, %v", s, err)
			}
		})
	}
}
