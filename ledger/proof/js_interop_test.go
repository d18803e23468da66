package proof_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/internal/roots"
	"github.com/meshledger/meshledger/ledger/proof"
	"github.com/meshledger/meshledger/ledger/state"
	"github.com/meshledger/meshledger/ledger/state/statetest"
)

// outcome is what the JavaScript verifier must make of a proof.
type outcome int

const (
	wantValue     outcome = iota // accepted, proving leaf (and, for state, value)
	wantAbsent                   // accepted, proving absence
	wantRejected                 // rejected
	wantNoValue                  // absent or rejected, never a value
	wantTombstone                // accepted, proving the leaf of a deleted key: absent, with its lineage
)

// jsCase is one proof handed to testdata/verify_mpt.mjs. Proof is, for
// state, the proof.StateProof JSON that clients receive.
type jsCase struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"` // "state" or "index"
	Proof any    `json:"proof"`
	// TrieKey is, for state, proof.StateTrieKey: the script also verifies
	// with it as the key and key hashing off, the other documented form.
	TrieKey hexutil.Bytes `json:"trieKey,omitempty"`

	want outcome
	// key is what the script must pass to the verifier: contract ‖ key for
	// state (the trie hashes it), rlp(index) for transactions and receipts.
	key   []byte
	leaf  []byte // the leaf the verifier returns: the state entry or the raw item
	value []byte // state only: the decoded value
	entry *proof.Entry
}

type indexProof struct {
	Root  common.Hash     `json:"root"`
	Index uint64          `json:"index"`
	Nodes []hexutil.Bytes `json:"nodes"`
}

// jsResult is what the script reports for one case.
type jsResult struct {
	Name    string         `json:"name"`
	Key     hexutil.Bytes  `json:"key"`
	OK      bool           `json:"ok"`
	Leaf    *hexutil.Bytes `json:"leaf"`
	Value   *hexutil.Bytes `json:"value"`
	Deleted bool           `json:"deleted"`
	Version uint64         `json:"version"`
	Prev    *common.Hash   `json:"prev"`
	Error   string         `json:"error"`
}

var jsContracts = []common.Address{
	common.HexToAddress("0x00000000000000000000000000000000000a11ce"),
	common.HexToAddress("0x0000000000000000000000000000000000000b0b"),
	common.HexToAddress("0xca7ca7ca7ca7ca7ca7ca7ca7ca7ca7ca7ca7ca7c"),
}

// jsValue gives keys a mix of empty, short and long values, so that the
// proofs hold leaf 0x80, short strings and long strings.
func jsValue(c, i, height int) []byte {
	switch {
	case i%9 == 0:
		return []byte{}
	case i%7 == 0:
		return bytes.Repeat([]byte{byte(c), byte(i), byte(height)}, 40)
	default:
		return fmt.Appendf(nil, "c%d/v%d/b%d", c, i, height)
	}
}

func jsKey(i int) []byte { return fmt.Appendf(nil, "k/%03d", i) }

