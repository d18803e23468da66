package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/pflag"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/sdk/client/keystore"
)

func TestNodeCommand(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	environ := map[string]string{"MESHLEDGER_DATA_DIR": dir, "MESHLEDGER_BLOCK_INTERVAL": "20ms"}
	go func() {
		done <- run(ctx, []string{"node", "--listen", "127.0.0.1:0"}, env{stdout: &out, stderr: &errb,
			getenv: func(k string) string { return environ[k] }})
	}()
	addr := regexp.MustCompile(`HTTP API listening" addr=(127\.0\.0\.1:\d+)`)
	var url string
	for deadline := time.Now().Add(time.Minute); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case code := <-done:
			t.Fatalf("node exited with %d:\n%s", code, errb.String())
		default:
		}
		if m := addr.FindStringSubmatch(errb.String()); m != nil {
			url = "http://" + m[1]
		}
	}
	if url == "" {
		t.Fatalf("node did not report its address:\n%s", errb.String())
	}
	// The env var chose the data dir: the key is there, and the CLI's
	// --key finds it.
	keyFile := filepath.Join(dir, "node.key")
	if _, err := os.Stat(keyFile); err != nil {
		t.Fatal(err)
	}
	k, _ := keystore.LoadKeyFile(keyFile, "")
	runCLI(t, nil, "--node", url, "chain").want(t, 0, "node address:", k.Address().Hex())
	cancel()
	select {
	case code := <-done:
		if code != 0 && code != 130 {
			t.Fatalf("node exit code %d:\n%s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("node did not stop")
	}
}

func TestNodeCommandBadFlags(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"node", "--block-interval", "soon"}, "invalid argument"},
		{map[string]string{"MESHLEDGER_BLOCK_MAX_TXS": "many"}, []string{"node"}, "MESHLEDGER_BLOCK_MAX_TXS"},
		{nil, []string{"node", "--compile-workers", "many"}, "invalid argument"},
		{map[string]string{"MESHLEDGER_MEMPOOL_GAPPED_MAX_AGE": "soon"}, []string{"node"}, "MESHLEDGER_MEMPOOL_GAPPED_MAX_AGE"},
		{nil, []string{"node", "--data-dir", t.TempDir(), "--listen", "256.0.0.1:1"}, "listen"},
		{nil, []string{"node", "--data-dir", t.TempDir(), "--block-interval", "-1s"}, "BlockInterval is -1s"},
		{nil, []string{"node", "--data-dir", t.TempDir(), "--mempool-max-gapped", "-3"}, "MaxGapped is -3"},
		{nil, []string{"node", "--data-dir", t.TempDir(), "--genesis", filepath.Join(t.TempDir(), "none.json")}, "genesis"},
		{nil, []string{"node", "--data-dir", t.TempDir(), "--consensus", "raft"}, `Consensus "raft": want "solo" or "cometbft"`},
		{nil, []string{"node", "--data-dir", t.TempDir(), "--comet-log-level", "loud"}, `CometLogLevel "loud"`},
	}
	for _, tt := range tests {
		runCLI(t, tt.env, tt.args...).wantErr(t, 1, tt.want)
	}
}

