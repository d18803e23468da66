package block

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/registry"
)

func testKey(t testing.TB, seed byte) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func signerOf(k *ecdsa.PrivateKey) func(common.Hash) ([]byte, error) {
	return func(h common.Hash) ([]byte, error) { return crypto.Sign(h[:], k) }
}

func sampleHeader(proposer common.Address) Header {
	return Header{ChainID: 7, Height: 3, ParentHash: common.HexToHash("0x01"), TimeMs: 1234,
		TxRoot: EmptyRoot, ReceiptRoot: EmptyRoot, StateRoot: EmptyRoot, Proposer: proposer}
}

func TestHeaderSignRoundTrip(t *testing.T) {
	k := testKey(t, 1)
	h := sampleHeader(crypto.PubkeyToAddress(k.PublicKey))
	sh, err := SignHeader(h, signerOf(k))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := sh.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeSignedHeader(enc)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != sh.Hash() || back.Header != sh.Header || !bytes.Equal(back.Signature, sh.Signature) {
		t.Fatalf("round trip changed header: %+v", back)
	}
	if err := back.VerifySignature(); err != nil {
		t.Fatal(err)
	}
	// Every field is committed.
	h2 := h
	h2.TimeMs++
	if h2.Hash() == h.Hash() {
		t.Fatal("time not committed")
	}
}

