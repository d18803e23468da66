package tx

import (
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// referenceTypedData builds go-ethereum's generic EIP-712 representation of
// msg from the served type definitions and the message's Fields, so the
// differential test checks definitions, field lists and hand-written
// hashing all at once.
func referenceTypedData(msg Message, chainID uint64) apitypes.TypedData {
	spec := TypedData(chainID)
	types := apitypes.Types{}
	for name, fs := range spec.Types {
		for _, f := range fs {
			types[name] = append(types[name], apitypes.Type{Name: f.Name, Type: f.Type})
		}
	}
	message := apitypes.TypedDataMessage{}
	for _, f := range msg.Fields() {
		switch p := f.Ptr.(type) {
		case *common.Address:
			message[f.Name] = p.Hex()
		case *uint64:
			message[f.Name] = new(big.Int).SetUint64(*p)
		case *common.Hash:
			message[f.Name] = p.Hex()
		case *string:
			message[f.Name] = *p
		case *[]byte:
			message[f.Name] = *p
		}
	}
	return apitypes.TypedData{
		Types:       types,
		PrimaryType: msg.PrimaryType(),
		Domain: apitypes.TypedDataDomain{
			Name:    spec.Domain.Name,
			Version: spec.Domain.Version,
			ChainId: (*math.HexOrDecimal256)(new(big.Int).SetUint64(chainID)),
		},
		Message: message,
	}
}

func randomMessage(r *rand.Rand) Message {
	addr := func() (a common.Address) {
		for i := range a {
			a[i] = byte(r.UintN(256))
		}
		return a
	}
	u64 := func() uint64 {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return ^uint64(0)
		default:
			return r.Uint64() >> r.UintN(64)
		}
	}
	str := func() string {
		var b []byte
		for n := r.IntN(40); n > 0; n-- {
			b = utf8.AppendRune(b, rune(r.IntN(0x2ffff)))
		}
		return string(b)
	}
	bytesOf := func() []byte {
		b := make([]byte, r.IntN(300))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		return b
	}
	hash := func() (h common.Hash) {
		copy(h[:], bytesOf())
		return h
	}
	switch r.IntN(3) {
	case 0:
		return &Deploy{From: addr(), Nonce: u64(), CodeHash: hash(), Name: str(), InitArgs: bytesOf(), GasLimit: u64()}
	case 1:
		return &Upgrade{From: addr(), Nonce: u64(), Contract: addr(), CodeHash: hash(), MigrateArgs: bytesOf(), GasLimit: u64()}
	}
	return &Call{From: addr(), Nonce: u64(), Contract: addr(), Method: str(), Args: bytesOf(), GasLimit: u64()}
}

func TestDigestMatchesGoEthereum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	chains := []uint64{0, 1, 1337, 1 << 53, ^uint64(0)}
	for i := 0; i < 300; i++ {
		msg := randomMessage(r)
		chainID := chains[i%len(chains)]
		td := referenceTypedData(msg, chainID)
		want, _, err := apitypes.TypedDataAndHash(td)
		if err != nil {
			t.Fatalf("reference: %v", err)
		}
		if got := Digest(msg, chainID); got != common.BytesToHash(want) {
			t.Fatalf("message %d (%s, chain %d): digest %s, go-ethereum %x", i, msg.Type(), chainID, got, want)
		}
		sh, err := td.HashStruct(msg.PrimaryType(), td.Message)
		if err != nil || common.BytesToHash(sh) != msg.StructHash() {
			t.Fatalf("struct hash differs: %v", err)
		}
		ds, err := td.HashStruct("EIP712Domain", td.Domain.Map())
		if err != nil || common.BytesToHash(ds) != DomainSeparator(chainID) {
			t.Fatalf("domain separator differs: %v", err)
		}
	}
}

