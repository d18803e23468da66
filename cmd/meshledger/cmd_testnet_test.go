package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/spf13/pflag"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/cometbft"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

func TestTestnetCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	const base = 27900
	res := runCLI(t, nil, "testnet", "--orgs", "4", "--out", dir, "--base-port", fmt.Sprint(base), "--chain-id", "9")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}

	var ledgerGenesis, cometGenesis []byte
	var fragments []string
	for i := range 4 {
		orgDir := filepath.Join(dir, fmt.Sprintf("org%d", i+1))
		for _, f := range []string{"node.key", "genesis.json", "config/genesis.json", "config/priv_validator_key.json", "config/node_key.json", "config/config.toml"} {
			if _, err := os.Stat(filepath.Join(orgDir, f)); err != nil {
				t.Fatalf("org%d: %v", i+1, err)
			}
		}
		lg := readFile(t, filepath.Join(orgDir, "genesis.json"))
		cg := readFile(t, filepath.Join(orgDir, "config", "genesis.json"))
		if i == 0 {
			ledgerGenesis, cometGenesis = lg, cg
		} else if !bytes.Equal(lg, ledgerGenesis) || !bytes.Equal(cg, cometGenesis) {
			t.Fatalf("org%d holds another genesis than org1", i+1)
		}
		key, _, err := node.LoadOrCreateKey(filepath.Join(orgDir, "node.key"))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := validatorPubKey(orgDir)
		if err != nil {
			t.Fatal(err)
		}
		listen := fmt.Sprintf("127.0.0.1:%d", base+i)
		fragments = append(fragments,
			fmt.Sprintf("organisation:  org%d", i+1),
			crypto.PubkeyToAddress(key.PublicKey).Hex(),
			pub.Address().String(),
			fmt.Sprintf("@127.0.0.1:%d", base+100+2*i),
			"http://"+listen,
			filepath.Join(orgDir, "node.key"),
			fmt.Sprintf("start: meshledger node --data-dir %s --listen %s --consensus cometbft --comet-home %s", orgDir, listen, orgDir),
		)
	}
	res.want(t, 0, append(fragments, "--key "+filepath.Join(dir, "org1", "node.key")+" chain")...)

	g, err := block.ParseGenesis(ledgerGenesis)
	if err != nil {
		t.Fatal(err)
	}
	header, err := ledger.GenesisHeader(g)
	if err != nil {
		t.Fatal(err)
	}
	if !g.BFT() || g.ChainID != 9 || len(g.Orgs) != 4 || !g.EffectivePolicy().RequireManifest {
		t.Fatalf("ledger genesis %+v", g)
	}
	if !strings.Contains(res.stdout, header.Hash().Hex()) {
		t.Fatalf("output lacks the genesis block hash %s:\n%s", header.Hash().Hex(), res.stdout)
	}
	doc, err := types.GenesisDocFromJSON(cometGenesis)
	if err != nil {
		t.Fatal(err)
	}
	// The registry declares each founder's validator, as CometBFT's
	// genesis does: governance can re-weight or remove them.
	for i, o := range g.Orgs {
		if v := o.Validator; v == nil || !bytes.Equal(v.PubKey, doc.Validators[i].PubKey.Bytes()) || v.Power != doc.Validators[i].Power {
			t.Fatalf("org %s's validator in the ledger genesis: %+v", o.ID, v)
		}
	}
	if doc.ChainID != cometbft.ChainID(9) || len(doc.Validators) != 4 || doc.GenesisTime.UnixMilli() != g.TimeMs {
		t.Fatalf("cometbft genesis: chain %s, %d validators, time %s (ledger %d)", doc.ChainID, len(doc.Validators), doc.GenesisTime, g.TimeMs)
	}

	// The printed command is the node command's own syntax: parsed by its
	// flags, it gives the configuration the testnet means.
	line := regexp.MustCompile(`start: meshledger node (.*)`).FindStringSubmatch(res.stdout)
	var cfg node.Config
	fs := pflag.NewFlagSet("node", pflag.ContinueOnError)
	bindNodeFlags(fs, &cfg)
	if err := fs.Parse(strings.Fields(line[1])); err != nil {
		t.Fatal(err)
	}
	org1 := filepath.Join(dir, "org1")
	if cfg.DataDir != org1 || cfg.CometHome != org1 || cfg.Consensus != node.ConsensusCometBFT || cfg.Listen != fmt.Sprintf("127.0.0.1:%d", base) {
		t.Fatalf("printed command gives %+v", cfg)
	}

	// Never over an existing network.
	before := readFile(t, filepath.Join(org1, "node.key"))
	runCLI(t, nil, "testnet", "--out", dir).wantErr(t, 1, "is not empty")
	if !bytes.Equal(readFile(t, filepath.Join(org1, "node.key")), before) {
		t.Fatal("a refused testnet changed a key")
	}
}

