package layering

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/meshledger/meshledger"

// rule forbids packages under from (module-relative) to depend, directly
// or not, on our packages under a prefix in forbidden (module-relative)
// except those under a prefix in allowed, and on others' packages under a
// prefix in external. Packages under a prefix in except (module-relative,
// below from) are not bound by the rule.
type rule struct {
	from      string
	forbidden []string
	allowed   []string
	external  []string
	except    []string
	why       string
}

// lightProtocol are the ledger packages a light client may link: the
// signed transactions, headers and proofs it checks. They carry no trie,
// database or engine.
var lightProtocol = []string{"ledger/tx", "ledger/block", "ledger/proof"}

// hostMachinery is what a light client or a guest must never link: the
// storage, the state trie and the Wasm engine.
var hostMachinery = []string{
	"github.com/ethereum/go-ethereum/trie",
	"github.com/ethereum/go-ethereum/ethdb",
	"github.com/syndtr/goleveldb",
	"github.com/tetratelabs/wazero",
}

// clientHeavy is hostMachinery plus what go-ethereum's trie, core and
// account manager bring with them (metrics, era, gopsutil, KZG): each was
// once reachable from sdk/client, which only signs, sends and verifies.
// Only sdk/client/keystore may link the account manager.
var clientHeavy = append([]string{
	"github.com/ethereum/go-ethereum/triedb",
	"github.com/ethereum/go-ethereum/core",
	"github.com/ethereum/go-ethereum/accounts",
	"github.com/ethereum/go-ethereum/metrics",
	"github.com/ethereum/go-ethereum/internal",
	"github.com/ethereum/go-ethereum/crypto/kzg4844",
	"github.com/ethereum/go-ethereum/params",
	"github.com/crate-crypto",
	"github.com/consensys",
	"github.com/shirou/gopsutil",
	"github.com/labstack/echo",
	"github.com/chromedp",
}, hostMachinery...)

var rules = []rule{
	{from: "status", forbidden: []string{"runtime", "ledger", "node", "cmd", "sdk", "internal"},
		why: "the status vocabulary is a leaf every layer, the light wire types included, may import"},
	{from: "runtime", forbidden: []string{"ledger", "node", "cmd", "sdk"},
		why: "the engine knows nothing of the ledger above it"},
	{from: "ledger", forbidden: []string{"node", "cmd", "sdk/client"},
		why: "the ledger never calls up into the node or the CLI"},
	{from: "node", forbidden: []string{"cmd"},
		// The browser driver belongs to the explorer's test suite alone.
		external: []string{"github.com/chromedp"},
		why:      "the node is a library the CLI assembles, not the other way round"},
	{from: "sdk/api", forbidden: []string{"node", "runtime", "cmd", "ledger", "sdk/client"}, allowed: lightProtocol, external: hostMachinery,
		why: "wire types link only protocol types"},
	{from: "sdk/client", forbidden: []string{"node", "runtime", "cmd", "ledger", "sdk/client/keystore"},
		// The registry's record and parameter types are protocol too (it
		// links only go-ethereum/common): the client builds its operations
		// from them.
		allowed:  []string{"ledger/tx", "ledger/block", "ledger/proof", "ledger/registry"},
		external: clientHeavy, except: []string{"sdk/client/keystore"},
		why: "a partner's client links protocol types, not the node's storage or engine"},
	{from: "sdk/contract", forbidden: []string{"runtime", "ledger", "node", "cmd", "sdk/client", "sdk/api", "sdk/build"},
		why: "guests import only the contract SDK"},
	{from: "contracts", forbidden: []string{"runtime", "ledger", "node", "cmd", "sdk/client", "sdk/api", "sdk/build"},
		why: "contracts are guests: they import only the contract SDK"},
	{from: "examples", forbidden: []string{"runtime", "ledger", "node", "cmd", "sdk/client", "sdk/api", "sdk/build"},
		except: []string{"examples/assistance"},
		why:    "examples are guests: they import only the contract SDK"},
	// examples/assistance is a partner's program, not a contract: it links
	// what a light client links, and the scenario contracts' request and
	// record types.
	{from: "examples/assistance", forbidden: []string{"node", "runtime", "cmd", "ledger", "sdk/build", "sdk/client/keystore"},
		allowed:  []string{"ledger/tx", "ledger/block", "ledger/proof", "ledger/registry"},
		external: clientHeavy,
		why:      "a client program links protocol types, not the node's storage or engine"},
}