func TestHeaderSignatureErrors(t *testing.T) {
	k := testKey(t, 1)
	other := testKey(t, 2)
	h := sampleHeader(crypto.PubkeyToAddress(k.PublicKey))
	good, err := SignHeader(h, signerOf(k))
	if err != nil {
		t.Fatal(err)
	}
	highS := append([]byte(nil), good.Signature...)
	s := new(big.Int).SetBytes(highS[32:64])
	s.Sub(crypto.S256().Params().N, s)
	s.FillBytes(highS[32:64])
	highS[64] ^= 1

	tampered := *good
	tampered.Header.StateRoot = common.HexToHash("0x02")

	cases := []struct {
		name string
		sh   *SignedHeader
		want error
	}{
		{"short", &SignedHeader{Header: h, Signature: good.Signature[:64]}, ErrBadSignature},
		{"high-s", &SignedHeader{Header: h, Signature: highS}, ErrBadSignature},
		{"bad v", &SignedHeader{Header: h, Signature: append(append([]byte(nil), good.Signature[:64]...), 27)}, ErrBadSignature},
		{"tampered", &tampered, ErrWrongProposer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.sh.VerifySignature(); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	if _, err := SignHeader(h, signerOf(other)); !errors.Is(err, ErrWrongProposer) {
		t.Fatalf("signing with another key: %v", err)
	}
	neg := h
	neg.TimeMs = -1
	if _, err := SignHeader(neg, signerOf(k)); !errors.Is(err, ErrNegativeTime) {
		t.Fatalf("negative time: %v", err)
	}
	if _, err := DecodeSignedHeader([]byte{0xc1}); !errors.Is(err, ErrMalformedBlock) {
		t.Fatalf("garbage: %v", err)
	}
}

func TestReceiptEncodingIsCanonical(t *testing.T) {
	r := &Receipt{
		TxHash: common.HexToHash("0xaa"), Status: StatusOK, GasUsed: 42, Return: []byte(`{"ok":true}`),
		Events: []Event{{Contract: common.HexToAddress("0x01"), Name: "paid", Data: []byte("{}")}},
		Writes: []Write{{Contract: common.HexToAddress("0x01"), Key: []byte("k"), Value: []byte{}},
			{Contract: common.HexToAddress("0x01"), Key: []byte("z"), Delete: true}},
		Height: 9, Index: 2,
	}
	a, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeReceipt(a)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := back.Encode()
	if !bytes.Equal(a, b) {
		t.Fatal("re-encoding differs")
	}
	if !back.OK() || back.Writes[1].Delete != true || back.Events[0].Name != "paid" {
		t.Fatalf("decoded %+v", back)
	}
	if _, err := DecodeReceipt([]byte{0x01}); !errors.Is(err, ErrMalformedBlock) {
		t.Fatalf("garbage: %v", err)
	}
}

func TestGenesis(t *testing.T) {
	a1, a2 := common.HexToAddress("0x01"), common.HexToAddress("0x02")
	g1 := DevGenesis(5, 1000, a1, a2)
	g2 := DevGenesis(5, 1000, a2, a1)
	if g1.Hash() != g2.Hash() {
		t.Fatal("admin order changes genesis hash")
	}
	if DevGenesis(5, 1000, a1).Hash() == g1.Hash() {
		t.Fatal("members not committed")
	}
	// The policy is committed as in force: the default spelt out or left
	// out is one chain; a different policy another.
	g3 := DevGenesis(5, 1000, a1, a2)
	g3.Policy = nil
	g4 := DevGenesis(5, 1000, a1, a2)
	def := registry.DefaultPolicy()
	g4.Policy = &def
	if g3.Hash() != g4.Hash() || g3.Hash() == g1.Hash() {
		t.Fatal("policy not committed canonically")
	}
	// Role order does not fork the chain.
	g5 := DevGenesis(5, 1000, a1, a2)
	g5.Orgs[0].Members[0].Roles = []string{"deployer", "auditor", "admin"}
	if g5.Hash() != g1.Hash() {
		t.Fatal("role order changes genesis hash")
	}
	root := common.HexToHash("0x1234")
	h := g1.Header(root)
	if h.Height != 0 || h.StateRoot != root || h.TxRoot != EmptyRoot || h.ParentHash != g1.ConfigHash() {
		t.Fatalf("genesis header %+v", h)
	}

	dir := t.TempDir()
	good := filepath.Join(dir, "g.json")
	os.WriteFile(good, []byte(`{"chain_id":5,"time_ms":1000,"block_gas_limit":5000000000,
		"orgs":[{"id":"dev","name":"Development","members":[
			{"address":"0x0000000000000000000000000000000000000002","roles":["admin","auditor","deployer"]},
			{"address":"0x0000000000000000000000000000000000000001","roles":["admin","auditor","deployer"]}]}],
		"policy":{"threshold":0,"deployPolicy":"open","proposalTtlMs":604800000,"allowNonMembers":false,"requireManifest":true}}`), 0o600)
	g, err := LoadGenesis(good)
	if err != nil {
		t.Fatal(err)
	}
	if g.Hash() != g1.Hash() || g.GasLimit() != DefaultBlockGasLimit {
		t.Fatalf("loaded genesis differs: %+v", g)
	}
	if _, err := LoadGenesis(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	bad := []struct{ name, json string }{
		{"zero chain", `{"chain_id":0,"time_ms":1}`},
		{"negative time", `{"chain_id":1,"time_ms":-1}`},
		{"unknown field", `{"chain_id":1,"time_ms":1,"gas":5}`},
		{"no orgs", `{"chain_id":1,"time_ms":1}`},
		{"org without admin", `{"chain_id":1,"time_ms":1,"orgs":[{"id":"a","name":"A","members":[{"address":"0x0000000000000000000000000000000000000001","roles":["deployer"]}]}]}`},
		{"member in two orgs", `{"chain_id":1,"time_ms":1,"orgs":[{"id":"a","name":"A","members":[{"address":"0x0000000000000000000000000000000000000001","roles":["admin"]}]},{"id":"b","name":"B","members":[{"address":"0x0000000000000000000000000000000000000001","roles":["admin"]}]}]}`},
		{"bad policy", `{"chain_id":1,"time_ms":1,"orgs":[{"id":"a","name":"A","members":[{"address":"0x0000000000000000000000000000000000000001","roles":["admin"]}]}],"policy":{"deployPolicy":"sometimes"}}`},
		{"old admins field", `{"chain_id":1,"time_ms":1,"admins":["0x0000000000000000000000000000000000000001"]}`},
		{"not json", `{`},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ParseGenesis([]byte(c.json)); !errors.Is(err, ErrBadGenesis) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if (&Genesis{ChainID: 1}).GasLimit() != DefaultBlockGasLimit {
		t.Fatal("default gas limit")
	}
}

func TestGenesisClone(t *testing.T) {
	g := DevGenesis(5, 1000, common.HexToAddress("0x01"))
	h := g.Hash()
	c := g.Clone()
	c.Orgs[0].Members[0].Roles[0] = "changed"
	c.Orgs[0].ID = "other"
	c.Policy.AllowNonMembers = true
	if g.Hash() != h || c.Hash() == h {
		t.Fatal("a clone shares its original's organisations or policy")
	}
}
