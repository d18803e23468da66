package node_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/cmd/internal/node"
	"github.com/meshledger/meshledger/cmd/internal/node/nodetest"
	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
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
	if len(g.Admins) != 1 || g.Admins[0] != addr {
		t.Fatalf("dev genesis admins %v, want the node key %s", g.Admins, addr)
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
				doc := `{"chain_id":7,"time_ms":1,"admins":["` + common.HexToAddress("0x01").Hex() + `"]}`
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