// TestLayering fails for every dependency of a non-test package that
// breaks a rule. Tests may reach higher (node/nodetest builds whole nodes
// for them), so test imports are not checked.
func TestLayering(t *testing.T) {
	deps := listDeps(t, nil, "./...")
	// Guests are built for wasip1; their files for that target may import
	// what the host build does not see.
	for p, d := range listDeps(t, []string{"GOOS=wasip1", "GOARCH=wasm"}, "./sdk/contract/...", "./contracts/...", "./examples/...") {
		deps[p+" (wasip1)"] = d
	}
	checked := map[string]bool{}
	for pkg, ds := range deps {
		rel := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/"), " (wasip1)")
		for _, r := range rules {
			if !under(rel, r.from) || excepted(r, rel) {
				continue
			}
			checked[r.from] = true
			for _, d := range ds {
				if broken(r, d) {
					t.Errorf("%s imports %s (directly or not): %s", pkg, d, r.why)
				}
			}
		}
	}
	for _, r := range rules {
		if !checked[r.from] {
			t.Errorf("rule for %s matched no package: a directory moved; update the rules and docs/design.md", r.from)
		}
	}
}

func broken(r rule, dep string) bool {
	rel, ours := strings.CutPrefix(dep, module+"/")
	if !ours {
		for _, e := range r.external {
			if under(dep, e) {
				return true
			}
		}
		return false
	}
	for _, a := range r.allowed {
		if under(rel, a) {
			return false
		}
	}
	for _, f := range r.forbidden {
		if under(rel, f) {
			return true
		}
	}
	return false
}

func excepted(r rule, rel string) bool {
	for _, e := range r.except {
		if under(rel, e) {
			return true
		}
	}
	return false
}

// under reports whether path is prefix or a package below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// listDeps returns every package matched by patterns with its transitive
// non-test dependencies, as `go list -deps` sees them from the module root.
func listDeps(t *testing.T, env []string, patterns ...string) map[string][]string {
	t.Helper()
	args := append([]string{"list", "-e", "-f", `{{if not .Standard}}{{.ImportPath}}{{range .Deps}} {{.}}{{end}}{{end}}`}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if !strings.HasPrefix(f[0], module) {
			t.Fatalf("unexpected package %q: is %s still the module path?", f[0], module)
		}
		deps[f[0]] = f[1:]
	}
	if len(deps) == 0 {
		t.Fatalf("go list %s matched no package", strings.Join(patterns, " "))
	}
	return deps
}

// The rules catch what they are for: a violation in a made-up graph is
// reported, an allowed protocol type is not.
func TestRulesCatchViolations(t *testing.T) {
	byFrom := map[string]rule{}
	for _, r := range rules {
		byFrom[r.from] = r
	}
	tests := []struct {
		from, dep string
		want      bool
	}{
		{"runtime", module + "/ledger/state", true},
		{"runtime", module + "/runtime/internal/wasm", false},
		{"ledger", module + "/node/mempool", true},
		{"ledger", module + "/runtime", false},
		{"node", module + "/cmd/meshledger", true},
		{"node", module + "/ledger", false},
		{"sdk/client", module + "/ledger/tx", false},
		{"sdk/client", module + "/ledger/registry", false},
		{"sdk/client", module + "/ledger/state", true},
		{"sdk/client", module + "/node/httpapi", true},
		{"sdk/client", "github.com/ethereum/go-ethereum/trie", true},
		{"sdk/client", "github.com/ethereum/go-ethereum/common", false},
		{"sdk/client", "github.com/ethereum/go-ethereum/accounts/keystore", true},
		{"sdk/client", "github.com/ethereum/go-ethereum/core/rawdb", true},
		{"sdk/client", "github.com/shirou/gopsutil/v4/mem", true},
		{"sdk/client", module + "/sdk/client/keystore", true},
		{"sdk/contract", module + "/sdk/api", true},
		{"sdk/contract", "runtime", false}, // the standard library's
		{"runtime", "runtime/debug", false},
		{"contracts", module + "/sdk/contract", false},
	}
	for _, tt := range tests {
		if got := broken(byFrom[tt.from], tt.dep); got != tt.want {
			t.Errorf("%s importing %s: broken = %v, want %v", tt.from, tt.dep, got, tt.want)
		}
	}
}
