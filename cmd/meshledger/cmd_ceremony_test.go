package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The whole ceremony on one machine: four organisations run init,
// assemble one genesis from their cards, install it and start their
// nodes; a transaction sent to one node is committed by the network and
// read on another. Separate machines are simulated by letting CometBFT
// accept peers that share 127.0.0.1, which init's public settings refuse.
func TestGenesisCeremony(t *testing.T) {
	if testing.Short() || raceEnabled {
		// Four validators under the race detector take minutes; the
		// node's concurrency is raced in ./node/... instead.
		t.Skip("starts four validators")
	}
	root := t.TempDir()
	ids := []string{"acme", "beta", "gamma", "delta"}
	dirs := make([]string, len(ids))
	cards := make([]string, len(ids))
	for i, id := range ids {
		dirs[i] = filepath.Join(root, id)
		res := runCLI(t, nil, "init", "--org", id, "--host", "127.0.0.1", "--p2p-bind", "127.0.0.1", "--p2p-port", freePort(t), "--out", dirs[i])
		if res.code != 0 {
			t.Fatalf("init %s: %s", id, res.stderr)
		}
		cards[i] = writeTemp(t, id+".json", res.stdout)
	}
	gdir := filepath.Join(root, "genesis")
	runCLI(t, nil, "genesis", "assemble", "--cards", strings.Join(cards, ","), "--chain-id", "11",
		"--time", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "--out", gdir).want(t, 0)
	urls := make([]string, len(ids))
	for i, dir := range dirs {
		runCLI(t, nil, "genesis", "install", "--from", gdir, "--data-dir", dir).want(t, 0, "for organisation "+ids[i]+" (3 peers)")
		loopbackPeers(t, filepath.Join(dir, "cometbft", "config", "config.toml"))
		url, stop := startCLINode(t, "node", "--data-dir", dir, "--consensus", "cometbft", "--listen", "127.0.0.1:0",
			"--comet-metrics-namespace", metricsNamespace())
		defer stop()
		urls[i] = url
	}

	k, _ := newKeyFile(t)
	addr := k.Address().Hex()
	runCLI(t, nil, "--node", urls[0], "--key", filepath.Join(dirs[0], "node.key"), "member", "add", addr, "--roles", "servicer").
		want(t, 0, "status:", "committed", "result:", "ok")
	deadline := time.Now().Add(30 * time.Second)
	for {
		res := runCLI(t, nil, "--node", urls[3], "--key", filepath.Join(dirs[3], "node.key"), "member", "show", addr)
		if res.code == 0 {
			res.want(t, 0, "org:", "acme", "roles:", "servicer")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delta's node never saw acme's new member: %s", res.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	runCLI(t, nil, "--node", urls[2], "--key", filepath.Join(dirs[2], "node.key"), "chain").want(t, 0, "consensus:", "cometbft", "validators:", "4")
}

// loopbackPeers turns a home's public P2P settings into the ones for peers
// on one machine.
func loopbackPeers(t *testing.T, path string) {
	t.Helper()
	s := string(readFile(t, path))
	for old, new := range map[string]string{"addr_book_strict = true": "addr_book_strict = false", "allow_duplicate_ip = false": "allow_duplicate_ip = true"} {
		if !strings.Contains(s, old) {
			t.Fatalf("%s lacks %q", path, old)
		}
		s = strings.Replace(s, old, new, 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// freePort is a port the operating system had free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}
