package client_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// TestLineageAgainstNode writes one key several times on a real node,
// verifies its whole lineage page by page, then has a lying proxy alter
// it in each way a node could and checks the precise refusal.
func TestLineageAgainstNode(t *testing.T) {
	n := nodetest.Start(t, nodetest.Config(t.TempDir()))
	opts := []client.Option{client.WithKey(client.NewKey(n.Key())), client.WithTrustedNodes(n.Address()),
		client.WithPollInterval(20 * time.Millisecond)}
	c, err := client.New(n.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := callAndWait(ctx(t), c, client.DeployOp(nodetest.LoanWasm(t), "loan", nil))
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	loan := *rec.Receipt.ContractAddress
	borrower, _ := client.GenerateKey()
	if _, err := callAndWait(ctx(t), c, client.CallOp(loan, "create", loanArgs("L1", borrower.Address(), c.Key().Address()))); err != nil {
		t.Fatalf("create: %v", err)
	}
	const pays = 4
	for i := range pays {
		if _, err := callAndWait(ctx(t), c, client.CallOp(loan, "pay", map[string]any{"id": "L1", "amount": 1000 + i})); err != nil {
			t.Fatalf("pay %d: %v", i, err)
		}
	}
	key := []byte("loan/L1")
	for _, size := range []int{1, 2, 100} {
		entries, err := c.Lineage(ctx(t), loan, key, client.PageSize(size))
		if err != nil {
			t.Fatalf("page size %d: %v", size, err)
		}
		if len(entries) != pays+1 {
			t.Fatalf("page size %d: %d versions, want %d", size, len(entries), pays+1)
		}
		for i, e := range entries {
			if e.Version != uint64(i+1) {
				t.Fatalf("entry %d is version %d", i, e.Version)
			}
		}
	}
	// A key never written has an empty, verified lineage.
	if entries, err := c.Lineage(ctx(t), loan, []byte("loan/none")); err != nil || len(entries) != 0 {
		t.Fatalf("never written: %d entries, %v", len(entries), err)
	}

	t.Run("javascript", func(t *testing.T) { testLineageWithJS(t, n, loan.Hex(), key, pays+1) })

	type page = api.Lineage
	tests := []struct {
		name    string
		alter   func(p *page) bool // reports whether it changed this page
		kind    error
		version uint64
	}{
		{"changed value", func(p *page) bool { return at(p, 2, func(e *api.LineageEntry) { e.Value = []byte(`{"tampered":1}`) }) }, client.ErrLineageAltered, 2},
		{"dropped entry", func(p *page) bool {
			for i := range p.Entries {
				if p.Entries[i].Version == 3 {
					p.Entries = append(p.Entries[:i], p.Entries[i+1:]...)
					return true
				}
			}
			return false
		}, client.ErrLineageMissing, 3},
		{"dropped newest entry", func(p *page) bool {
			if p.NextCursor == "" && len(p.Entries) > 0 {
				p.Entries = p.Entries[:len(p.Entries)-1]
				return true
			}
			return false
		}, client.ErrLineageMissing, pays + 1},
		{"reordered entries", func(p *page) bool {
			for i := 0; i+1 < len(p.Entries); i++ {
				if p.Entries[i].Version == 2 {
					p.Entries[i], p.Entries[i+1] = p.Entries[i+1], p.Entries[i]
					return true
				}
			}
			return false
		}, client.ErrLineageOrder, 2},
		{"altered prev", func(p *page) bool { return at(p, 4, func(e *api.LineageEntry) { e.Prev[0] ^= 1 }) }, client.ErrLineageAltered, 4},
		{"altered tx proof", func(p *page) bool { return at(p, 3, func(e *api.LineageEntry) { e.TxProof[0][3] ^= 1 }) }, client.ErrLineageProof, 3},
		{"wrong header", func(p *page) bool {
			var other api.SignedHeader
			found := at(p, 3, func(e *api.LineageEntry) { other = e.Header })
			return found && at(p, 2, func(e *api.LineageEntry) { e.Header = other })
		}, client.ErrLineageProof, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := false
			url := nodetest.TamperProxy(t, n.URL(), func(r *http.Request, status int, body []byte) []byte {
				if status != http.StatusOK || !strings.Contains(r.URL.Path, "/history/") || r.URL.Query().Get(api.ParamProofs) != "true" {
					return body
				}
				var p page
				if err := json.Unmarshal(body, &p); err != nil {
					t.Errorf("decode lineage page: %v", err)
					return body
				}
				if !tt.alter(&p) {
					return body
				}
				changed = true
				out, err := json.Marshal(p)
				if err != nil {
					t.Errorf("encode lineage page: %v", err)
					return body
				}
				return out
			})
			lc, err := client.New(url, opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = lc.Lineage(ctx(t), loan, key)
			if !changed {
				t.Fatal("the proxy altered nothing")
			}
			var le *client.LineageError
			if !errors.As(err, &le) || !errors.Is(err, tt.kind) || !errors.Is(err, client.ErrVerify) || le.Version != tt.version {
				t.Fatalf("err = %v, want %v at version %d", err, tt.kind, tt.version)
			}
		})
	}
}

// at applies fn to the entry of version v in p, if p holds it.
func at(p *api.Lineage, v uint64, fn func(*api.LineageEntry)) bool {
	for i := range p.Entries {
		if p.Entries[i].Version == v {
			fn(&p.Entries[i])
			return true
		}
	}
	return false
}

// testLineageWithJS checks a real lineage, then altered copies of it,
// with testdata/verify_lineage.mjs: the JavaScript recipe of docs/api.md
// on @ethereumjs/mpt and ethers. It is skipped unless ETHERS_DIR names a
// directory where `make ethers` installed them.
func testLineageWithJS(t *testing.T, n *nodetest.Node, contract string, key []byte, versions int) {
	dir := os.Getenv("ETHERS_DIR")
	if dir == "" {
		t.Skip("ETHERS_DIR not set")
	}
	for _, m := range []string{"ethers", "@ethereumjs/mpt", "@ethereumjs/rlp"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", m)); err != nil {
			t.Skipf("%s not installed in ETHERS_DIR: %v", m, err)
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skipf("node not found: %v", err)
	}
	// Record the pages as served, two entries a page, through a
	// pass-through proxy in front of the node.
	var pages []api.Lineage
	url := nodetest.TamperProxy(t, n.URL(), func(r *http.Request, status int, body []byte) []byte {
		var p api.Lineage
		if status == http.StatusOK && r.URL.Query().Get(api.ParamProofs) == "true" && json.Unmarshal(body, &p) == nil {
			pages = append(pages, p)
		}
		return body
	})
	c, err := client.New(url, client.WithKey(client.NewKey(n.Key())), client.WithTrustedNodes(n.Address()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lineage(ctx(t), common.HexToAddress(contract), key, client.PageSize(2)); err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("testdata/verify_lineage.mjs")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(dir, "meshledger_verify_lineage_*.mjs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(f.Name()) })
	if _, err := f.Write(script); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	run := func(pages []api.Lineage) (ok bool, version uint64, msg string) {
		t.Helper()
		in, err := json.Marshal(map[string]any{"trusted": n.Address().Hex(), "pages": pages})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "pages.json")
		if err := os.WriteFile(path, in, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(t.Context(), "node", f.Name(), path).Output()
		if err != nil {
			t.Fatalf("node: %v", err)
		}
		var res struct {
			OK       bool   `json:"ok"`
			Versions int    `json:"versions"`
			Version  uint64 `json:"version"`
			Error    string `json:"error"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("decode %s: %v", out, err)
		}
		if res.OK && res.Versions != versions {
			t.Fatalf("JS verified %d versions, want %d", res.Versions, versions)
		}
		return res.OK, res.Version, res.Error
	}
	if ok, _, msg := run(pages); !ok {
		t.Fatalf("JS refused the real lineage: %s", msg)
	}
	clone := func() []api.Lineage {
		var c []api.Lineage
		b, _ := json.Marshal(pages)
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tt := range []struct {
		name    string
		alter   func([]api.Lineage) bool
		version uint64
	}{
		{"changed value", func(ps []api.Lineage) bool { return atAny(ps, 2, func(e *api.LineageEntry) { e.Value = []byte("x") }) }, 2},
		{"altered prev", func(ps []api.Lineage) bool { return atAny(ps, 4, func(e *api.LineageEntry) { e.Prev[5] ^= 1 }) }, 4},
		{"dropped newest", func(ps []api.Lineage) bool {
			l := &ps[len(ps)-1]
			if len(l.Entries) == 0 {
				return false
			}
			l.Entries = l.Entries[:len(l.Entries)-1]
			return true
		}, uint64(versions)},
	} {
		ps := clone()
		if !tt.alter(ps) {
			t.Fatalf("%s: nothing altered", tt.name)
		}
		if ok, v, msg := run(ps); ok || v != tt.version {
			t.Errorf("%s: JS ok=%v at version %d (%s), want refused at version %d", tt.name, ok, v, msg, tt.version)
		}
	}
}

func atAny(ps []api.Lineage, v uint64, fn func(*api.LineageEntry)) bool {
	for i := range ps {
		if at(&ps[i], v, fn) {
			return true
		}
	}
	return false
}
