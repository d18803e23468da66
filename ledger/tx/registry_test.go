package tx

import (
	"encoding/json"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// note is a transaction type defined outside the built-in set, the way a
// later type (participant registry) would be: it uses only the exported
// extension points, and hashes through go-ethereum's generic EIP-712 code.
type note struct {
	From     common.Address
	Nonce    uint64
	Topic    common.Hash
	Text     string
	GasLimit uint64
}

func (n *note) Type() string        { return "note" }
func (n *note) PrimaryType() string { return "Note" }
func (n *note) Fields() []Field {
	return []Field{
		{"from", TypeAddress, &n.From},
		{"nonce", TypeUint64, &n.Nonce},
		{"topic", TypeBytes32, &n.Topic},
		{"text", TypeString, &n.Text},
		{"gasLimit", TypeUint64, &n.GasLimit},
	}
}
func (n *note) StructHash() common.Hash {
	td := apitypes.TypedData{
		Domain: apitypes.TypedDataDomain{Name: DomainName}, // HashStruct insists on a domain
		Types: apitypes.Types{"Note": {
			{Name: "from", Type: "address"}, {Name: "nonce", Type: "uint64"}, {Name: "topic", Type: "bytes32"},
			{Name: "text", Type: "string"}, {Name: "gasLimit", Type: "uint64"},
		}},
	}
	h, err := td.HashStruct("Note", apitypes.TypedDataMessage{
		"from": n.From.Hex(), "nonce": new(big.Int).SetUint64(n.Nonce), "topic": n.Topic.Hex(),
		"text": n.Text, "gasLimit": new(big.Int).SetUint64(n.GasLimit),
	})
	if err != nil {
		panic(err)
	}
	return common.BytesToHash(h)
}
func (n *note) Sender() common.Address { return n.From }
func (n *note) AccountNonce() uint64   { return n.Nonce }
func (n *note) Gas() uint64            { return n.GasLimit }
func (n *note) Validate(lim Limits) error {
	return checkName("message.text", n.Text, lim.withDefaults())
}

func TestRegistryExtension(t *testing.T) {
	reg, err := NewRegistry(func() Message { return new(Call) }, func() Message { return new(note) })
	if err != nil {
		t.Fatal(err)
	}
	k := testKey(t)
	msg := &note{From: addrOf(k), Nonce: 3, Topic: common.Hash{9}, Text: "hello", GasLimit: 10}
	tx, err := Sign(msg, testChainID, k)
	if err != nil {
		t.Fatal(err)
	}

	// The digest through the generic path agrees with go-ethereum.
	td := referenceTypedDataWith(reg, msg, testChainID)
	want, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		t.Fatal(err)
	}
	if tx.Hash() != common.BytesToHash(want) {
		t.Fatal("digest differs from go-ethereum")
	}

	j := tx.EncodeJSON()
	got, err := reg.DecodeJSON(j, Limits{})
	if err != nil {
		t.Fatalf("%v\n%s", err, j)
	}
	if _, err := got.Verify(testChainID); err != nil || !txEqual(got, tx) {
		t.Fatalf("JSON round trip: %v", err)
	}
	r, _ := tx.MarshalBinary()
	got, err = reg.DecodeRLP(r, Limits{})
	if err != nil || got.Hash() != tx.Hash() {
		t.Fatalf("RLP round trip: %v", err)
	}

	// The standard registry does not know the type.
	_, err = DecodeJSON(j, Limits{})
	wantErr(t, err, ErrMalformed, "type")
	_, err = DecodeRLP(r, Limits{})
	wantErr(t, err, ErrMalformed, "type")

	spec := reg.TypedData(testChainID)
	// Every registry serves the session type: sessions share the domain,
	// whatever transaction types a node knows.
	if spec.PrimaryTypes["note"] != "Note" || len(spec.Types["Note"]) != 5 || spec.Types["Deploy"] != nil ||
		len(spec.Types[SessionPrimaryType]) != 3 {
		t.Fatalf("TypedData = %+v", spec)
	}
}

func referenceTypedDataWith(reg *Registry, msg Message, chainID uint64) apitypes.TypedData {
	td := referenceTypedData(msg, chainID) // message values and domain
	td.Types = apitypes.Types{}
	for name, fs := range reg.TypedData(chainID).Types {
		for _, f := range fs {
			td.Types[name] = append(td.Types[name], apitypes.Type{Name: f.Name, Type: f.Type})
		}
	}
	td.Domain.ChainId = (*math.HexOrDecimal256)(new(big.Int).SetUint64(chainID))
	return td
}

// One Tx verified from many goroutines at once: the caches are atomic.
func TestConcurrentRecoverSameTx(t *testing.T) {
	tx := withSig(t, signedCall(t), signedCall(t).Signature())
	txs := make([]*Tx, 64)
	for i := range txs {
		txs[i] = tx
	}
	for i, err := range RecoverAll(txs, testChainID, 8) {
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	if tx.sender.Load() == nil || tx.hash.Load() == nil {
		t.Fatal("sender and hash should be cached")
	}
	// WithCode keeps the caches; UnmarshalJSON drops them.
	c, err := tx.WithCode(nil)
	if err != nil || c.sender.Load() == nil {
		t.Fatal("WithCode lost the cache")
	}
	if err := json.Unmarshal(signedDeploy(t).EncodeJSON(), c); err != nil || c.sender.Load() != nil || c.Type() != "deploy" {
		t.Fatalf("UnmarshalJSON: %v", err)
	}
}
