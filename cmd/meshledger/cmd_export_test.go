package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/audit"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
)

// sourceChain is a stopped node's data directory holding the loan
// contract and a few blocks of calls:
//
//	1: deploy loan (with code)
//	2: create L1, create L2
//	3: pay L1 (servicer), pay L2 (servicer), pay of an unknown loan (fails)
//	4: pay L1 (servicer)
type sourceChain struct {
	dir     string
	loan    common.Address
	headers []*block.SignedHeader // by height, 0 the genesis
	txs     [][]common.Hash       // by height
}

func (s *sourceChain) tip() *block.SignedHeader { return s.headers[len(s.headers)-1] }

func buildSourceChain(t *testing.T) *sourceChain {
	t.Helper()
	dir := t.TempDir()
	n := nodetest.Open(t, nodetest.Config(dir))
	chainID := n.ChainID()
	admin, servicer, borrower := nodetest.AccountOf(n.Key()), nodetest.NewAccount(t), nodetest.NewAccount(t)
	s := &sourceChain{dir: dir, headers: []*block.SignedHeader{n.Ledger().Latest()}, txs: [][]common.Hash{nil}}
	apply := func(txs ...*tx.Tx) *ledger.Applied {
		t.Helper()
		for _, tr := range txs {
			if _, err := n.Submit(tr); err != nil {
				t.Fatalf("submit: %v", err)
			}
		}
		a, err := n.ProduceBlock(context.Background())
		if err != nil || a == nil || len(a.Rejected) > 0 || len(a.TxHashes) != len(txs) {
			t.Fatalf("block: %+v, %v", a, err)
		}
		s.headers = append(s.headers, a.Header)
		s.txs = append(s.txs, a.TxHashes)
		return a
	}
	dep := apply(admin.Deploy(t, chainID, "loan", nodetest.LoanWasm(t)))
	if dep.Receipts[0].Status != block.StatusOK {
		t.Fatalf("deploy: %+v", dep.Receipts[0])
	}
	s.loan = dep.Receipts[0].ContractAddress
	create := func(id string) *tx.Tx {
		return admin.Call(t, chainID, s.loan, "create", map[string]any{
			"id": id, "borrower": borrower.Addr.Hex(), "servicer": servicer.Addr.Hex(),
			"principal": 30_000_000, "rate_bps": 650, "term_months": 360, "first_due": 1893456000,
		})
	}
	pay := func(id string, amount int) *tx.Tx {
		return servicer.Call(t, chainID, s.loan, "pay", map[string]any{"id": id, "amount": amount})
	}
	// The servicer pays: with access control on it must be a member with
	// the role the loan contract asks for.
	enrol := admin.Call(t, chainID, registry.Address, "addMember", map[string]any{"address": servicer.Addr, "roles": []string{"servicer"}})
	apply(enrol, create("L1"), create("L2"))
	b3 := apply(pay("L1", 180_000), pay("L2", 90_000), pay("NOPE", 1))
	if b3.Receipts[1].Status != block.StatusOK || b3.Receipts[2].Status == block.StatusOK {
		t.Fatalf("block 3 receipts: %+v", b3.Receipts)
	}
	apply(pay("L1", 180_000))
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// copyDir copies a stopped node's data directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// exportFile exports the source chain with extra flags and returns the file.
func exportFile(t *testing.T, dataDir string, flags ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "chain.export")
	runCLI(t, nil, append([]string{"export", "--data-dir", dataDir, "-o", out}, flags...)...).want(t, 0, "file:")
	return out
}

