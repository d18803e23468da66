package tx

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

func TestSignVerify(t *testing.T) {
	k := testKey(t)
	for _, tx := range []*Tx{signedCall(t), signedDeploy(t), signedUpgrade(t)} {
		t.Run(tx.Type(), func(t *testing.T) {
			// Rebuild from parts so nothing is cached.
			fresh, err := NewTx(tx.ChainID(), tx.Message(), tx.Signature(), tx.Code())
			if err != nil {
				t.Fatal(err)
			}
			got, err := fresh.Verify(testChainID)
			if err != nil {
				t.Fatal(err)
			}
			if got != addrOf(k) {
				t.Fatalf("sender = %s, want %s", got, addrOf(k))
			}
			if v := fresh.Signature()[64]; v != 27 && v != 28 {
				t.Fatalf("v = %d", v)
			}
			if fresh.Hash() != Digest(tx.Message(), testChainID) {
				t.Fatal("hash is not the digest")
			}
		})
	}
}

// withSig returns tx with its signature replaced, nothing cached.
func withSig(t *testing.T, tx *Tx, sig Signature) *Tx {
	t.Helper()
	n, err := NewTx(tx.ChainID(), tx.Message(), sig, tx.Code())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestVerifyErrors(t *testing.T) {
	good := signedCall(t)
	n := new(big.Int).SetBytes(secp256k1N)

	highS := good.Signature()
	s := new(big.Int).SetBytes(highS[32:64])
	new(big.Int).Sub(n, s).FillBytes(highS[32:64])
	highS[64] = 27 + 28 - highS[64] // n-s pairs with the other recovery id: a valid, malleated signature

	zeroR := good.Signature()
	copy(zeroR[0:32], make([]byte, 32))
	bigS := good.Signature()
	copy(bigS[32:64], secp256k1N)
	badV := good.Signature()
	badV[64] = 29
	// Sign refuses a key other than from's; a valid signature by another
	// key over the same message must then fail verification.
	_, err := Sign(good.Message(), testChainID, otherKey(t))
	wantErr(t, err, ErrSenderMismatch, "")
	oh := good.Hash()
	raw, err := crypto.Sign(oh[:], otherKey(t))
	if err != nil {
		t.Fatal(err)
	}
	otherSig, err := ParseSignature(raw)
	if err != nil {
		t.Fatal(err)
	}

	wrongCode := signedDeploy(t)
	wrongCode, err = wrongCode.WithCode([]byte("other code"))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		tx      *Tx
		chainID uint64
		want    error
	}{
		{"high s", withSig(t, good, highS), testChainID, ErrHighS},
		{"zero r", withSig(t, good, zeroR), testChainID, ErrBadSignature},
		{"s not below n", withSig(t, good, bigS), testChainID, ErrBadSignature},
		{"bad v", withSig(t, good, badV), testChainID, ErrBadSignature},
		{"other signer", withSig(t, good, otherSig), testChainID, ErrSenderMismatch},
		{"wrong chain", good, testChainID + 1, ErrWrongChain},
		{"code hash mismatch", wrongCode, testChainID, ErrCodeHashMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.tx.Verify(tc.chainID)
			wantErr(t, err, tc.want, "")
		})
	}

	// The malleated signature really is valid ECDSA: only the low-s rule
	// rejects it.
	raw2 := highS
	raw2[64] -= 27
	pub, err := crypto.Ecrecover(oh[:], raw2[:])
	if err != nil || common.BytesToAddress(crypto.Keccak256(pub[1:])[12:]) != addrOf(testKey(t)) {
		t.Fatalf("flipped signature should recover the signer: %v", err)
	}
}

