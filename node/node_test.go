package node_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/mempool"
	"github.com/meshledger/meshledger/node/nodetest"
)

func TestDevGenesisAndKeyAreCreatedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	n1 := nodetest.Open(t, nodetest.Config(dir))
	if !n1.DevGenesisCreated() {
		t.Fatal("first run did not create a development genesis")
	}
	addr, chainID := n1.Address(), n1.ChainID()
	if chainID != node.DefaultDevChainID {
		t.Fatalf("chain id %d", chainID)
	}
	g := n1.Ledger().Genesis()
	// One organisation whose only member is the node key, holding every
	// network role, under the open deploy policy (block.DevGenesis).
	if len(g.Orgs) != 1 || g.Orgs[0].ID != block.DevOrgID || len(g.Orgs[0].Members) != 1 || g.Orgs[0].Members[0].Address != addr {
		t.Fatalf("dev genesis orgs %+v, want org %q with the node key %s", g.Orgs, block.DevOrgID, addr)
	}
	if roles := g.Orgs[0].Members[0].Roles; !slices.Contains(roles, registry.RoleAdmin) || !slices.Contains(roles, registry.RoleDeployer) || !slices.Contains(roles, registry.RoleAuditor) {
		t.Fatalf("node key's roles %v, want admin, deployer and auditor", roles)
	}
	if p := g.EffectivePolicy(); p.DeployPolicy != registry.DeployOpen || p.AllowNonMembers {
		t.Fatalf("dev policy %+v, want open deploys and members only", p)
	}
	if fi, err := os.Stat(filepath.Join(dir, node.KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if err := n1.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	n2 := nodetest.Open(t, nodetest.Config(dir))
	if n2.DevGenesisCreated() || n2.Address() != addr || n2.ChainID() != chainID {
		t.Fatal("restart did not reuse the key and genesis")
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) node.Config
		wantErr error
	}{
		{
			name: "corrupt key",
			setup: func(t *testing.T, dir string) node.Config {
				if err := os.WriteFile(filepath.Join(dir, node.KeyFile), []byte("0xnothex"), 0o600); err != nil {
					t.Fatal(err)
				}
				return nodetest.Config(dir)
			},
		},
		{
			name: "bad genesis file",
			setup: func(t *testing.T, dir string) node.Config {
				p := filepath.Join(t.TempDir(), "g.json")
				if err := os.WriteFile(p, []byte(`{"chain_id":0}`), 0o644); err != nil {
					t.Fatal(err)
				}
				cfg := nodetest.Config(dir)
				cfg.GenesisFile = p
				return cfg
			},
			wantErr: block.ErrBadGenesis,
		},
		{
			name: "genesis does not match the store",
			setup: func(t *testing.T, dir string) node.Config {
				n := nodetest.Open(t, nodetest.Config(dir))
				if err := n.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(t.TempDir(), "g.json")
				doc := `{"chain_id":7,"time_ms":1,"orgs":[{"id":"other","name":"Other","members":[{"address":"` +
					common.HexToAddress("0x01").Hex() + `","roles":["admin"]}]}]}`
				if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
					t.Fatal(err)
				}
				cfg := nodetest.Config(dir)
				cfg.GenesisFile = p
				return cfg
			},
			wantErr: ledger.ErrGenesisMismatch,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := tt.setup(t, dir)
			n, err := node.New(context.Background(), cfg)
			if err == nil {
				_ = n.Close(context.Background())
				t.Fatal("New succeeded")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("New error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestStartTwiceFails(t *testing.T) {
	n := nodetest.Start(t, node.Config{NoHTTP: true})
	if err := n.Start(); err == nil {
		t.Fatal("second Start succeeded")
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan string, 1)
	cfg := nodetest.Config(t.TempDir())
	cfg.Listen = "127.0.0.1:0"
	cfg.OnStart = func(n *node.Node) { started <- n.URL() }
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx, cfg) }()
	url := <-started
	resp, err := http.Get(url + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestAllRejectedProposalMakesNoBlock: when every ready transaction is
// rejected by the executor, the producer makes no block (never an empty
// one) and still drops the rejected transactions with their reason.
func TestAllRejectedProposalMakesNoBlock(t *testing.T) {
	n := nodetest.Open(t, nodetest.Config(t.TempDir()))
	before := n.Ledger().Latest()
	acct := nodetest.NewAccount(t)
	// Signed for another chain: admission would refuse it, so it is put
	// in the mempool directly, as a proposal from elsewhere could carry it.
	bad, err := tx.SignCall(tx.Call{From: acct.Addr, Contract: common.HexToAddress("0x01"), Method: "m", Args: []byte(`{}`), GasLimit: 1000}, n.ChainID()+1, acct.Key)
	if err != nil {
		t.Fatal(err)
	}
	entry := mempool.Entry[*tx.Tx]{Hash: bad.Hash(), Sender: acct.Addr, Nonce: 0, Size: 100, Tx: bad}
	if _, err := n.Pool().Add(entry, 0, n.Pool().Epoch()); err != nil {
		t.Fatal(err)
	}
	a, err := n.ProduceBlock(context.Background())
	if err != nil || a != nil {
		t.Fatalf("ProduceBlock = %v, %v; want no block and no error", a, err)
	}
	after := n.Ledger().Latest()
	if after.Hash() != before.Hash() || after.Header.StateRoot != before.Header.StateRoot {
		t.Fatalf("tip moved: %d → %d", before.Header.Height, after.Header.Height)
	}
	if n.Pool().Len() != 0 {
		t.Fatalf("mempool still holds %d", n.Pool().Len())
	}
	if reason, ok := n.Dropped(bad.Hash()); !ok || !errors.Is(reason, tx.ErrWrongChain) {
		t.Fatalf("dropped = %v, %v", reason, ok)
	}
	if got := counterValue(t, n.Registry(), "meshledger_txs_rejected_total", map[string]string{"stage": "block", "reason": "wrong_chain"}); got != 1 {
		t.Fatalf("rejected{block,wrong_chain} = %v", got)
	}
	if _, err := n.Ledger().Header(before.Header.Height + 1); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("a block was stored: %v", err)
	}
}

// counterValue reads one labelled sample of a counter from a registry.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