func testExport(t *testing.T, s *sourceChain) {
	out := filepath.Join(t.TempDir(), "chain.export")
	tip := s.tip()
	r := runCLI(t, nil, "export", "--data-dir", s.dir, "-o", out)
	r.want(t, 0, "file:", out, "blocks:", "1..4", "last hash:", tip.Hash().Hex(), "state root:", tip.Header.StateRoot.Hex(), "bytes:")
	b, err := os.ReadFile(out)
	if err != nil || !bytes.HasPrefix(b, []byte(audit.ExportMagic)) {
		t.Fatalf("export file: %v %q", err, b[:min(len(b), 40)])
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Fatalf("temporary files left beside the export: %v", entries)
	}

	// The store itself is a valid --data-dir, and --json reports the range.
	r = runCLI(t, nil, "--json", "export", "--data-dir", filepath.Join(s.dir, node.ChainDir), "--from", "2", "--to", "3", "-o", filepath.Join(t.TempDir(), "part"))
	var res exportResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 0 {
		t.Fatalf("export --json: %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if res.From != 2 || res.To != 3 || res.Hash != s.headers[3].Hash() || res.StateRoot != s.headers[3].Header.StateRoot ||
		res.ChainID != tip.Header.ChainID || res.Bytes <= 0 {
		t.Fatalf("export --json: %+v", res)
	}

	// -o - streams to stdout, the summary to stderr.
	r = runCLI(t, nil, "export", "--data-dir", s.dir, "-o", "-")
	if r.code != 0 || r.stdout != string(b) || !bytes.Contains([]byte(r.stderr), []byte("1..4")) {
		t.Fatalf("export -o -: exit %d, %d bytes (want %d), stderr %q", r.code, len(r.stdout), len(b), r.stderr)
	}
}

// testExportLocked runs export against a data directory a node holds open.
func testExportLocked(t *testing.T, s *sourceChain) {
	dir := copyDir(t, s.dir)
	n := nodetest.Open(t, nodetest.Config(dir))
	defer n.Close(context.Background())
	runCLI(t, nil, "export", "--data-dir", dir, "-o", filepath.Join(t.TempDir(), "x")).
		wantErr(t, 1, "is locked by a running node: stop the node first")
	runCLI(t, nil, "replay", "--from-data-dir", dir, "--to", filepath.Join(t.TempDir(), "d")).
		wantErr(t, 1, "is locked by a running node")
}

func testExportRangeErrors(t *testing.T, s *sourceChain) {
	out := filepath.Join(t.TempDir(), "x")
	tests := []struct {
		name  string
		flags []string
		want  string
	}{
		{"from zero", []string{"--from", "0"}, "--from: blocks start at 1"},
		{"past the tip", []string{"--to", "5"}, "--to 5: the chain's latest block is 4"},
		{"from after to", []string{"--from", "3", "--to", "2"}, "--from 3 is after --to 2"},
		{"no output", []string{"-o", ""}, "-o FILE is required"},
		{"output dir missing", []string{"-o", filepath.Join(t.TempDir(), "none", "x")}, "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"export", "--data-dir", s.dir, "-o", out}, tt.flags...)
			runCLI(t, nil, args...).wantErr(t, 1, tt.want)
			if _, err := os.Stat(out); err == nil {
				t.Fatal("a failed export left a file")
			}
		})
	}
}

func TestExportArgs(t *testing.T) {
	empty := t.TempDir()
	file := writeTemp(t, "f", "x")
	genesisOnly := t.TempDir()
	n := nodetest.Open(t, nodetest.Config(genesisOnly))
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing data dir", []string{"--data-dir", filepath.Join(empty, "none")}, "no such file or directory"},
		{"data dir is a file", []string{"--data-dir", file}, "not a directory"},
		{"no chain store", []string{"--data-dir", empty}, "no chain store in " + empty},
		{"nothing to export", []string{"--data-dir", genesisOnly}, "nothing to export"},
		{"extra argument", []string{"--data-dir", genesisOnly, "x"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"export", "-o", filepath.Join(t.TempDir(), "out")}, tt.args...)
			runCLI(t, nil, args...).wantErr(t, 1, tt.want)
		})
	}
	// The default data dir is the node's, also from the environment.
	t.Chdir(t.TempDir())
	runCLI(t, nil, "export", "-o", "out").wantErr(t, 1, "data dir: stat ./data")
	runCLI(t, map[string]string{"MESHLEDGER_DATA_DIR": genesisOnly}, "export", "-o", "out").wantErr(t, 1, "nothing to export")
}