func TestTypeStrings(t *testing.T) {
	tests := []struct {
		msg  Message
		want string
	}{
		{new(Deploy), "Deploy(address from,uint64 nonce,bytes32 codeHash,string name,bytes initArgs,uint64 gasLimit)"},
		{new(Call), "Call(address from,uint64 nonce,address contract,string method,bytes args,uint64 gasLimit)"},
		{new(Upgrade), "Upgrade(address from,uint64 nonce,address contract,bytes32 codeHash,bytes migrateArgs,uint64 gasLimit)"},
	}
	for _, tc := range tests {
		if got := encodeType(tc.msg.PrimaryType(), fieldTypes(tc.msg)); got != tc.want {
			t.Errorf("encodeType = %s, want %s", got, tc.want)
		}
	}
	if got := encodeType(domainTypeName, domainFields); got != "EIP712Domain(string name,string version,uint256 chainId)" {
		t.Errorf("domain type = %s", got)
	}
}

// The served description is a public interface: pin it byte for byte.
func TestTypedDataJSON(t *testing.T) {
	b, err := json.Marshal(TypedData(1337))
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"domain":{"name":"meshledger","version":"1","chainId":"1337"},` +
		`"types":{"Call":[{"name":"from","type":"address"},{"name":"nonce","type":"uint64"},{"name":"contract","type":"address"},{"name":"method","type":"string"},{"name":"args","type":"bytes"},{"name":"gasLimit","type":"uint64"}],` +
		`"Deploy":[{"name":"from","type":"address"},{"name":"nonce","type":"uint64"},{"name":"codeHash","type":"bytes32"},{"name":"name","type":"string"},{"name":"initArgs","type":"bytes"},{"name":"gasLimit","type":"uint64"}],` +
		`"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},{"name":"chainId","type":"uint256"}],` +
		`"ReadSession":[{"name":"reader","type":"address"},{"name":"issuedMs","type":"uint64"},{"name":"expiresMs","type":"uint64"}],` +
		`"Upgrade":[{"name":"from","type":"address"},{"name":"nonce","type":"uint64"},{"name":"contract","type":"address"},{"name":"codeHash","type":"bytes32"},{"name":"migrateArgs","type":"bytes"},{"name":"gasLimit","type":"uint64"}]},` +
		`"primaryTypes":{"call":"Call","deploy":"Deploy","upgrade":"Upgrade"}}`
	if string(b) != want {
		t.Fatalf("TypedData JSON:\n%s\nwant\n%s", b, want)
	}
	if got := Standard().Types(); len(got) != 3 || got[0] != "call" || got[1] != "deploy" || got[2] != "upgrade" {
		t.Fatalf("Types = %v", got)
	}
}

// badMessage lets registry validation be tested with broken definitions.
type badMessage struct {
	Call
	typ, primary string
	fields       []Field
}

func (b *badMessage) Type() string        { return b.typ }
func (b *badMessage) PrimaryType() string { return b.primary }
func (b *badMessage) Fields() []Field     { return b.fields }

func TestNewRegistryRejects(t *testing.T) {
	var n uint64
	var s string
	ok := []Field{{"nonce", TypeUint64, &n}}
	tests := []struct {
		name string
		msgs []*badMessage
	}{
		{"empty type", []*badMessage{{typ: "", primary: "X", fields: ok}}},
		{"domain as primary", []*badMessage{{typ: "x", primary: "EIP712Domain", fields: ok}}},
		{"session as primary", []*badMessage{{typ: "x", primary: "ReadSession", fields: ok}}},
		{"duplicate type", []*badMessage{{typ: "x", primary: "X", fields: ok}, {typ: "x", primary: "Y", fields: ok}}},
		{"duplicate primary", []*badMessage{{typ: "x", primary: "X", fields: ok}, {typ: "y", primary: "X", fields: ok}}},
		{"no fields", []*badMessage{{typ: "x", primary: "X"}}},
		{"duplicate field", []*badMessage{{typ: "x", primary: "X", fields: []Field{ok[0], ok[0]}}}},
		{"unsupported type", []*badMessage{{typ: "x", primary: "X", fields: []Field{{"n", "uint256", &n}}}}},
		{"pointer mismatch", []*badMessage{{typ: "x", primary: "X", fields: []Field{{"n", TypeUint64, &s}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ctors []func() Message
			for _, m := range tc.msgs {
				ctors = append(ctors, func() Message { return m })
			}
			if _, err := NewRegistry(ctors...); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}