func TestTestnetCommandBadArgs(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--orgs", "51"}, "51 organisations (1 to 50)"},
		{[]string{"--orgs", "-2"}, "-2 organisations"},
		{[]string{"--orgs", "many"}, "invalid argument"},
		{[]string{"--base-port", "65500"}, "leaves no room"},
	}
	for _, tt := range tests {
		out := filepath.Join(t.TempDir(), "net")
		runCLI(t, nil, append([]string{"testnet", "--out", out}, tt.args...)...).wantErr(t, 1, tt.want)
	}
	notDir := writeTemp(t, "file", "x")
	runCLI(t, nil, "testnet", "--out", notDir).wantErr(t, 1, "--out "+notDir)
}

// A testnet's printed command starts its node: CometBFT runs over the
// organisation's home and /v1/chain shows the four validators. The same
// directory started solo is refused with the flags that fit it.
func TestTestnetNodeStarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	res := runCLI(t, nil, "--json", "testnet", "--orgs", "4", "--out", dir)
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	org2 := filepath.Join(dir, "org2")
	runCLI(t, nil, "node", "--data-dir", org2, "--listen", "127.0.0.1:0").wantErr(t, 1,
		"belongs to a CometBFT network: start it with --consensus cometbft --comet-home "+org2)

	start := regexp.MustCompile(`"start": "meshledger node ([^"]*)"`).FindStringSubmatch(res.stdout)
	args := strings.Fields(start[1])
	for i := range args {
		if args[i] == "--listen" {
			args[i+1] = "127.0.0.1:0" // the printed port may be taken by now
		}
	}
	ns := metricsNamespace()
	url, stop := startCLINode(t, append(append([]string{"node"}, args...), "--comet-metrics-namespace", ns)...)
	defer stop()
	c, err := client.New(url, client.WithKey(client.NewKey(mustKey(t, filepath.Join(dir, "org1", "node.key")))))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.Chain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ch.Consensus != api.ConsensusCometBFT || len(ch.Validators) != 4 {
		t.Fatalf("chain: consensus %q, %d validators", ch.Consensus, len(ch.Validators))
	}
	runCLI(t, nil, "--node", url, "--key", filepath.Join(dir, "org1", "node.key"), "chain").want(t, 0, "consensus:", "cometbft", "validators:", "4")
	metrics := httpGet(t, url+"/metrics")
	if !strings.Contains(metrics, ns+"_consensus_height") {
		t.Fatalf("/metrics lacks CometBFT's metrics under %s", ns)
	}
}

var metricsRuns atomic.Int64

// metricsNamespace is a CometBFT metrics namespace no other node of this
// test process has registered: CometBFT registers its metrics once per
// process, and `go test -count=N` runs a test N times in one.
func metricsNamespace() string { return fmt.Sprintf("clitest%d", metricsRuns.Add(1)) }

// startCLINode runs a node command in-process until stop and returns its
// API URL.
func startCLINode(t *testing.T, args ...string) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, args, env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	}()
	addr := regexp.MustCompile(`HTTP API listening" addr=(127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(time.Minute); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("node exited with %d:\n%s", code, errb.String())
		default:
		}
		if m := addr.FindStringSubmatch(errb.String()); m != nil {
			url = "http://" + m[1]
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("node did not report its address:\n%s", errb.String())
	}
	return url, func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 && code != 130 {
				t.Errorf("node exit code %d:\n%s", code, errb.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("node did not stop")
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustKey(t *testing.T, path string) *ecdsa.PrivateKey {
	t.Helper()
	k, _, err := node.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