func TestParseSignatureV(t *testing.T) {
	good := signedCall(t).Signature()
	tests := []struct {
		v     byte
		wantV byte
		ok    bool
	}{
		{27, 27, true}, {28, 28, true}, {0, 27, true}, {1, 28, true},
		{2, 0, false}, {26, 0, false}, {29, 0, false}, {35, 0, false},
	}
	for _, tc := range tests {
		raw := good
		raw[64] = tc.v
		sig, err := ParseSignature(raw[:])
		if !tc.ok {
			wantErr(t, err, ErrMalformed, "signature")
			continue
		}
		if err != nil || sig[64] != tc.wantV {
			t.Fatalf("v=%d: got %d, %v", tc.v, sig[64], err)
		}
	}
	// Both forms of the real signature verify.
	for _, v := range []byte{0, 1, 27, 28} {
		raw := good
		if good[64] == 28 {
			v = map[byte]byte{0: 1, 1: 1, 27: 28, 28: 28}[v]
		} else {
			v = map[byte]byte{0: 0, 1: 0, 27: 27, 28: 27}[v]
		}
		raw[64] = v
		sig, err := ParseSignature(raw[:])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := withSig(t, signedCall(t), sig).Verify(testChainID); err != nil {
			t.Fatalf("v=%d: %v", v, err)
		}
	}
	_, err := ParseSignature(good[:64])
	wantErr(t, err, ErrMalformed, "signature")
}

func TestNewTxErrors(t *testing.T) {
	from := addrOf(testKey(t))
	call := sampleCall(from)
	deploy := sampleDeploy(from)
	deploy.CodeHash = crypto.Keccak256Hash(testCode)
	mut := func(f func(c *Call)) *Call { c := call; f(&c); return &c }
	mutD := func(f func(d *Deploy)) *Deploy { d := deploy; f(&d); return &d }
	tests := []struct {
		name  string
		msg   Message
		code  []byte
		field string
	}{
		{"nil message", nil, nil, "message"},
		{"empty method", mut(func(c *Call) { c.Method = "" }), nil, "message.method"},
		{"non-UTF-8 method", mut(func(c *Call) { c.Method = "a\xff" }), nil, "message.method"},
		{"args not JSON", mut(func(c *Call) { c.Args = []byte("{") }), nil, "message.args"},
		{"args not UTF-8", mut(func(c *Call) { c.Args = []byte("\"\xff\"") }), nil, "message.args"},
		{"zero gas", mut(func(c *Call) { c.GasLimit = 0 }), nil, "message.gasLimit"},
		{"code on call", &call, testCode, "code"},
		{"empty name", mutD(func(d *Deploy) { d.Name = "" }), nil, "message.name"},
		{"non-UTF-8 name", mutD(func(d *Deploy) { d.Name = "\xc3" }), nil, "message.name"},
		{"initArgs not JSON", mutD(func(d *Deploy) { d.InitArgs = []byte("nope") }), nil, "message.initArgs"},
		{"zero code hash", mutD(func(d *Deploy) { d.CodeHash = common.Hash{} }), nil, "message.codeHash"},
		{"zero deploy gas", mutD(func(d *Deploy) { d.GasLimit = 0 }), nil, "message.gasLimit"},
		{"empty code", &deploy, []byte{}, "code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewTx(testChainID, tc.msg, Signature{}, tc.code)
			wantErr(t, err, ErrMalformed, tc.field)
		})
	}
	// Empty args mean "no arguments" and are well formed.
	if _, err := NewTx(testChainID, mut(func(c *Call) { c.Args = nil }), Signature{}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestSignDeployCodeHash(t *testing.T) {
	k := testKey(t)
	d := sampleDeploy(addrOf(k))
	checkSignCodeHash(t, func(h common.Hash, code []byte) (*Tx, error) {
		d.CodeHash = h
		return SignDeploy(d, code, testChainID, k)
	})
}

func TestCheckNonceAndGas(t *testing.T) {
	tests := []struct {
		got, want uint64
		err       error
	}{{5, 5, nil}, {4, 5, ErrNonceTooLow}, {6, 5, ErrNonceTooHigh}}
	for _, tc := range tests {
		err := CheckNonce(tc.got, tc.want)
		if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
			t.Fatalf("CheckNonce(%d,%d) = %v, want %v", tc.got, tc.want, err, tc.err)
		}
	}
	if err := CheckGasLimit(10, 10); err != nil {
		t.Fatal(err)
	}
	err := CheckGasLimit(11, 10)
	var ge *GasLimitError
	if !errors.Is(err, ErrGasLimitTooHigh) || !errors.As(err, &ge) || ge.GasLimit != 11 {
		t.Fatalf("CheckGasLimit = %v", err)
	}
	if err := CheckTxGasCap(10, 10); err != nil {
		t.Fatal(err)
	}
	err = CheckTxGasCap(11, 10)
	if !errors.Is(err, ErrGasLimitTooHigh) || !errors.As(err, &ge) || !ge.PerTx || ge.BlockLimit != 10 ||
		err.Error() != "gas limit too high: 11 exceeds the per-transaction gas cap of 10" {
		t.Fatalf("CheckTxGasCap = %v", err)
	}
	if err := CheckDeployGasLimit(12, 11); !errors.As(err, &ge) || !ge.Deploy ||
		err.Error() != "gas limit too high: 12 exceeds the block deploy gas limit of 11" || CheckDeployGasLimit(11, 11) != nil {
		t.Fatalf("CheckDeployGasLimit = %v", err)
	}
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		code string
	}{
		{&FieldError{Field: "x"}, "malformed"},
		{&LimitError{Field: "x"}, "too_large"},
		{ErrBadSignature, "bad_signature"},
		{ErrHighS, "high_s"},
		{ErrSenderMismatch, "sender_mismatch"},
		{ErrWrongChain, "wrong_chain"},
		{ErrCodeHashMismatch, "code_hash_mismatch"},
		{CheckNonce(1, 2), "nonce_too_low"},
		{CheckNonce(3, 2), "nonce_too_high"},
		{CheckGasLimit(3, 2), "gas_limit_too_high"},
		{errors.New("other"), ""},
	}
	for _, tc := range tests {
		if got := ErrorCode(tc.err); got != tc.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.code)
		}
	}
}

