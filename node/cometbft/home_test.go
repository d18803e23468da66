package cometbft_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"

	"github.com/meshledger/meshledger/node/cometbft"
)

func TestInitHomeWritesConfig(t *testing.T) {
	dir := t.TempDir()
	opts := cometbft.HomeOptions{
		Moniker: "org1",
		P2PPort: 30001,
		RPCPort: 30002,
		Peers:   []cometbft.Peer{{ID: peerID, Host: "127.0.0.1", Port: 30003}},
		Timing:  cometbft.Timing{TimeoutCommit: 20 * time.Millisecond},
	}
	info, err := cometbft.InitHome(dir, opts)
	if err != nil {
		t.Fatalf("InitHome: %v", err)
	}
	if info.Dir != dir || info.Moniker != "org1" || info.P2PAddr != "127.0.0.1:30001" || info.RPCAddr != "127.0.0.1:30002" {
		t.Fatalf("info = %+v", info)
	}
	if len(info.NodeID) != 40 || len(info.PubKey) != 32 || !bytes.Equal(info.Address, info.PubKey.Address()) {
		t.Fatalf("keys in info: id %q pub %X addr %X", info.NodeID, info.PubKey, info.Address)
	}
	for _, f := range []string{"config/config.toml", "config/node_key.json", "config/priv_validator_key.json", "data/priv_validator_state.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}

	c, err := cometbft.LoadConfig(dir)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"moniker", c.Moniker, "org1"},
		{"p2p laddr", c.P2P.ListenAddress, "tcp://127.0.0.1:30001"},
		{"rpc laddr", c.RPC.ListenAddress, "tcp://127.0.0.1:30002"},
		{"persistent peers", c.P2P.PersistentPeers, peerID + "@127.0.0.1:30003"},
		{"allow duplicate ip", c.P2P.AllowDuplicateIP, true},
		{"addr book strict", c.P2P.AddrBookStrict, false},
		{"pex", c.P2P.PexReactor, false},
		{"filter peers", c.FilterPeers, true},
		{"flush throttle", c.P2P.FlushThrottleTimeout, cometbft.DefaultFlushThrottle},
		{"timeout commit", c.Consensus.TimeoutCommit, 20 * time.Millisecond},
		{"timeout propose", c.Consensus.TimeoutPropose, cometbft.DefaultTimeoutPropose},
		{"peer gossip sleep", c.Consensus.PeerGossipSleepDuration, cometbft.DefaultPeerGossipSleep},
		{"create empty blocks", c.Consensus.CreateEmptyBlocks, false},
		{"mempool size", c.Mempool.Size, cometbft.DefaultMempoolSize},
		{"mempool max tx bytes", c.Mempool.MaxTxBytes, cometbft.DefaultMaxTxBytes},
		{"mempool max txs bytes", c.Mempool.MaxTxsBytes, cometbft.DefaultMempoolMaxBytes},
		{"tx indexer", c.TxIndex.Indexer, "null"},
		{"prometheus server", c.Instrumentation.Prometheus, false},
		{"root", c.RootDir, dir},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}

	// Public homes refuse private addresses and duplicate IPs; an empty
	// block interval turns empty blocks on; no RPC port, no RPC server.
	pub, err := cometbft.InitHome(dir, cometbft.HomeOptions{
		ListenHost: "0.0.0.0", ExternalHost: "node1.example.org",
		P2PPort: 30001, Public: true, Timing: cometbft.Timing{EmptyBlockInterval: 30 * time.Second},
	})
	if err != nil {
		t.Fatalf("InitHome public: %v", err)
	}
	if c, err = cometbft.LoadConfig(dir); err != nil {
		t.Fatal(err)
	}
	if !c.P2P.AddrBookStrict || c.P2P.AllowDuplicateIP || !c.Consensus.CreateEmptyBlocks ||
		c.Consensus.CreateEmptyBlocksInterval != 30*time.Second || c.RPC.ListenAddress != "" || pub.RPCAddr != "" {
		t.Errorf("public config: strict %v dupIP %v empty %v/%v rpc %q",
			c.P2P.AddrBookStrict, c.P2P.AllowDuplicateIP, c.Consensus.CreateEmptyBlocks, c.Consensus.CreateEmptyBlocksInterval, c.RPC.ListenAddress)
	}
	if c.P2P.ListenAddress != "tcp://0.0.0.0:30001" || c.P2P.ExternalAddress != "tcp://node1.example.org:30001" || pub.P2PAddr != "node1.example.org:30001" {
		t.Errorf("external address: listen %q external %q info %q", c.P2P.ListenAddress, c.P2P.ExternalAddress, pub.P2PAddr)
	}
}

