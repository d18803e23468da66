package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/client"
)

// testNet is a started node, a client signing as its admin, and the loan
// contract once the deploy subtest has run.
type testNet struct {
	node     *nodetest.Node
	admin    *client.Client
	keyFile  string // the admin's key file
	wasmFile string // the loan contract module
	loan     common.Address
}

func startNet(t *testing.T) *testNet {
	t.Helper()
	n := nodetest.Start(t, nodetest.Config(t.TempDir()))
	c, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())), client.WithTrustedNodes(n.Address()),
		client.WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	wasm := filepath.Join(t.TempDir(), "loan.wasm")
	if err := os.WriteFile(wasm, nodetest.LoanWasm(t), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testNet{node: n, admin: c, keyFile: filepath.Join(n.Dir, node.KeyFile), wasmFile: wasm}
}

// TestAgainstNode runs the CLI's tests against one real
// node: starting it and deploying the loan contract (compiling a Go Wasm
// module) is by far the slowest part, so it is done once.
func TestAgainstNode(t *testing.T) {
	tn := startNet(t)
	t.Run("cli/deploy", func(t *testing.T) { testCLIDeploy(t, tn) })
	if tn.loan == (common.Address{}) {
		t.Fatal("no loan contract deployed; the other tests need it")
	}
	for _, tt := range []struct {
		name string
		fn   func(*testing.T, *testNet)
	}{
		{"cli/call", testCLICall},
		{"cli/query", testCLIQuery},
		{"cli/state", testCLIState},
		{"cli/history", testCLIHistory},
		{"cli/tx", testCLITx},
		{"cli/block", testCLIBlock},
		{"cli/events", testCLIEvents},
		{"cli/chain", testCLIChain},
		{"cli/contracts", testCLIContracts},
		{"cli/contract-show", testCLIContractShow},
		{"cli/bench", testCLIBench},
		// Governance last, in this order: each leaves one organisation.
		{"cli/member", testCLIMember},
		{"cli/org", testCLIOrg},
		{"cli/proposal", testCLIProposal},
		{"cli/policy", testCLIPolicy},
		{"cli/role", testCLIRole},
		{"cli/contract-upgrade", testCLIContractUpgrade},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, tn) })
	}
}

// cliResult is one finished command line.
type cliResult struct {
	code           int
	stdout, stderr string
}

// syncBuffer is a bytes.Buffer safe to read while a command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCLI runs a command line in-process with the given environment.
func runCLI(t *testing.T, environ map[string]string, args ...string) cliResult {
	t.Helper()
	var out, errb syncBuffer
	code := run(ctx(t), args, env{stdout: &out, stderr: &errb, getenv: func(k string) string { return environ[k] }})
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

// cli runs a command line against the test node, signing with the admin
// key.
func (tn *testNet) cli(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runCLI(t, nil, append([]string{"--node", tn.node.URL(), "--key", tn.keyFile}, args...)...)
}

// want checks a result's exit code and that stdout contains each of the
// fragments, in order.
func (r cliResult) want(t *testing.T, code int, fragments ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	rest := r.stdout
	for _, f := range fragments {
		i := strings.Index(rest, f)
		if i < 0 {
			t.Fatalf("stdout lacks %q (in order)\nstdout:\n%s\nstderr:\n%s", f, r.stdout, r.stderr)
		}
		rest = rest[i+len(f):]
	}
}

// wantErr checks a failing result's exit code and error message.
func (r cliResult) wantErr(t *testing.T, code int, fragment string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stderr, fragment) {
		t.Fatalf("exit %d, stderr %q; want exit %d and %q\nstdout:\n%s", r.code, r.stderr, code, fragment, r.stdout)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return c
}
