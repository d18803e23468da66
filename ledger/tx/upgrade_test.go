package tx

import (
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// The upgrade carries code exactly as a deploy does: in the JSON envelope,
// bound by the signed codeHash, never in the block encoding.
func TestUpgradeCarriesCode(t *testing.T) {
	up := signedUpgrade(t)
	if string(up.Code()) != string(testCode) || up.Message().(*Upgrade).CodeHash != crypto.Keccak256Hash(testCode) {
		t.Fatal("SignUpgrade did not fill in the code hash")
	}
	got, err := DecodeJSON(up.EncodeJSON(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Code()) != string(testCode) {
		t.Fatal("code lost in the JSON envelope")
	}
	if sender, err := got.Verify(testChainID); err != nil || sender != addrOf(testKey(t)) {
		t.Fatalf("verify: %s %v", sender, err)
	}
	if _, ok := got.Message().(CodeCarrier); !ok {
		t.Fatal("Upgrade must be a CodeCarrier")
	}

	// Other code than the signed hash names is refused at Verify.
	other, err := up.WithCode([]byte("\x00asm\x01\x00\x00\x00\x01"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.Verify(testChainID)
	wantErr(t, err, ErrCodeHashMismatch, "")
}

func TestSignUpgradeCodeHash(t *testing.T) {
	k := testKey(t)
	u := sampleUpgrade(addrOf(k))
	checkSignCodeHash(t, func(h common.Hash, code []byte) (*Tx, error) {
		u.CodeHash = h
		return SignUpgrade(u, code, testChainID, k)
	})
	u.CodeHash = crypto.Keccak256Hash(testCode)
	// Empty migrate arguments mean "none" and are well formed.
	u.MigrateArgs = nil
	if _, err := SignUpgrade(u, nil, testChainID, k); err != nil {
		t.Fatal(err)
	}
	// Another key than from's is refused.
	_, err := SignUpgrade(u, nil, testChainID, otherKey(t))
	wantErr(t, err, ErrSenderMismatch, "")
}

func TestNewTxUpgradeErrors(t *testing.T) {
	u := sampleUpgrade(addrOf(testKey(t)))
	u.CodeHash = crypto.Keccak256Hash(testCode)
	mut := func(f func(u *Upgrade)) *Upgrade { c := u; f(&c); return &c }
	tests := []struct {
		name  string
		msg   Message
		code  []byte
		field string
	}{
		{"zero code hash", mut(func(u *Upgrade) { u.CodeHash = common.Hash{} }), nil, "message.codeHash"},
		{"zero contract", mut(func(u *Upgrade) { u.Contract = common.Address{} }), nil, "message.contract"},
		{"zero gas", mut(func(u *Upgrade) { u.GasLimit = 0 }), nil, "message.gasLimit"},
		{"migrateArgs not JSON", mut(func(u *Upgrade) { u.MigrateArgs = []byte("{") }), nil, "message.migrateArgs"},
		{"migrateArgs not UTF-8", mut(func(u *Upgrade) { u.MigrateArgs = []byte("\"\xff\"") }), nil, "message.migrateArgs"},
		{"empty code", &u, []byte{}, "code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewTx(testChainID, tc.msg, Signature{}, tc.code)
			wantErr(t, err, ErrMalformed, tc.field)
		})
	}
}

func TestDecodeJSONUpgradeErrors(t *testing.T) {
	up := signedUpgrade(t)
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name  string
		f     func(top, msg map[string]json.RawMessage)
		field string
	}{
		{"missing contract", func(_, m map[string]json.RawMessage) { delete(m, "contract") }, "message.contract"},
		{"missing migrateArgs", func(_, m map[string]json.RawMessage) { delete(m, "migrateArgs") }, "message.migrateArgs"},
		{"deploy field", func(_, m map[string]json.RawMessage) { m["name"] = raw(`"loans"`) }, "message.name"},
		{"call field", func(_, m map[string]json.RawMessage) { m["method"] = raw(`"m"`) }, "message.method"},
		{"zero contract", func(_, m map[string]json.RawMessage) {
			m["contract"] = raw(`"0x0000000000000000000000000000000000000000"`)
		}, "message.contract"},
		{"short codeHash", func(_, m map[string]json.RawMessage) { m["codeHash"] = raw(`"0x1234"`) }, "message.codeHash"},
		{"zero codeHash", func(_, m map[string]json.RawMessage) {
			m["codeHash"] = raw(`"0x0000000000000000000000000000000000000000000000000000000000000000"`)
		}, "message.codeHash"},
		{"migrateArgs not JSON", func(_, m map[string]json.RawMessage) { m["migrateArgs"] = raw(`"0x41"`) }, "message.migrateArgs"},
		{"migrateArgs not hex", func(_, m map[string]json.RawMessage) { m["migrateArgs"] = raw(`"{}"`) }, "message.migrateArgs"},
		{"zero gas", func(_, m map[string]json.RawMessage) { m["gasLimit"] = raw(`"0"`) }, "message.gasLimit"},
		{"empty code", func(top, _ map[string]json.RawMessage) { top["code"] = raw(`"0x"`) }, "code"},
		{"code not hex", func(top, _ map[string]json.RawMessage) { top["code"] = raw(`"wasm"`) }, "code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := mutateJSON(t, up, tc.f)
			_, err := DecodeJSON(b, Limits{})
			wantErr(t, err, ErrMalformed, tc.field)
		})
	}
	b := up.EncodeJSON()
	_, err := DecodeJSON(b, Limits{MaxCodeBytes: len(testCode) - 1})
	wantErr(t, err, ErrTooLarge, "code")
	_, err = DecodeJSON(b, Limits{MaxArgsBytes: 3})
	wantErr(t, err, ErrTooLarge, "message.migrateArgs")
}

func TestDecodeRLPUpgradeErrors(t *testing.T) {
	up := signedUpgrade(t)
	u := up.Message().(*Upgrade)
	sig := up.Signature()
	fields := func(mod func(f []any) []any) []any {
		return mod([]any{u.From, u.Nonce, u.Contract, u.CodeHash, u.MigrateArgs, u.GasLimit})
	}
	same := func(f []any) []any { return f }
	tests := []struct {
		name  string
		data  []byte
		field string
	}{
		{"too few fields", rlpOf(t, "upgrade", uint64(testChainID), fields(func(f []any) []any { return f[:5] }), sig[:]), "message.gasLimit"},
		{"too many fields", rlpOf(t, "upgrade", uint64(testChainID), fields(func(f []any) []any { return append(f, "x") }), sig[:]), "message"},
		{"short contract", rlpOf(t, "upgrade", uint64(testChainID), fields(func(f []any) []any { f[2] = []byte{1}; return f }), sig[:]), "message.contract"},
		{"short codeHash", rlpOf(t, "upgrade", uint64(testChainID), fields(func(f []any) []any { f[3] = []byte{1}; return f }), sig[:]), "message.codeHash"},
		{"zero codeHash", rlpOf(t, "upgrade", uint64(testChainID), fields(func(f []any) []any { f[3] = common.Hash{}; return f }), sig[:]), "message.codeHash"},
		{"migrateArgs not JSON", rlpOf(t, "upgrade", uint64(testChainID), fields(func(f []any) []any { f[4] = []byte("{"); return f }), sig[:]), "message.migrateArgs"},
		{"call fields", rlpOf(t, "upgrade", uint64(testChainID), []any{u.From, u.Nonce, u.Contract, "m", []byte("{}"), u.GasLimit}, sig[:]), "message.codeHash"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRLP(tc.data, Limits{})
			wantErr(t, err, ErrMalformed, tc.field)
		})
	}
	// The fixture itself decodes, so the cases above fail for their reason.
	got, err := DecodeRLP(rlpOf(t, "upgrade", uint64(testChainID), fields(same), sig[:]), Limits{})
	if err != nil || got.Hash() != up.Hash() {
		t.Fatalf("fixture: %v", err)
	}
}
