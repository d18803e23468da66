package histlog

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger/storage"
)

// jsLogCase is one proof for testdata/verify_rfc6962.mjs, an RFC 9162
// verifier written independently of the Go library.
type jsLogCase struct {
	Name      string        `json:"name"`
	Kind      string        `json:"kind"` // "inclusion" or "consistency"
	Index     uint64        `json:"index"`
	Size      uint64        `json:"size"`
	BlockHash common.Hash   `json:"blockHash"`
	Root      common.Hash   `json:"root"`
	From      uint64        `json:"from"`
	To        uint64        `json:"to"`
	FromRoot  common.Hash   `json:"fromRoot"`
	ToRoot    common.Hash   `json:"toRoot"`
	Hashes    []common.Hash `json:"hashes"`

	want bool
}

// TestJSVerifiesGoProofs: every inclusion and consistency proof of logs up
// to 21 leaves made here is accepted by the JavaScript verifier, and each
// altered one (a flipped hash, a wrong index or size, a dropped hash, a
// wrong root) is refused.
func TestJSVerifiesGoProofs(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node (JavaScript) not installed: the RFC 6962 interop check needs it")
	}
	const n = 21
	db := storage.OpenMemory()
	l, _ := Open(db, 0)
	appendWritten(t, l, db, 0, n)
	var cases []jsLogCase
	add := func(c jsLogCase, want bool) {
		c.want = want
		if c.Hashes == nil {
			c.Hashes = []common.Hash{}
		}
		cases = append(cases, c)
	}
	flip := func(hs []common.Hash, i int) []common.Hash {
		out := append([]common.Hash(nil), hs...)
		out[i][0] ^= 1
		return out
	}
	for size := uint64(1); size <= n; size++ {
		root, _ := l.Root(size)
		for i := uint64(0); i < size; i++ {
			path, err := l.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			c := jsLogCase{Name: fmt.Sprintf("incl %d/%d", i, size), Kind: "inclusion", Index: i, Size: size, BlockHash: blockHash(i), Root: root, Hashes: path}
			add(c, true)
			bad := c
			bad.Name, bad.Root = c.Name+" other root", LeafHash(root)
			add(bad, false)
			bad = c
			bad.Name, bad.BlockHash = c.Name+" other block", blockHash(i+1)
			add(bad, false)
			if len(path) > 0 {
				bad = c
				bad.Name, bad.Hashes = c.Name+" flipped", flip(path, len(path)-1)
				add(bad, false)
				bad = c
				bad.Name, bad.Hashes = c.Name+" dropped", path[:len(path)-1]
				add(bad, false)
				bad = c
				bad.Name, bad.Index = c.Name+" other index", (i+1)%size
				add(bad, false)
			}
		}
		for from := uint64(0); from <= size; from++ {
			fromRoot, _ := l.Root(from)
			path, err := l.ConsistencyProof(from, size)
			if err != nil {
				t.Fatal(err)
			}
			c := jsLogCase{Name: fmt.Sprintf("cons %d..%d", from, size), Kind: "consistency", From: from, To: size, FromRoot: fromRoot, ToRoot: root, Hashes: path}
			add(c, true)
			if from > 0 {
				bad := c
				bad.Name, bad.ToRoot = c.Name+" other to root", LeafHash(root)
				add(bad, false)
			}
			if len(path) > 0 {
				bad := c
				bad.Name, bad.Hashes = c.Name+" flipped", flip(path, 0)
				add(bad, false)
				bad = c
				bad.Name, bad.Hashes = c.Name+" dropped", path[1:]
				add(bad, false)
			}
		}
	}
	in := filepath.Join(t.TempDir(), "cases.json")
	b, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), "node", filepath.Join("testdata", "verify_rfc6962.mjs"), in).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var results []struct {
		Name  string `json:"name"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("script output %.200q: %v", out, err)
	}
	if len(results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(results), len(cases))
	}
	accepted := 0
	for i, r := range results {
		if r.Name != cases[i].Name || r.OK != cases[i].want {
			t.Errorf("%s: accepted %v (%s), want %v", cases[i].Name, r.OK, r.Error, cases[i].want)
		}
		if r.OK {
			accepted++
		}
	}
	t.Logf("%d cases, %d accepted", len(cases), accepted)
}