// stateCases commits two blocks over three contracts (the same key bytes in
// each, with different values) and returns proofs of inclusion and absence
// at both roots, plus altered proofs that every verifier must reject.
func stateCases(t *testing.T) []jsCase {
	t.Helper()
	s := statetest.MustOpen(t)
	const keys = 100
	commit := func(parent common.Hash, height uint64, changes []state.Change) common.Hash {
		t.Helper()
		b := s.KV.NewBatch()
		root, err := s.State.Commit(parent, height, changes, b)
		if err != nil {
			t.Fatalf("commit block %d: %v", height, err)
		}
		if err := b.Write(); err != nil {
			t.Fatalf("write block %d: %v", height, err)
		}
		return root
	}

	// Block 1: keys 0..99 in every contract.
	var changes []state.Change
	for c, addr := range jsContracts {
		for i := range keys {
			changes = append(changes, state.Change{Contract: addr, Key: jsKey(i), Value: jsValue(c, i, 1)})
		}
	}
	root1 := commit(proof.EmptyRoot, 1, changes)

	// Block 2: update i%5==1, delete i%10==2, insert keys 100..109.
	changes = nil
	for c, addr := range jsContracts {
		for i := range keys + 10 {
			switch {
			case i >= keys || i%5 == 1:
				changes = append(changes, state.Change{Contract: addr, Key: jsKey(i), Value: jsValue(c, i, 2)})
			case i%10 == 2:
				changes = append(changes, state.Change{Contract: addr, Key: jsKey(i), Delete: true})
			}
		}
	}
	root2 := commit(root1, 2, changes)

	prove := func(name string, root common.Hash, c int, key []byte, want outcome, value []byte) jsCase {
		t.Helper()
		p, err := s.State.Prove(root, jsContracts[c], key)
		if err != nil {
			t.Fatalf("%s: prove: %v", name, err)
		}
		if err := p.Verify(); err != nil {
			t.Fatalf("%s: Go verifier: %v", name, err)
		}
		if p.Exists != (want == wantValue) || (want == wantValue && !bytes.Equal(p.Value, value)) {
			t.Fatalf("%s: proof says exists=%v value=%x, want %x", name, p.Exists, p.Value, value)
		}
		jc := stateCase(name, p, want)
		if want == wantValue || want == wantTombstone {
			e, err := s.State.EntryAt(root, jsContracts[c], key)
			if err != nil || e == nil {
				t.Fatalf("%s: entry: %+v %v", name, e, err)
			}
			jc.leaf, jc.entry = e.Encode(), e
			jc.value = value
		}
		return jc
	}

	var cases []jsCase
	for c := range jsContracts {
		for i := range keys + 10 {
			name := fmt.Sprintf("state/c%d/%s", c, jsKey(i))
			switch {
			case i%10 == 2 && i < keys:
				cases = append(cases,
					prove(name+"/deleted", root2, c, jsKey(i), wantTombstone, nil),
					prove(name+"/before-delete", root1, c, jsKey(i), wantValue, jsValue(c, i, 1)))
			case i >= keys:
				cases = append(cases,
					prove(name+"/inserted", root2, c, jsKey(i), wantValue, jsValue(c, i, 2)),
					prove(name+"/before-insert", root1, c, jsKey(i), wantAbsent, nil))
			case i%5 == 1:
				cases = append(cases,
					prove(name+"/updated", root2, c, jsKey(i), wantValue, jsValue(c, i, 2)),
					prove(name+"/before-update", root1, c, jsKey(i), wantValue, jsValue(c, i, 1)))
			default:
				cases = append(cases, prove(name, root2, c, jsKey(i), wantValue, jsValue(c, i, 1)))
			}
		}
		cases = append(cases, prove(fmt.Sprintf("state/c%d/never-written", c), root2, c, []byte("missing"), wantAbsent, nil))
	}
	other := common.HexToAddress("0x000000000000000000000000000000000000dead")
	absent, err := s.State.Prove(root2, other, jsKey(3))
	if err != nil || absent.Exists {
		t.Fatalf("prove key of unknown contract: exists=%v err=%v", absent != nil && absent.Exists, err)
	}
	cases = append(cases, stateCase("state/unknown-contract", absent, wantAbsent))

	// The empty state has no root node: the proof is the empty list.
	empty := prove("state/empty-trie", proof.EmptyRoot, 0, jsKey(3), wantAbsent, nil)
	empty.want = wantNoValue
	cases = append(cases, empty)

	return append(cases, tamperedStateCases(t, s.State, root1, root2)...)
}

// tamperedStateCases alters real proofs in ways that must make every
// verifier reject them; the Go verifier is checked to reject them too.
func tamperedStateCases(t *testing.T, db *state.DB, root1, root2 common.Hash) []jsCase {
	t.Helper()
	updated := jsKey(11) // updated in block 2, so its leaf differs between the roots
	tests := []struct {
		name  string
		alter func(p *proof.StateProof)
	}{
		{"flipped-leaf-value-byte", func(p *proof.StateProof) { last(p.Nodes)[len(last(p.Nodes))-1] ^= 0x01 }},
		{"flipped-root-node-byte", func(p *proof.StateProof) { p.Nodes[0][5] ^= 0x80 }},
		{"wrong-root", func(p *proof.StateProof) { p.Root = root1 }},
		{"leaf-dropped", func(p *proof.StateProof) { p.Nodes = p.Nodes[:len(p.Nodes)-1] }},
		{"nodes-dropped", func(p *proof.StateProof) { p.Nodes = nil }},
		{"leaf-of-other-root", func(p *proof.StateProof) {
			old, err := db.Prove(root1, p.Contract, p.Key)
			if err != nil {
				t.Fatal(err)
			}
			p.Nodes[len(p.Nodes)-1] = last(old.Nodes)
		}},
	}
	var cases []jsCase
	for _, tt := range tests {
		p, err := db.Prove(root2, jsContracts[1], updated)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Nodes) < 2 {
			t.Fatalf("proof of %s has %d nodes, want at least 2", updated, len(p.Nodes))
		}
		tt.alter(p)
		if _, _, err := proof.VerifyStateProof(p.Root, p.Contract, p.Key, p.Nodes); err == nil {
			t.Fatalf("tampered/%s: Go verifier accepted it", tt.name)
		}
		cases = append(cases, stateCase("tampered/"+tt.name, p, wantRejected))
	}
	return cases
}

