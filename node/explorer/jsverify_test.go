package explorer_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
)

// jsCase is one verification the browser code runs: want is "" when it
// must pass, else a fragment of the error it must fail with.
type jsCase struct {
	Name     string         `json:"name"`
	Kind     string         `json:"kind"`
	Chain    map[string]any `json:"chain,omitempty"`
	Header   any            `json:"header,omitempty"`
	Block1   any            `json:"block1,omitempty"`
	State    any            `json:"state,omitempty"`
	Contract string         `json:"contract,omitempty"`
	Key      string         `json:"key,omitempty"`
	Tx       any            `json:"tx,omitempty"`
	Pages    []any          `json:"pages,omitempty"`
	Pin      string         `json:"pin,omitempty"`
	want     string
}

// generic decodes a response body into maps, so a case can alter any
// field as a lying node would.
func generic(t *testing.T, r nodetest.Response) map[string]any {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var v map[string]any
	r.JSON(t, &v)
	return v
}

func clone(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// at walks a path of map keys and slice indexes.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

// set replaces the value at path.
func set(v any, val any, path ...any) {
	parent := at(v, path[:len(path)-1]...)
	switch k := path[len(path)-1].(type) {
	case string:
		parent.(map[string]any)[k] = val
	case int:
		parent.([]any)[k] = val
	}
}

// flipHex flips the last bit of a 0x-hex string at path.
func flipHex(t *testing.T, v any, path ...any) {
	t.Helper()
	b, err := hexutil.Decode(at(v, path...).(string))
	if err != nil || len(b) == 0 {
		t.Fatalf("flip %v: %q: %v", path, at(v, path...), err)
	}
	b[len(b)-1] ^= 1
	set(v, hexutil.Encode(b), path...)
}

// TestVerifierInJS runs the explorer's verification modules, as the
// browser loads them, in Node against proofs a real ledger served, and
// against altered copies of them, which must each fail.
func TestVerifierInJS(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skipf("node not found: %v", err)
	}
	n := nodetest.Open(t, nodetest.Config(t.TempDir()))
	member := nodetest.NewAccount(t)
	nodetest.AddMember(t, n, member.Addr, "deployer")
	auth := n.AdminAuth()

	chain := generic(t, n.Do(http.MethodGet, api.PathChain, nil))
	reg := registry.Address.Hex()
	memberKey := hexutil.Encode(registry.MemberKey(member.Addr))
	absentKey := hexutil.Encode(registry.MemberKey(common.Address{7}))
	stateOf := func(key string) map[string]any {
		return generic(t, n.Do(http.MethodGet, fmt.Sprintf("%s/%s/state/_?key_hex=%s", api.PathContracts, reg, key), nil, auth...))
	}
	present, absent := stateOf(memberKey), stateOf(absentKey)
	if present["exists"] != true || absent["exists"] != false {
		t.Fatalf("fixtures: member exists=%v, other exists=%v", present["exists"], absent["exists"])
	}
	b1 := generic(t, n.Do(http.MethodGet, api.PathBlocks+"1", nil, auth...))
	b0 := generic(t, n.Do(http.MethodGet, api.PathBlocks+"0", nil, auth...))
	var hist struct {
		Entries []struct {
			TxHash string `json:"txHash"`
		} `json:"entries"`
	}
	n.Do(http.MethodGet, fmt.Sprintf("%s/%s/history/_?key_hex=%s", api.PathContracts, reg, memberKey), nil, auth...).JSON(t, &hist)
	if len(hist.Entries) != 1 {
		t.Fatalf("fixtures: %d versions of the member key", len(hist.Entries))
	}
	tx := generic(t, n.Do(http.MethodGet, api.PathTxs+"/"+hist.Entries[0].TxHash, nil, auth...))
	lineage := generic(t, n.Do(http.MethodGet, fmt.Sprintf("%s/%s/history/_?key_hex=%s&proofs=true", api.PathContracts, reg, memberKey), nil, auth...))

	var cases []jsCase
	add := func(c jsCase) { cases = append(cases, c) }
	stateCase := func(name, want, key string, s map[string]any) {
		add(jsCase{Name: name, Kind: "state", State: s, Contract: reg, Key: key, want: want})
	}
	stateCase("present key", "", memberKey, present)
	stateCase("absent key", "", absentKey, absent)
	s := clone(t, present)
	flipHex(t, s, "value")
	flipHex(t, s, "proof", "value")
	stateCase("altered value", "value differs from the value its nodes prove", memberKey, s)
	s = clone(t, present)
	set(s, false, "exists")
	stateCase("present key answered absent", "the value served is not the proven value", memberKey, s)
	s = clone(t, s)
	set(s, false, "proof", "exists")
	stateCase("present key claimed absent", "proof says exists=false", memberKey, s)
	s = clone(t, absent)
	set(s, true, "exists")
	set(s, true, "proof", "exists")
	stateCase("absent key claimed present", "exists=true", absentKey, s)
	s = clone(t, present)
	nodes := at(s, "proof", "nodes").([]any)
	flipHex(t, s, "proof", "nodes", len(nodes)-1)
	stateCase("altered proof node", "missing node", memberKey, s)
	stateCase("proof of another key", "the proof is of another key", absentKey, present)
	s = clone(t, present)
	flipHex(t, s, "header", "header", "stateRoot")
	stateCase("altered state root", "do not hash to its hash", memberKey, s)
	s = clone(t, present)
	flipHex(t, s, "header", "signature")
	stateCase("altered header signature", "", memberKey, s)
	cases[len(cases)-1].want = "header" // a flipped v is no signature; a flipped s another signer: both refuse the header

	add(jsCase{Name: "signed header", Kind: "header", Header: b1["header"]})
	other := clone(t, chain)
	set(other, common.Address{9}.Hex(), "nodeAddress")
	add(jsCase{Name: "header of an untrusted signer", Kind: "header", Chain: other, Header: b1["header"], want: "not a block signer you trust"})
	add(jsCase{Name: "header once another signer is pinned", Kind: "header", Pin: common.Address{9}.Hex(), Header: b1["header"], want: "not a block signer you trust"})
	add(jsCase{Name: "header of a signer pinned by hand", Kind: "header", Chain: other, Pin: n.Address().Hex(), Header: b1["header"]})
	add(jsCase{Name: "genesis vouched for by block 1", Kind: "genesis", Header: b0["header"], Block1: b1["header"]})
	add(jsCase{Name: "unsigned genesis alone", Kind: "header", Header: b0["header"], want: "no signed block vouches"})
	g := clone(t, b0)
	flipHex(t, g, "header", "header", "stateRoot")
	flipHex(t, g, "header", "hash")
	add(jsCase{Name: "another genesis", Kind: "genesis", Header: g["header"], Block1: b1["header"], want: "do not hash to its hash"})

	add(jsCase{Name: "committed transaction", Kind: "tx", Tx: tx})
	x := clone(t, tx)
	set(x, "forbidden", "receipt", "status")
	add(jsCase{Name: "receipt status altered", Kind: "tx", Tx: x, want: "differs from the proven receipt"})
	x = clone(t, tx)
	flipHex(t, x, "receipt", "writes", 0, "value")
	add(jsCase{Name: "receipt write altered", Kind: "tx", Tx: x, want: "write 0 differs"})
	x = clone(t, tx)
	set(x, common.Address{5}.Hex(), "receipt", "contractAddress")
	add(jsCase{Name: "receipt contract address added", Kind: "tx", Tx: x, want: "differs from the proven receipt"})
	x = clone(t, tx)
	set(x, "9", "tx", "message", "nonce")
	add(jsCase{Name: "transaction altered", Kind: "tx", Tx: x, want: "does not hash to its hash"})
	x = clone(t, tx)
	flipHex(t, x, "txProof", 0)
	add(jsCase{Name: "transaction proof altered", Kind: "tx", Tx: x, want: "transaction proof"})
	x = clone(t, tx)
	flipHex(t, x, "writeProofs", 0, "value")
	add(jsCase{Name: "write proof altered", Kind: "tx", Tx: x, want: "write proof 0"})

	add(jsCase{Name: "lineage", Kind: "lineage", Pages: []any{lineage}})
	l := clone(t, lineage)
	flipHex(t, l, "entries", 0, "value")
	add(jsCase{Name: "lineage value altered", Kind: "lineage", Pages: []any{l}, want: "version 1"})
	l = clone(t, lineage)
	set(l, []any{}, "entries")
	add(jsCase{Name: "lineage entry dropped", Kind: "lineage", Pages: []any{l}, want: "entries missing"})
	l = clone(t, lineage)
	flipHex(t, l, "entries", 0, "prev")
	add(jsCase{Name: "lineage prev altered", Kind: "lineage", Pages: []any{l}, want: "prev is not the previous entry's hash"})

	results := runJS(t, nodeBin, chain, cases)
	for i, c := range cases {
		r := results[i]
		switch {
		case r.Name != c.Name:
			t.Fatalf("result %d is %q, want %q", i, r.Name, c.Name)
		case c.want == "" && !r.OK:
			t.Errorf("%s: refused: %s", c.Name, r.Error)
		case c.want != "" && r.OK:
			t.Errorf("%s: accepted, want a failure with %q", c.Name, c.want)
		case c.want != "" && !strings.Contains(r.Error, c.want):
			t.Errorf("%s: failed with %q, want %q", c.Name, r.Error, c.want)
		}
	}
}

type jsResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// runJS copies the explorer's modules as served (js/, vendor/) beside the
// runner into a temporary directory and runs it on the cases.
func runJS(t *testing.T, nodeBin string, chain map[string]any, cases []jsCase) []jsResult {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir("assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("assets", p)
		if !strings.HasPrefix(rel, "js"+string(filepath.Separator)) && !strings.HasPrefix(rel, "vendor"+string(filepath.Separator)) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := os.ReadFile("testdata/verify_fixtures.mjs")
	if err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(map[string]any{"chain": chain, "cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"run.mjs": runner, "fixtures.json": in, "package.json": []byte(`{"type":"module"}`)} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(t.Context(), nodeBin, "run.mjs", "fixtures.json")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("node: %v\n%s", err, stderr)
	}
	var res []jsResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if len(res) != len(cases) {
		t.Fatalf("%d results for %d cases", len(res), len(cases))
	}
	return res
}