// Each node flag, from the command line or the environment, reaches the
// node's config; unset, it leaves the node's own default.
func TestNodeFlagsReachConfig(t *testing.T) {
	def := node.DefaultConfig()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		got  func(node.Config) any
		want any
	}{
		{"compile-workers", []string{"--compile-workers", "4"}, nil,
			func(c node.Config) any { return c.CompileWorkers }, 4},
		{"compile-workers none", []string{"--compile-workers", "-1"}, nil,
			func(c node.Config) any { return c.CompileWorkers }, -1},
		{"compile-workers default", nil, nil,
			func(c node.Config) any { return c.CompileWorkers }, def.CompileWorkers},
		{"compile-queue", []string{"--compile-queue", "64"}, nil,
			func(c node.Config) any { return c.CompileQueue }, 64},
		{"compile-queue env", nil, map[string]string{"MESHLEDGER_COMPILE_QUEUE": "8"},
			func(c node.Config) any { return c.CompileQueue }, 8},
		{"compile-queue default", nil, nil,
			func(c node.Config) any { return c.CompileQueue }, def.CompileQueue},
		{"mempool-max-gapped", []string{"--mempool-max-gapped", "100"}, nil,
			func(c node.Config) any { return c.Mempool.MaxGapped }, 100},
		{"mempool-max-gapped env", nil, map[string]string{"MESHLEDGER_MEMPOOL_MAX_GAPPED": "7"},
			func(c node.Config) any { return c.Mempool.MaxGapped }, 7},
		{"mempool-max-gapped default", nil, nil,
			func(c node.Config) any { return c.Mempool.MaxGapped }, def.Mempool.MaxGapped},
		{"mempool-gapped-max-age", []string{"--mempool-gapped-max-age", "15s"}, nil,
			func(c node.Config) any { return c.Mempool.GappedMaxAge }, 15 * time.Second},
		{"mempool-gapped-max-age env", nil, map[string]string{"MESHLEDGER_MEMPOOL_GAPPED_MAX_AGE": "2m"},
			func(c node.Config) any { return c.Mempool.GappedMaxAge }, 2 * time.Minute},
		{"mempool-gapped-max-age default", nil, nil,
			func(c node.Config) any { return c.Mempool.GappedMaxAge }, def.Mempool.GappedMaxAge},
		{"wasm-memory-budget", []string{"--wasm-memory-budget", "512MiB"}, nil,
			func(c node.Config) any { return c.WasmMemoryBudget }, uint64(512 << 20)},
		{"block-max-txs", []string{"--block-max-txs", "50"}, nil,
			func(c node.Config) any { return c.BlockMaxTxs }, 50},
		{"consensus default", nil, nil,
			func(c node.Config) any { return c.Consensus }, node.ConsensusSolo},
		{"consensus", []string{"--consensus", "cometbft"}, nil,
			func(c node.Config) any { return c.Consensus }, node.ConsensusCometBFT},
		{"consensus env", nil, map[string]string{"MESHLEDGER_CONSENSUS": "cometbft"},
			func(c node.Config) any { return c.Consensus }, node.ConsensusCometBFT},
		{"comet-home default", nil, nil,
			func(c node.Config) any { return c.CometHome }, ""},
		{"comet-home", []string{"--comet-home", "/srv/comet"}, nil,
			func(c node.Config) any { return c.CometHome }, "/srv/comet"},
		{"comet-log-level", []string{"--comet-log-level", "info"}, nil,
			func(c node.Config) any { return c.CometLogLevel }, "info"},
		{"comet-log-level default", nil, nil,
			func(c node.Config) any { return c.CometLogLevel }, def.CometLogLevel},
		{"comet-metrics-namespace default", nil, nil,
			func(c node.Config) any { return c.CometMetricsNamespace }, "cometbft"},
		{"comet-metrics-namespace off", []string{"--comet-metrics-namespace", ""}, nil,
			func(c node.Config) any { return c.CometMetricsNamespace }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg node.Config
			fs := pflag.NewFlagSet("node", pflag.ContinueOnError)
			bindNodeFlags(fs, &cfg)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := applyEnv(fs, func(k string) string { return tt.env[k] }); err != nil {
				t.Fatal(err)
			}
			if got := tt.got(cfg); got != tt.want {
				t.Fatalf("%v %v: got %v (%T), want %v (%T)", tt.args, tt.env, got, got, tt.want, tt.want)
			}
		})
	}
}

// --consensus cometbft on a directory without a genesis is refused before
// the node starts: nothing is written there, so the directory can still
// be prepared for a CometBFT network.
func TestNodeCommandCometBFTWithoutGenesis(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	runCLI(t, nil, "node", "--data-dir", dir, "--consensus", "cometbft").wantErr(t, 1,
		"--consensus cometbft: "+filepath.Join(dir, "genesis.json")+" does not exist: prepare "+dir+" with 'meshledger testnet'")
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the refused node left %s behind (%v)", dir, err)
	}
	// A solo chain's directory started as a validator is told what it is.
	solo := t.TempDir()
	g := block.DevGenesis(1337, 1_700_000_000_000, common.HexToAddress("0x01"))
	raw, _ := json.Marshal(g)
	if err := os.WriteFile(filepath.Join(solo, "genesis.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	runCLI(t, nil, "node", "--data-dir", solo, "--consensus", "cometbft", "--listen", "127.0.0.1:0").wantErr(t, 1,
		solo+" holds no CometBFT network's genesis: drop --consensus to run a solo node")
}
