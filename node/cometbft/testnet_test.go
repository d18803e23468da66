package cometbft_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/node/cometbft"
)

func TestTestnetLayout(t *testing.T) {
	out := t.TempDir()
	info, err := cometbft.Testnet(out, 4, cometbft.TestnetOptions{GenesisTime: genesisTime, RPC: true})
	if err != nil {
		t.Fatalf("Testnet: %v", err)
	}
	if len(info.Homes) != 4 || info.Genesis.ChainID != cometbft.DefaultTestnetChainID || len(info.Genesis.Validators) != 4 {
		t.Fatalf("info: %d homes, genesis %+v", len(info.Homes), info.Genesis)
	}
	ports := map[string]bool{}
	var genesis []byte
	for i, h := range info.Homes {
		name := "org" + string(rune('1'+i))
		if h.Moniker != name || h.Dir != filepath.Join(out, name) {
			t.Errorf("home %d: %s in %s", i, h.Moniker, h.Dir)
		}
		for _, a := range []string{h.P2PAddr, h.RPCAddr} {
			if a == "" || ports[a] || !strings.HasPrefix(a, "127.0.0.1:") {
				t.Errorf("home %d: address %q empty, repeated or off loopback", i, a)
			}
			ports[a] = true
		}
		gv := info.Genesis.Validators[i]
		if gv.Name != name || !bytes.Equal(gv.PubKey.Bytes(), h.PubKey) || gv.Power != cometbft.DefaultValidatorPower {
			t.Errorf("genesis validator %d = %+v, home key %X", i, gv, h.PubKey)
		}

		b, err := os.ReadFile(filepath.Join(h.Dir, "config", "genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		if genesis == nil {
			genesis = b
		} else if !bytes.Equal(genesis, b) {
			t.Errorf("%s holds another genesis", name)
		}

		// Each home dials every other, never itself.
		c, err := cometbft.LoadConfig(h.Dir)
		if err != nil {
			t.Fatal(err)
		}
		peers := strings.Split(c.P2P.PersistentPeers, ",")
		if len(peers) != 3 {
			t.Errorf("%s peers %q", name, c.P2P.PersistentPeers)
		}
		for j, o := range info.Homes {
			want := o.Peer().String()
			has := strings.Contains(c.P2P.PersistentPeers, want)
			if has != (i != j) {
				t.Errorf("%s lists %s: %v", name, want, has)
			}
		}
	}

	// Laid out again, the network keeps its keys.
	again, err := cometbft.Testnet(out, 4, cometbft.TestnetOptions{GenesisTime: genesisTime, BasePort: 40000})
	if err != nil {
		t.Fatalf("Testnet again: %v", err)
	}
	for i := range again.Homes {
		if again.Homes[i].NodeID != info.Homes[i].NodeID || !bytes.Equal(again.Homes[i].PubKey, info.Homes[i].PubKey) {
			t.Errorf("home %d keys changed", i)
		}
	}
	if again.Homes[1].P2PAddr != "127.0.0.1:40002" || again.Homes[1].RPCAddr != "" {
		t.Errorf("base port layout: %s rpc %q", again.Homes[1].P2PAddr, again.Homes[1].RPCAddr)
	}
}

func TestTestnetRefuses(t *testing.T) {
	tests := []struct {
		name string
		n    int
		opts cometbft.TestnetOptions
		want error
	}{
		{"no validators", 0, cometbft.TestnetOptions{GenesisTime: genesisTime}, cometbft.ErrInvalidTestnet},
		{"negative base port", 2, cometbft.TestnetOptions{GenesisTime: genesisTime, BasePort: -1}, cometbft.ErrInvalidTestnet},
		{"ports past 65535", 4, cometbft.TestnetOptions{GenesisTime: genesisTime, BasePort: 65530}, cometbft.ErrInvalidTestnet},
		{"no genesis time", 2, cometbft.TestnetOptions{}, cometbft.ErrInvalidGenesis},
		{"bad home template", 2, cometbft.TestnetOptions{GenesisTime: genesisTime, Home: cometbft.HomeOptions{Moniker: "x", Mempool: cometbft.MempoolLimits{Size: -1}}}, cometbft.ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := cometbft.Testnet(t.TempDir(), tt.n, tt.opts); !errors.Is(err, tt.want) {
				t.Fatalf("Testnet: %v, want %v", err, tt.want)
			}
		})
	}
}
