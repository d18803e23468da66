package tx

import (
	"crypto/ecdsa"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

const testChainID = 1337

// testKeyHex is the well-known example key also used by the documented
// test vector.
const testKeyHex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"

func testKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.HexToECDSA(testKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func otherKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("meshledger other key")))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func addrOf(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

var testCode = []byte("\x00asm\x01\x00\x00\x00")

func sampleCall(from common.Address) Call {
	return Call{
		From:     from,
		Nonce:    7,
		Contract: common.HexToAddress("0x00000000000000000000000000000000000000c0"),
		Method:   "recordPayment",
		Args:     []byte(`{"loan":"L-1","cents":125000}`),
		GasLimit: 1_000_000,
	}
}

func sampleDeploy(from common.Address) Deploy {
	return Deploy{
		From:     from,
		Nonce:    0,
		Name:     "loans",
		InitArgs: []byte(`{"owner":"bank"}`),
		GasLimit: 5_000_000,
	}
}

func sampleUpgrade(from common.Address) Upgrade {
	return Upgrade{
		From:        from,
		Nonce:       9,
		Contract:    common.HexToAddress("0x00000000000000000000000000000000000000c0"),
		MigrateArgs: []byte(`{"from":1}`),
		GasLimit:    3_000_000,
	}
}

func signedCall(t testing.TB) *Tx {
	t.Helper()
	k := testKey(t)
	tx, err := SignCall(sampleCall(addrOf(k)), testChainID, k)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func signedDeploy(t testing.TB) *Tx {
	t.Helper()
	k := testKey(t)
	tx, err := SignDeploy(sampleDeploy(addrOf(k)), testCode, testChainID, k)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func signedUpgrade(t testing.TB) *Tx {
	t.Helper()
	k := testKey(t)
	tx, err := SignUpgrade(sampleUpgrade(addrOf(k)), testCode, testChainID, k)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// checkSignCodeHash checks a code-carrying signer: code other than the
// set hash names is refused, and signing by hash alone carries no code
// and verifies. sign sets the message's code hash and signs with code.
func checkSignCodeHash(t *testing.T, sign func(codeHash common.Hash, code []byte) (*Tx, error)) {
	t.Helper()
	_, err := sign(common.Hash{1}, testCode)
	wantErr(t, err, ErrCodeHashMismatch, "")

	// By hash alone: no code travels; the ledger already stores it.
	tx, err := sign(crypto.Keccak256Hash(testCode), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tx.Code() != nil {
		t.Fatal("code should be absent")
	}
	if _, err := tx.Verify(testChainID); err != nil {
		t.Fatal(err)
	}
}

// wantErr checks err against a sentinel and, for field errors, the field.
func wantErr(t *testing.T, err, sentinel error, field string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want %v", err, sentinel)
	}
	if field == "" {
		return
	}
	var fe *FieldError
	var le *LimitError
	switch {
	case errors.As(err, &fe):
		if fe.Field != field {
			t.Fatalf("field = %q, want %q (%v)", fe.Field, field, err)
		}
	case errors.As(err, &le):
		if le.Field != field {
			t.Fatalf("field = %q, want %q (%v)", le.Field, field, err)
		}
	default:
		t.Fatalf("error %v names no field, want %q", err, field)
	}
}

// txEqual compares everything a Tx carries.
func txEqual(a, b *Tx) bool {
	if a.ChainID() != b.ChainID() || a.Signature() != b.Signature() || a.Type() != b.Type() ||
		string(a.Code()) != string(b.Code()) || (a.Code() == nil) != (b.Code() == nil) {
		return false
	}
	fa, fb := a.Message().Fields(), b.Message().Fields()
	for i := range fa {
		var va, vb []byte
		va = appendFieldJSON(va, fa[i])
		vb = appendFieldJSON(vb, fb[i])
		if string(va) != string(vb) {
			return false
		}
	}
	return true
}