func last(nodes [][]byte) []byte { return nodes[len(nodes)-1] }

// stateCase hands p to the script, which must find want.
func stateCase(name string, p *proof.StateProof, want outcome) jsCase {
	tk := proof.StateTrieKey(p.Contract, p.Key)
	return jsCase{Name: name, Kind: "state", Proof: p, TrieKey: tk[:], want: want,
		key: append(p.Contract.Bytes(), p.Key...)} // the preimage of tk
}

// indexCases proves items of a transaction-style root (items of mixed
// sizes, some short enough to be embedded in their branch) and of a
// receipt root, past index 128 where rlp(index) grows to two bytes.
func indexCases(t *testing.T) []jsCase {
	t.Helper()
	items := make([][]byte, 200)
	for i := range items {
		if i%3 == 0 {
			items[i] = []byte{byte(i), 0xee}
		} else {
			items[i] = bytes.Repeat([]byte{byte(i)}, 40+i%60)
		}
	}
	receipts := make([]*block.Receipt, 130)
	for i := range receipts {
		receipts[i] = &block.Receipt{TxHash: crypto.Keccak256Hash([]byte{byte(i)}), Status: block.StatusOK,
			GasUsed: uint64(21000 + i), Return: []byte(fmt.Sprint(i)), Height: 7, Index: uint32(i)}
	}
	encoded, err := block.EncodeReceipts(receipts)
	if err != nil {
		t.Fatal(err)
	}
	receiptRoot, err := roots.Receipts(receipts)
	if err != nil {
		t.Fatal(err)
	}

	var cases []jsCase
	add := func(kind string, root common.Hash, items [][]byte, prove func(int) ([][]byte, error)) {
		for i, item := range items {
			nodes, err := prove(i)
			if err != nil {
				t.Fatalf("%s %d: %v", kind, i, err)
			}
			if got, err := proof.VerifyInclusion(root, proof.IndexKey(uint64(i)), nodes); err != nil || !bytes.Equal(got, item) {
				t.Fatalf("%s %d: Go verifier: %x, %v", kind, i, got, err)
			}
			hexNodes := make([]hexutil.Bytes, len(nodes))
			for j, n := range nodes {
				hexNodes[j] = n
			}
			cases = append(cases, jsCase{Name: fmt.Sprintf("%s/%d", kind, i), Kind: "index",
				Proof: indexProof{Root: root, Index: uint64(i), Nodes: hexNodes},
				want:  wantValue, key: proof.IndexKey(uint64(i)), leaf: item})
		}
	}
	add("tx", roots.Derive(items), items, func(i int) ([][]byte, error) { return roots.ProveTx(items, i) })
	add("receipt", receiptRoot, encoded, func(i int) ([][]byte, error) { return roots.ProveReceipt(receipts, i) })

	// An altered receipt leaf must be rejected.
	bad := cases[len(cases)-1]
	ip := bad.Proof.(indexProof)
	ip.Nodes = append([]hexutil.Bytes(nil), ip.Nodes...)
	leaf := bytes.Clone(ip.Nodes[len(ip.Nodes)-1])
	leaf[len(leaf)-1] ^= 0x01
	ip.Nodes[len(ip.Nodes)-1] = leaf
	nodes := make([][]byte, len(ip.Nodes))
	for i, n := range ip.Nodes {
		nodes[i] = n
	}
	if _, err := proof.VerifyInclusion(ip.Root, bad.key, nodes); err == nil {
		t.Fatal("tampered/receipt-leaf: Go verifier accepted it")
	}
	return append(cases, jsCase{Name: "tampered/receipt-leaf", Kind: "index", Proof: ip, want: wantRejected, key: bad.key})
}

