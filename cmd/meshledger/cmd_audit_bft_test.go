package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// TestAuditBFT: on a CometBFT chain, whose headers are unsigned, the audit
// ends by checking that the genesis validators committed the last block
// it replayed; a node serving commit evidence that does not verify is a
// divergence (exit 1, what "consensus"), never "verified".
func TestAuditBFT(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT validator")
	}
	dir := filepath.Join(t.TempDir(), "net")
	res := runCLI(t, nil, "--json", "testnet", "--orgs", "1", "--out", dir)
	if res.code != 0 {
		t.Fatalf("testnet: exit %d: %s", res.code, res.stderr)
	}
	start := regexp.MustCompile(`"start": "meshledger node ([^"]*)"`).FindStringSubmatch(res.stdout)
	args := strings.Fields(start[1])
	for i := range args {
		if args[i] == "--listen" {
			args[i+1] = "127.0.0.1:0"
		}
	}
	url, stop := startCLINode(t, append(append([]string{"node"}, args...), "--comet-metrics-namespace", metricsNamespace())...)
	defer stop()
	key := filepath.Join(dir, "org1", "node.key")
	addr := crypto.PubkeyToAddress(mustKey(t, key).PublicKey).Hex()
	// One organisation: its admin's proposal to make itself auditor passes at once.
	runCLI(t, nil, "--node", url, "--key", key, "role", "grant", addr, "auditor").want(t, 0, "took effect")
	runCLI(t, nil, "--node", url, "--key", key, "member", "add", nodetest.NewAccount(t).Addr.Hex(), "--roles", "servicer").want(t, 0)

	genesis := filepath.Join(dir, "org1", "genesis.json")
	auditArgs := func(node, to string) []string {
		return []string{"--node", node, "--key", key, "--json", "audit", "--quiet", "--genesis", genesis, "--to", to}
	}
	ok := runCLI(t, nil, auditArgs(url, filepath.Join(t.TempDir(), "audit"))...)
	var got auditResult
	if ok.code != 0 || json.Unmarshal([]byte(ok.stdout), &got) != nil {
		t.Fatalf("audit: exit %d\nstdout:\n%s\nstderr:\n%s", ok.code, ok.stdout, ok.stderr)
	}
	if !got.OK || !got.ConsensusVerified || got.Height < 2 {
		t.Fatalf("audit of a BFT chain: %+v, want ok and the consensus of block >= 2 verified", got)
	}

	// A node whose commit evidence was altered: one hex digit of the
	// light block flipped.
	proxy := nodetest.TamperProxy(t, url, func(r *http.Request, _ int, body []byte) []byte {
		if !strings.HasPrefix(r.URL.Path, api.PathConsensusCommits) {
			return body
		}
		var cc map[string]any
		if json.Unmarshal(body, &cc) != nil {
			return body
		}
		lb, _ := cc["lightBlock"].(string)
		if len(lb) < 100 {
			return body
		}
		b := []byte(lb)
		i := len(b) / 2
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		cc["lightBlock"] = string(b)
		out, _ := json.Marshal(cc)
		return out
	})
	bad := runCLI(t, nil, auditArgs(proxy, filepath.Join(t.TempDir(), "audit"))...)
	var failed auditResult
	if bad.code != 1 || json.Unmarshal([]byte(bad.stdout), &failed) != nil {
		t.Fatalf("audit through a forged commit: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", bad.code, bad.stdout, bad.stderr)
	}
	if failed.OK || failed.ConsensusVerified || failed.Mismatch == nil || failed.Mismatch.What != "consensus" || failed.Checkpoint != nil {
		t.Fatalf("audit through a forged commit: %+v (mismatch %+v), want a consensus mismatch and no checkpoint", failed, failed.Mismatch)
	}
}