func TestContractAddress(t *testing.T) {
	// Values from go-ethereum's own CREATE test.
	deployer := common.HexToAddress("0x970e8128ab834e8eac17ab8e3812f010678cf791")
	want := []string{
		"0x333c3310824b7c685133f2bedb2ca4b8b4df633d",
		"0x8bda78331c916a08481428e4b07c96d3e916d165",
		"0xc9ddedf451bc62ce88bf9292afb13df35b670699",
	}
	for nonce, w := range want {
		got := ContractAddress(deployer, uint64(nonce))
		if got != common.HexToAddress(w) {
			t.Fatalf("nonce %d: %s, want %s", nonce, got, w)
		}
		// And by the documented formula.
		enc, _ := rlp.EncodeToBytes([]any{deployer, uint64(nonce)})
		if common.BytesToAddress(crypto.Keccak256(enc)[12:]) != got {
			t.Fatal("formula disagrees")
		}
	}
	d := Deploy{From: deployer, Nonce: 2}
	if d.ContractAddress() != common.HexToAddress(want[2]) {
		t.Fatal("Deploy.ContractAddress")
	}
}

func TestRecoverAll(t *testing.T) {
	k := testKey(t)
	var txs []*Tx
	wantBad := map[int]error{}
	for i := 0; i < 100; i++ {
		c := sampleCall(addrOf(k))
		c.Nonce = uint64(i)
		tx, err := SignCall(c, testChainID, k)
		if err != nil {
			t.Fatal(err)
		}
		tx = withSig(t, tx, tx.Signature()) // drop the cached sender
		switch i % 17 {
		case 3:
			tx = withSig(t, tx, signedCall(t).Signature()) // signature of another message
			wantBad[i] = ErrSenderMismatch
		case 11:
			tx, _ = NewTx(testChainID+1, tx.Message(), tx.Signature(), nil)
			wantBad[i] = ErrWrongChain
		}
		txs = append(txs, tx)
	}
	for _, workers := range []int{0, 1, 3, 200} {
		errs := RecoverAll(txs, testChainID, workers)
		if len(errs) != len(txs) {
			t.Fatalf("len = %d", len(errs))
		}
		for i, err := range errs {
			if want, bad := wantBad[i]; bad {
				wantErr(t, err, want, "")
			} else if err != nil {
				t.Fatalf("workers=%d tx %d: %v", workers, i, err)
			}
		}
	}
	if errs := RecoverAll(nil, testChainID, 4); len(errs) != 0 {
		t.Fatal("empty input")
	}
}
