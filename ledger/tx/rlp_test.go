package tx

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

func TestRLPRoundTrip(t *testing.T) {
	for _, tx := range []*Tx{signedCall(t), signedDeploy(t), signedUpgrade(t)} {
		t.Run(tx.Type(), func(t *testing.T) {
			b, err := tx.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeRLP(b, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Code() != nil {
				t.Fatal("block encoding must not carry code")
			}
			noCode, _ := tx.WithCode(nil)
			if !txEqual(noCode, got) || got.Hash() != tx.Hash() {
				t.Fatal("round trip differs")
			}
			again, _ := got.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Fatal("encoding not stable")
			}
			// Via the rlp package's Encoder/Decoder interfaces.
			viaPkg, err := rlp.EncodeToBytes(tx)
			if err != nil || !bytes.Equal(viaPkg, b) {
				t.Fatalf("rlp.EncodeToBytes: %v", err)
			}
			var dec Tx
			if err := rlp.DecodeBytes(b, &dec); err != nil || dec.Hash() != tx.Hash() {
				t.Fatalf("rlp.DecodeBytes: %v", err)
			}
			if _, err := got.Verify(testChainID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// rlpOf builds an RLP list from parts, for malformed encodings.
func rlpOf(t *testing.T, parts ...any) []byte {
	t.Helper()
	b, err := rlp.EncodeToBytes(parts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeRLPErrors(t *testing.T) {
	call := signedCall(t)
	c := call.Message().(*Call)
	sig := call.Signature()
	fields := func(mod func(f []any) []any) []any {
		f := []any{c.From, c.Nonce, c.Contract, c.Method, c.Args, c.GasLimit}
		return mod(f)
	}
	same := func(f []any) []any { return f }
	sig0 := sig
	sig0[64] -= 27
	good, _ := call.MarshalBinary()
	tests := []struct {
		name  string
		data  []byte
		field string
	}{
		{"not a list", rlpOf(t)[:0], "envelope"},
		{"byte string", []byte{0x83, 'a', 'b', 'c'}, "envelope"},
		{"trailing data", append(append([]byte{}, good...), 0x80), "envelope"},
		{"extra element", rlpOf(t, "call", uint64(testChainID), fields(same), sig[:], "x"), "envelope"},
		{"unknown type", rlpOf(t, "transfer", uint64(testChainID), fields(same), sig[:]), "type"},
		{"type is a list", rlpOf(t, []any{}, uint64(testChainID), fields(same), sig[:]), "type"},
		{"chain id too big", rlpOf(t, "call", make([]byte, 9), fields(same), sig[:]), "chainId"},
		{"message not a list", rlpOf(t, "call", uint64(testChainID), "x", sig[:]), "message"},
		{"too few fields", rlpOf(t, "call", uint64(testChainID), fields(func(f []any) []any { return f[:5] }), sig[:]), "message.gasLimit"},
		{"too many fields", rlpOf(t, "call", uint64(testChainID), fields(func(f []any) []any { return append(f, "x") }), sig[:]), "message"},
		{"short address", rlpOf(t, "call", uint64(testChainID), fields(func(f []any) []any { f[0] = []byte{1, 2}; return f }), sig[:]), "message.from"},
		{"non-canonical nonce", rlpOf(t, "call", uint64(testChainID), fields(func(f []any) []any { f[1] = []byte{0, 7}; return f }), sig[:]), "message.nonce"},
		{"non-UTF-8 method", rlpOf(t, "call", uint64(testChainID), fields(func(f []any) []any { f[3] = []byte{0xff, 0xfe}; return f }), sig[:]), "message.method"},
		{"args not JSON", rlpOf(t, "call", uint64(testChainID), fields(func(f []any) []any { f[4] = []byte("{"); return f }), sig[:]), "message.args"},
		{"zero gas", rlpOf(t, "call", uint64(testChainID), fields(func(f []any) []any { f[5] = uint64(0); return f }), sig[:]), "message.gasLimit"},
		{"short signature", rlpOf(t, "call", uint64(testChainID), fields(same), sig[:64]), "signature"},
		{"v as 0/1 not canonical", rlpOf(t, "call", uint64(testChainID), fields(same), sig0[:]), "signature"},
		{"missing signature", rlpOf(t, "call", uint64(testChainID), fields(same)), "signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRLP(tc.data, Limits{})
			wantErr(t, err, ErrMalformed, tc.field)
		})
	}
	// The fixture itself decodes, so the cases above fail for their reason.
	if _, err := DecodeRLP(rlpOf(t, "call", uint64(testChainID), fields(same), sig[:]), Limits{}); err != nil {
		t.Fatal(err)
	}
	_, err := DecodeRLP(good, Limits{MaxEnvelopeBytes: len(good) - 1})
	wantErr(t, err, ErrTooLarge, "envelope")
	_, err = DecodeRLP(good, Limits{MaxArgsBytes: 2})
	wantErr(t, err, ErrTooLarge, "message.args")
}

// TestEmptyBytesOneForm: a bytes field left empty is held in one form
// (nil) by a transaction built in memory with nil or []byte{} and by its
// JSON and RLP decodings: executors write such fields into state (a deploy's
// initArgs in its approval proposal), so two forms of one signed
// transaction would make two nodes disagree.
func TestEmptyBytesOneForm(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	code := []byte("\x00asm\x01\x00\x00\x00")
	for _, empty := range [][]byte{nil, {}} {
		call, err := SignCall(Call{From: from, Contract: common.HexToAddress("0x01"), Method: "m", Args: empty, GasLimit: 1}, 7, key)
		if err != nil {
			t.Fatal(err)
		}
		deploy, err := SignDeploy(Deploy{From: from, CodeHash: crypto.Keccak256Hash(code), Name: "n", InitArgs: empty, GasLimit: 1}, code, 7, key)
		if err != nil {
			t.Fatal(err)
		}
		upgrade, err := SignUpgrade(Upgrade{From: from, Contract: common.HexToAddress("0x02"), MigrateArgs: empty, GasLimit: 1}, code, 7, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []*Tx{call, deploy, upgrade} {
			fromJSON, err := DecodeJSON(x.EncodeJSON(), Limits{})
			if err != nil {
				t.Fatalf("%s: json: %v", x.Type(), err)
			}
			body, err := x.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			fromRLP, err := DecodeRLP(body, Limits{})
			if err != nil {
				t.Fatalf("%s: rlp: %v", x.Type(), err)
			}
			if fromJSON.Hash() != x.Hash() || fromRLP.Hash() != x.Hash() {
				t.Fatalf("%s: hashes %s (json) %s (rlp), signed %s", x.Type(), fromJSON.Hash(), fromRLP.Hash(), x.Hash())
			}
			if !reflect.DeepEqual(fromJSON.Message(), fromRLP.Message()) || !reflect.DeepEqual(x.Message(), fromRLP.Message()) {
				t.Errorf("%s built with %#v: held as %#v, json decodes to %#v, rlp to %#v", x.Type(), empty, x.Message(), fromJSON.Message(), fromRLP.Message())
			}
		}
	}
}