// TestProofsWithEthereumJS checks state, transaction and receipt proofs
// with @ethereumjs/mpt's verifyMerkleProof, exactly as docs/state.md tells
// JavaScript clients to, when ETHERS_DIR names a directory where `make
// ethers` installed it. It is skipped otherwise: the repository's tests
// need no JavaScript toolchain.
func TestProofsWithEthereumJS(t *testing.T) {
	dir := os.Getenv("ETHERS_DIR")
	if dir == "" {
		t.Skip("ETHERS_DIR not set")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@ethereumjs", "mpt")); err != nil {
		t.Skipf("@ethereumjs/mpt not installed in ETHERS_DIR: %v", err)
	}
	cases := append(stateCases(t), indexCases(t)...)
	results := runVerifyMPT(t, dir, cases)
	if len(results) != len(cases) {
		t.Fatalf("got %d results for %d proofs", len(results), len(cases))
	}
	counts := map[outcome]int{}
	for i, c := range cases {
		r := results[i]
		if r.Name != c.Name {
			t.Fatalf("result %d is for %q, want %q", i, r.Name, c.Name)
		}
		counts[c.want]++
		if !bytes.Equal(r.Key, c.key) {
			t.Errorf("%s: JS verifier key %x, want %x", c.Name, []byte(r.Key), c.key)
		}
		switch c.want {
		case wantValue:
			switch {
			case !r.OK:
				t.Errorf("%s: rejected: %s", c.Name, r.Error)
			case r.Leaf == nil:
				t.Errorf("%s: proven absent, want leaf %x", c.Name, c.leaf)
			case !bytes.Equal(*r.Leaf, c.leaf):
				t.Errorf("%s: leaf %x, want %x", c.Name, []byte(*r.Leaf), c.leaf)
			case c.Kind == "state" && (r.Value == nil || !bytes.Equal(*r.Value, c.value)):
				t.Errorf("%s: decoded value %v, want %x", c.Name, r.Value, c.value)
			case c.Kind == "state" && (r.Deleted || r.Version != c.entry.Version || r.Prev == nil || *r.Prev != c.entry.Prev):
				t.Errorf("%s: lineage version %d prev %v, want %d %x", c.Name, r.Version, r.Prev, c.entry.Version, c.entry.Prev)
			}
		case wantTombstone:
			switch {
			case !r.OK:
				t.Errorf("%s: rejected: %s", c.Name, r.Error)
			case r.Leaf == nil || !bytes.Equal(*r.Leaf, c.leaf):
				t.Errorf("%s: leaf %v, want tombstone %x", c.Name, r.Leaf, c.leaf)
			case !r.Deleted || r.Value != nil:
				t.Errorf("%s: deleted=%v value=%v, want an absent key", c.Name, r.Deleted, r.Value)
			}
		case wantAbsent:
			if !r.OK || r.Leaf != nil {
				t.Errorf("%s: ok=%v leaf=%v error=%q, want a valid proof of absence", c.Name, r.OK, r.Leaf, r.Error)
			}
		case wantRejected:
			if r.OK {
				t.Errorf("%s: accepted (leaf %v), want rejected", c.Name, r.Leaf)
			}
		case wantNoValue:
			if r.OK && r.Leaf != nil {
				t.Errorf("%s: proved leaf %x, want no value", c.Name, []byte(*r.Leaf))
			}
			t.Logf("%s: ok=%v error=%q", c.Name, r.OK, r.Error)
		}
	}
	t.Logf("@ethereumjs/mpt checked %d proofs: %d inclusion, %d absence, %d tombstones, %d rejected as tampered",
		len(cases), counts[wantValue], counts[wantAbsent], counts[wantTombstone], counts[wantRejected])
}

// runVerifyMPT writes the cases to a file, runs the script on them from
// inside dir (ESM resolves packages from the script's own directory
// upwards) and decodes its report.
func runVerifyMPT(t *testing.T, dir string, cases []jsCase) []jsResult {
	t.Helper()
	script, err := os.ReadFile("testdata/verify_mpt.mjs")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(dir, "meshledger_verify_mpt_*.mjs")
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
	in, err := json.Marshal(map[string]any{"proofs": cases})
	if err != nil {
		t.Fatal(err)
	}
	inPath := filepath.Join(t.TempDir(), "proofs.json")
	if err := os.WriteFile(inPath, in, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), "node", f.Name(), inPath)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", filepath.Base(f.Name()), err, stderr.Bytes())
	}
	var out struct {
		Results []jsResult `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("decode script output: %v\n%s\n%s", err, stdout.Bytes(), stderr.Bytes())
	}
	return out.Results
}
