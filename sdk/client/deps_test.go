package client_test

import (
	"os/exec"
	"strings"
	"testing"
)

// heavyDeps are import-path prefixes a partner's client must never link:
// the ledger's storage and trie machinery (go-ethereum's trie, triedb,
// core, ethdb and the metrics, era, gopsutil and KZG code they bring),
// go-ethereum's account manager (only sdk/client/keystore may link it), and
// the node, the ledger internals and the Wasm runtime. Each was reachable
// from this package once; the client only signs, sends and verifies.
var heavyDeps = []string{
	"github.com/ethereum/go-ethereum/trie",
	"github.com/ethereum/go-ethereum/triedb",
	"github.com/ethereum/go-ethereum/core",
	"github.com/ethereum/go-ethereum/ethdb",
	"github.com/ethereum/go-ethereum/accounts",
	"github.com/ethereum/go-ethereum/metrics",
	"github.com/ethereum/go-ethereum/internal",
	"github.com/ethereum/go-ethereum/crypto/kzg4844",
	"github.com/ethereum/go-ethereum/params",
	"github.com/crate-crypto/",
	"github.com/consensys/",
	"github.com/shirou/gopsutil",
	"github.com/syndtr/goleveldb",
	"github.com/tetratelabs/wazero",
	"github.com/labstack/echo",
	"github.com/meshledger/meshledger/sdk/client/keystore",
	"github.com/meshledger/meshledger/ledger/internal",
	"github.com/meshledger/meshledger/ledger/state",
	"github.com/meshledger/meshledger/ledger/storage",
	"github.com/meshledger/meshledger/runtime",
	"github.com/meshledger/meshledger/node",
}

// TestClientStaysLight fails when a change makes the client link one of
// heavyDeps, and names the chain of imports that pulls it in. It asks the
// go command (as a partner's build would), so it skips where there is none.
func TestClientStaysLight(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not on PATH")
	}
	const self = "github.com/meshledger/meshledger/sdk/client"
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}", self).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	importers := map[string][]string{} // package -> packages importing it
	var deps []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		deps = append(deps, pkg)
		for _, imp := range strings.Fields(imports) {
			importers[imp] = append(importers[imp], pkg)
		}
	}
	if len(deps) < 2 {
		t.Fatalf("go list gave %d packages: %q", len(deps), out)
	}
	for _, dep := range deps {
		for _, heavy := range heavyDeps {
			if dep == heavy || strings.HasPrefix(dep, heavy) && (strings.HasSuffix(heavy, "/") || strings.HasPrefix(dep[len(heavy):], "/")) {
				t.Errorf("%s links %s via %s", self, dep, chain(importers, dep, self))
			}
		}
	}
}

// chain is one import path from self down to dep, for the failure message.
func chain(importers map[string][]string, dep, self string) string {
	path := []string{dep}
	seen := map[string]bool{dep: true}
	for cur := dep; cur != self; {
		next := ""
		for _, imp := range importers[cur] {
			if !seen[imp] {
				next = imp
				break
			}
		}
		if next == "" {
			break
		}
		seen[next] = true
		path = append(path, next)
		cur = next
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return strings.Join(path, " -> ")
}
