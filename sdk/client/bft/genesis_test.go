package bft_test

import (
	"bytes"
	"errors"
	"testing"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/bft"
	"github.com/meshledger/meshledger/sdk/client/bft/bfttest"
)

// Two thirds of the power exactly is not enough: CometBFT needs more.
func TestExactlyTwoThirdsIsRefused(t *testing.T) {
	three := bfttest.NewValidators("org", 10, 10, 10)
	src := &source{c: bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: three})}
	_, check := block10(src)
	src.commit = func(_ uint64, lb *types.LightBlock) []byte {
		lb.Commit.Signatures[2] = types.NewCommitSigAbsent()
		return bfttest.Encode(t, lb)
	}
	if err := check(newVerifier(t, src)); !errors.Is(err, bft.ErrInsufficientPower) {
		t.Fatalf("20 of 30: got %v, want ErrInsufficientPower", err)
	}
}

func TestFromGenesisTrustsItsValidators(t *testing.T) {
	four := bfttest.NewValidators("org", 10, 10, 10, 10)
	doc := types.GenesisDoc{ChainID: chainID, GenesisTime: bfttest.GenesisTime}
	for _, v := range four.Set.Validators {
		doc.Validators = append(doc.Validators, types.GenesisValidator{Address: v.Address, PubKey: v.PubKey, Power: v.VotingPower})
	}
	js, err := cmtjson.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := bft.FromGenesis(js)
	if err != nil {
		t.Fatalf("FromGenesis: %v", err)
	}
	if cfg.ChainID != chainID || cfg.Height != 1 || !bytes.Equal(cfg.Validators.Hash(), four.Set.Hash()) {
		t.Fatalf("got chain %q height %d set %X, want %q 1 %X", cfg.ChainID, cfg.Height, cfg.Validators.Hash(), chainID, four.Set.Hash())
	}
	src := &source{c: bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: four})}
	_, check := block10(src)
	v, err := bft.New(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	if err := check(v); err != nil {
		t.Fatalf("verify with the genesis set: %v", err)
	}

	bad := []struct {
		name string
		doc  []byte
	}{
		{"not JSON", []byte("{")},
		{"no validators", func() []byte {
			b, err := cmtjson.Marshal(types.GenesisDoc{ChainID: chainID, GenesisTime: bfttest.GenesisTime})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}()},
	}
	for _, tt := range bad {
		if _, err := bft.FromGenesis(tt.doc); !errors.Is(err, bft.ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", tt.name, err)
		}
	}
}

// client.Verifier hands unsigned headers to the consensus verifier, and
// only those.
func TestClientVerifierAsksTheValidatorsForUnsignedHeaders(t *testing.T) {
	four := bfttest.NewValidators("org", 10, 10, 10, 10)
	src := &source{c: bfttest.NewChain(t, chainID, bfttest.Epoch{From: 1, Vals: four})}
	h, hash := ledgerHeader(10)
	src.c.AppHash[11] = hash[:]
	bv := newVerifier(t, src)
	wire := &api.SignedHeader{Hash: hash, Header: api.Header{
		ChainID: h.ChainID, Height: h.Height, ParentHash: h.ParentHash, TimeMs: h.TimeMs,
		TxRoot: h.TxRoot, ReceiptRoot: h.ReceiptRoot, StateRoot: h.StateRoot, Proposer: h.Proposer,
	}}

	if _, err := client.NewVerifier().VerifyHeader(wire); !errors.Is(err, client.ErrVerify) {
		t.Fatalf("without a consensus verifier: got %v, want ErrVerify", err)
	}
	v := client.NewVerifier().WithConsensus(bv)
	got, err := v.VerifyHeader(wire)
	if err != nil {
		t.Fatalf("VerifyHeader: %v", err)
	}
	if got.Header.Hash() != hash {
		t.Fatalf("returned header hashes to %s, want %s", got.Header.Hash(), hash)
	}

	// The hash of the fields is checked before anyone is asked.
	n := src.count()
	tampered := *wire
	tampered.Header.StateRoot[0] ^= 1
	if _, err := v.VerifyHeader(&tampered); !errors.Is(err, client.ErrVerify) {
		t.Fatalf("tampered header: got %v, want ErrVerify", err)
	}
	if src.count() != n {
		t.Fatal("a header whose fields do not hash to its hash was sent for consensus checks")
	}

	// A signed header is the trusted nodes' business: the consensus
	// verifier is not asked, and an untrusted signer is refused.
	signed := *wire
	signed.Signature = hexutil.Bytes(bytes.Repeat([]byte{1}, 65))
	if _, err := v.VerifyHeader(&signed); !errors.Is(err, client.ErrVerify) {
		t.Fatalf("signed header by no trusted node: got %v, want ErrVerify", err)
	}
	if src.count() != n {
		t.Fatal("a signed header was sent for consensus checks")
	}
}
