package node_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/bft"
)

// A client that trusts only the CometBFT genesis verifies what one node
// of a four-organisation network serves — a committed transaction and a
// state read — through the validators' signatures, with evidence from
// another node; a doctored answer is refused.
func TestClientVerifiesReadsThroughValidatorSignatures(t *testing.T) {
	skipBFT(t)
	tn, err := node.WriteTestnet(t.TempDir(), node.TestnetOptions{Orgs: 4})
	if err != nil {
		t.Fatal(err)
	}
	nodes := make([]*nodetest.Node, len(tn.Orgs))
	for i := range tn.Orgs {
		cfg := tn.Config(i)
		cfg.Listen = ""
		nodes[i] = nodetest.Start(t, cfg)
	}
	org1 := nodetest.AccountOf(tn.Orgs[0].Key)
	rc := nodetest.RegistryCall(t, nodes[0], org1.Key, "setRoles", map[string]any{
		"address": org1.Addr, "roles": []string{"admin", "deployer", "servicer"},
	})
	if !rc.OK() {
		t.Fatalf("setRoles: %s %s", rc.Status, rc.Message)
	}

	genesis, err := os.ReadFile(filepath.Join(tn.Orgs[3].DataDir, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	trust, err := bft.FromGenesis(genesis)
	if err != nil {
		t.Fatalf("FromGenesis: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key := client.NewKey(tn.Orgs[0].Key)
	reads, err := client.New(nodes[1].URL(), client.WithKey(key))
	if err != nil {
		t.Fatal(err)
	}
	evidence, err := client.New(nodes[2].URL(), client.WithKey(key))
	if err != nil {
		t.Fatal(err)
	}
	consensus, err := bft.New(trust, evidence)
	if err != nil {
		t.Fatal(err)
	}
	v := reads.Verifier().WithConsensus(consensus)

	rec := waitCommitted(ctx, t, reads, rc.TxHash)
	if len(rec.Header.Signature) != 0 {
		t.Fatal("a BFT header carries a signature")
	}
	if err := v.VerifyTx(rec); err != nil {
		t.Fatalf("VerifyTx: %v", err)
	}
	st, err := reads.State(ctx, registry.Address, registry.MemberKey(org1.Addr), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyState(st); err != nil {
		t.Fatalf("VerifyState: %v", err)
	}
	if !bytes.Contains(st.Value, []byte("servicer")) {
		t.Fatalf("member record %s lacks the role just set", st.Value)
	}

	// A node that changes the value, or serves another header under the
	// same proof, is caught.
	forged := *st
	forged.Value = bytes.ReplaceAll(st.Value, []byte("servicer"), []byte("servicez"))
	forged.Proof.Value = forged.Value
	if err := v.VerifyState(&forged); !errors.Is(err, client.ErrVerify) {
		t.Fatalf("forged value: got %v, want ErrVerify", err)
	}
	other := *st
	other.Header.Header.TimeMs++
	other.Header.Hash = headerHash(other.Header)
	if err := v.VerifyState(&other); !errors.Is(err, bft.ErrAppHashMismatch) {
		t.Fatalf("another header: got %v, want ErrAppHashMismatch", err)
	}
}

// waitCommitted reads a transaction's committed record from c's node,
// which may commit the block a moment after the node that took it.
func waitCommitted(ctx context.Context, t *testing.T, c *client.Client, hash common.Hash) *api.Tx {
	t.Helper()
	for {
		rec, err := c.Tx(ctx, hash)
		if err == nil && rec.Status == api.TxCommitted {
			return rec
		}
		if err != nil && !client.IsNotFound(err) {
			t.Fatalf("Tx %s: %v", hash, err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Tx %s not committed on the reading node: %v", hash, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// headerHash is the hash of a wire header's fields.
func headerHash(h api.SignedHeader) common.Hash {
	return (&block.Header{
		ChainID: h.Header.ChainID, Height: h.Header.Height, ParentHash: h.Header.ParentHash, TimeMs: h.Header.TimeMs,
		TxRoot: h.Header.TxRoot, ReceiptRoot: h.Header.ReceiptRoot, StateRoot: h.Header.StateRoot, Proposer: h.Header.Proposer,
		LogRoot: h.Header.LogRoot,
	}).Hash()
}