func TestInitHomeKeepsKeysAndSigningState(t *testing.T) {
	dir := t.TempDir()
	first, err := cometbft.InitHome(dir, cometbft.HomeOptions{P2PPort: 30001})
	if err != nil {
		t.Fatal(err)
	}
	// A validator that has signed up to height 5 must still remember it
	// after its home is initialised again.
	state := filepath.Join(dir, "data", "priv_validator_state.json")
	signed := []byte(`{"height":"5","round":0,"step":3}`)
	if err := os.WriteFile(state, signed, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := cometbft.InitHome(dir, cometbft.HomeOptions{P2PPort: 30009})
	if err != nil {
		t.Fatalf("InitHome again: %v", err)
	}
	if again.NodeID != first.NodeID || !bytes.Equal(again.PubKey, first.PubKey) {
		t.Fatalf("keys changed: %s %X → %s %X", first.NodeID, first.PubKey, again.NodeID, again.PubKey)
	}
	if again.P2PAddr != "127.0.0.1:30009" {
		t.Fatalf("config not rewritten: %s", again.P2PAddr)
	}
	if got, _ := os.ReadFile(state); !bytes.Equal(got, signed) {
		t.Fatalf("signing state overwritten: %s", got)
	}

	other, err := cometbft.InitHome(t.TempDir(), cometbft.HomeOptions{P2PPort: 30001})
	if err != nil {
		t.Fatal(err)
	}
	if other.NodeID == first.NodeID || bytes.Equal(other.PubKey, first.PubKey) {
		t.Fatalf("two homes share a key")
	}
}

func TestBadHomes(t *testing.T) {
	tests := []struct {
		name    string
		file    string // relative to the home, written with content
		content string
	}{
		{"node key not json", "config/node_key.json", "{"},
		{"validator key not json", "config/priv_validator_key.json", "not json"},
		{"validator key without private key", "config/priv_validator_key.json", `{"address":"","pub_key":null,"priv_key":null}`},
		{"signing state not json", "data/priv_validator_state.json", "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := cometbft.InitHome(dir, cometbft.HomeOptions{P2PPort: 30001}); err != nil {
				t.Fatal(err)
			}
			if _, err := cometbft.WriteGenesis(dir, oneValidatorGenesis(t, dir)); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := cometbft.InitHome(dir, cometbft.HomeOptions{P2PPort: 30001}); !errors.Is(err, cometbft.ErrBadHome) {
				t.Errorf("InitHome: %v, want ErrBadHome", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := cometbft.Start(ctx, dir, kvstore.NewInMemoryApplication(), cometbft.StartOptions{}); !errors.Is(err, cometbft.ErrBadHome) {
				t.Errorf("Start: %v, want ErrBadHome", err)
			}
		})
	}
}

func TestStartRefuses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	app := kvstore.NewInMemoryApplication()

	if _, err := cometbft.Start(ctx, t.TempDir(), nil, cometbft.StartOptions{}); !errors.Is(err, cometbft.ErrNoApplication) {
		t.Errorf("nil application: %v", err)
	}
	if _, err := cometbft.Start(ctx, t.TempDir(), app, cometbft.StartOptions{}); err == nil {
		t.Errorf("empty home: no error")
	}

	// A config.toml CometBFT rejects.
	dir := t.TempDir()
	if _, err := cometbft.InitHome(dir, cometbft.HomeOptions{P2PPort: 30001}); err != nil {
		t.Fatal(err)
	}
	bad := []byte("[mempool]\nsize = -5\n")
	if err := os.WriteFile(filepath.Join(dir, "config", "config.toml"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := cometbft.LoadConfig(dir); !errors.Is(err, cometbft.ErrBadHome) {
		t.Errorf("LoadConfig of a negative mempool size: %v, want ErrBadHome", err)
	}

	// A home without genesis.
	dir = t.TempDir()
	if _, err := cometbft.InitHome(dir, cometbft.HomeOptions{P2PPort: 30001}); err != nil {
		t.Fatal(err)
	}
	if _, err := cometbft.Start(ctx, dir, app, cometbft.StartOptions{}); err == nil {
		t.Errorf("home without genesis: no error")
	}

	if _, err := cometbft.NewLogger(os.Stderr, "loud"); err == nil {
		t.Errorf("NewLogger with an unknown level: no error")
	}
}

// oneValidatorGenesis makes the home in dir the only validator.
func oneValidatorGenesis(t *testing.T, dir string) cometbft.GenesisParams {
	t.Helper()
	info, err := cometbft.InitHome(dir, cometbft.HomeOptions{P2PPort: 30001})
	if err != nil {
		t.Fatal(err)
	}
	return cometbft.GenesisParams{ChainID: "home-test", GenesisTime: genesisTime, Validators: []cometbft.Validator{info.Validator(1)}}
}
