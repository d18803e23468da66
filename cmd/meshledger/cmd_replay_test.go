package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rlp"

	"github.com/meshledger/meshledger/ledger/audit"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/storage"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// TestExportAndReplay builds one source chain (deploying the loan
// contract is the slow part) and runs every export and replay test on it.
func TestExportAndReplay(t *testing.T) {
	s := buildSourceChain(t)
	for _, tt := range []struct {
		name string
		fn   func(*testing.T, *sourceChain)
	}{
		{"export", testExport},
		{"export/locked", testExportLocked},
		{"export/range errors", testExportRangeErrors},
		{"replay/file", testReplayFile},
		{"replay/data dir", testReplayDataDir},
		{"replay/consecutive files", testReplayConsecutiveFiles},
		{"replay/tampered receipt", testReplayTamperedReceipt},
		{"replay/flipped byte", testReplayFlippedByte},
		{"replay/tampered state", testReplayTamperedState},
		{"replay/args", testReplayArgs},
		{"replay/progress", testReplayProgress},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, s) })
	}
}

// replay runs the replay command into a new directory, sharing compiled
// contract code with the other tests.
func replay(t *testing.T, args ...string) (cliResult, string) {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "audit")
	args = append([]string{"replay", "--to", dst, "--compiled-cache", buildtest.CompiledCacheDir()}, args...)
	return runCLI(t, nil, args...), dst
}

// flat collapses runs of spaces, so that aligned output reads "label: value".
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func replayJSON(t *testing.T, r cliResult) replayResult {
	t.Helper()
	var res replayResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("replay --json: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return res
}

func testReplayFile(t *testing.T, s *sourceChain) {
	file := exportFile(t, s.dir)
	r, dst := replay(t, "--from-file", file)
	tip := s.tip()
	r.want(t, 0, "height:", "4", "hash:", tip.Hash().Hex(), "state root:", tip.Header.StateRoot.Hex(), "txs:", "8", "verified 4 blocks")
	if !strings.Contains(r.stderr, "replayed 4 blocks, 8 txs") {
		t.Fatalf("no progress on stderr: %q", r.stderr)
	}
	// The rebuilt directory is a data directory whose export is the
	// source's, byte for byte: same headers, signatures, txs, receipts.
	again := exportFile(t, dst)
	a, _ := os.ReadFile(file)
	b, _ := os.ReadFile(again)
	if !bytes.Equal(a, b) {
		t.Fatalf("export of the replayed store differs (%d vs %d bytes)", len(b), len(a))
	}
	want, err := block.LoadGenesis(filepath.Join(s.dir, node.GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	if g, err := block.LoadGenesis(filepath.Join(dst, node.GenesisFile)); err != nil || g.Hash() != want.Hash() {
		t.Fatalf("genesis.json: %v", err)
	}
}

func testReplayDataDir(t *testing.T, s *sourceChain) {
	r, _ := replay(t, "--from-data-dir", s.dir, "--json", "--quiet")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	res := replayJSON(t, r)
	tip := s.tip()
	if !res.OK || !res.StateCompared || res.Height != 4 || res.Blocks != 4 || res.Txs != 8 ||
		res.StateRoot != tip.Header.StateRoot || res.Hash != tip.Hash() || res.Mismatch != nil {
		t.Fatalf("replay --json: %+v", res)
	}
	r, _ = replay(t, "--from-data-dir", s.dir)
	r.want(t, 0, "state:", "key by key", "verified 4 blocks")
}

func testReplayConsecutiveFiles(t *testing.T, s *sourceChain) {
	first := exportFile(t, s.dir, "--to", "2")
	rest := exportFile(t, s.dir, "--from", "3")
	r, _ := replay(t, "--from-file", first, "--from-file", rest)
	r.want(t, 0, "state root:", s.tip().Header.StateRoot.Hex(), "verified 4 blocks")

	r, _ = replay(t, "--from-file", rest)
	r.wantErr(t, 1, rest+" starts at block 3, but the replay needs block 1 next")
	r, _ = replay(t, "--from-file", rest, "--from-file", first)
	r.wantErr(t, 1, "exports out of order")
	r, _ = replay(t, "--from-file", first, "--from-file", first)
	r.wantErr(t, 1, first+" starts at block 1, but the replay needs block 3 next")
}

// rewriteExport decodes an export file's block records, lets edit change
// the one at height, and writes the result as a new file.
func rewriteExport(t *testing.T, file string, height uint64, edit func(rec *rawExportBlock)) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.NewBufferString(audit.ExportMagic)
	rest := b[len(audit.ExportMagic):]
	for i := uint64(0); len(rest) > 0; i++ {
		n, k := binary.Uvarint(rest)
		rec := rest[k : k+int(n)]
		rest = rest[k+int(n):]
		if i == height { // record 0 is the genesis
			var eb rawExportBlock
			if err := rlp.DecodeBytes(rec, &eb); err != nil {
				t.Fatal(err)
			}
			edit(&eb)
			if rec, err = rlp.EncodeToBytes(&eb); err != nil {
				t.Fatal(err)
			}
		}
		out.Write(binary.AppendUvarint(nil, uint64(len(rec))))
		out.Write(rec)
	}
	p := filepath.Join(t.TempDir(), "tampered.export")
	if err := os.WriteFile(p, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// rawExportBlock is an export block record with its header and
// transactions left encoded (docs/ledger.md, Export format).
type rawExportBlock struct {
	Header   rlp.RawValue
	Txs      rlp.RawValue
	Receipts [][]byte
}

func testReplayTamperedReceipt(t *testing.T, s *sourceChain) {
	var stored uint64
	file := rewriteExport(t, exportFile(t, s.dir), 3, func(eb *rawExportBlock) {
		r, err := block.DecodeReceipt(eb.Receipts[1])
		if err != nil {
			t.Fatal(err)
		}
		r.GasUsed++
		stored = r.GasUsed
		if eb.Receipts[1], err = r.Encode(); err != nil {
			t.Fatal(err)
		}
	})
	txHash := s.txs[3][1]

	r, dst := replay(t, "--from-file", file)
	r.wantErr(t, 1, "replay mismatch at block 3 tx 1 ("+txHash.Hex()+"): receipt gas_used")
	out := flat(r.stdout)
	for _, want := range []string{
		"replay FAILED at block 3: receipt gas_used", "verified: 2 blocks (up to 2)", "height: 3", "tx index: 1",
		"tx hash: " + txHash.Hex(), "what: receipt", "field: gas_used", "expected: " + itoa(stored), "got: " + itoa(stored-1),
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	// The blocks verified before the mismatch stay; the bad one is not committed.
	again := exportFile(t, dst)
	if b, _ := os.ReadFile(again); len(b) == 0 {
		t.Fatal("empty export of the partial replay")
	}
	runCLI(t, nil, "export", "--data-dir", dst, "--to", "3", "-o", again).wantErr(t, 1, "latest block is 2")

	r, _ = replay(t, "--from-file", file, "--json")
	if r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	res := replayJSON(t, r)
	m := res.Mismatch
	if res.OK || res.Height != 2 || res.Blocks != 2 || m == nil || m.Height != 3 || m.TxIndex == nil || *m.TxIndex != 1 ||
		*m.TxHash != txHash || m.What != audit.MismatchReceipt || m.Field != "gas_used" ||
		m.Expected != itoa(stored) || m.Got != itoa(stored-1) || m.Contract != nil {
		t.Fatalf("replay --json: %+v %+v", res, m)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// testReplayFlippedByte flips one byte of block 2's state root in the
// file: the proposer's signature no longer covers the header.
func testReplayFlippedByte(t *testing.T, s *sourceChain) {
	file := exportFile(t, s.dir)
	b, _ := os.ReadFile(file)
	root := s.headers[2].Header.StateRoot
	i := bytes.Index(b, root[:])
	if i < 0 || bytes.Count(b, root[:]) != 1 {
		t.Fatal("state root of block 2 not found once in the export")
	}
	b[i+7] ^= 0x10
	bad := filepath.Join(t.TempDir(), "flipped.export")
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r, _ := replay(t, "--from-file", bad, "--json")
	res := replayJSON(t, r)
	if r.code != 1 || res.Mismatch == nil || res.Mismatch.Height != 2 || res.Mismatch.What != audit.MismatchSignature ||
		res.Mismatch.TxIndex != nil || res.Height != 1 {
		t.Fatalf("exit %d: %+v %+v", r.code, res, res.Mismatch)
	}
}

// testReplayTamperedState alters the stored latest value of loan/L1 in a
// copy of the source store, where no header covers it: the key-by-key
// comparison names it and the transaction that last wrote it.
func testReplayTamperedState(t *testing.T, s *sourceChain) {
	dir := copyDir(t, s.dir)
	db, err := storage.Open(filepath.Join(dir, node.ChainDir), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Put(storage.FlatStateKey(s.loan, []byte("loan/L1")), []byte(`{"tampered":true}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	r, _ := replay(t, "--from-data-dir", dir)
	r.wantErr(t, 1, "state_value of key 6c6f616e2f4c31 in "+s.loan.Hex())
	out := flat(r.stdout)
	for _, want := range []string{
		"replay FAILED at block 4: state_value", "height: 4", "tx index: 0", "tx hash: " + s.txs[4][0].Hex(),
		"what: state_value", "contract: " + s.loan.Hex(), `key: "loan/L1"`,
		`expected: {"tampered":true} (0x7b2274616d7065726564223a747275657d)`, `got: {"id":"L1"`,
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	r, _ = replay(t, "--from-data-dir", dir, "--json")
	res := replayJSON(t, r)
	if m := res.Mismatch; r.code != 1 || res.OK || res.StateCompared || m == nil || m.What != audit.MismatchStateValue ||
		*m.Contract != s.loan || string(m.Key) != "loan/L1" || *m.TxHash != s.txs[4][0] {
		t.Fatalf("exit %d: %+v %+v", r.code, res, m)
	}
}

func testReplayArgs(t *testing.T, s *sourceChain) {
	file := exportFile(t, s.dir)
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	notExport := writeTemp(t, "notes.txt", "hello")
	other := `{"chain_id":7,"time_ms":1,"orgs":[{"id":"o","name":"O","members":[` +
		`{"address":"0x00000000000000000000000000000000000000aa","roles":["admin"]}]}]}`
	otherGenesis := writeTemp(t, "other.export", audit.ExportMagic+string(binary.AppendUvarint(nil, uint64(len(other))))+other)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no source", []string{"--to", t.TempDir()}, "give the source"},
		{"two sources", []string{"--from-file", file, "--from-data-dir", s.dir, "--to", t.TempDir()}, "exclude each other"},
		{"no destination", []string{"--from-file", file}, "--to DIR is required"},
		{"destination not empty", []string{"--from-file", file, "--to", full}, "destination is not empty: " + full + " holds 1 entries"},
		{"destination is a file", []string{"--from-file", file, "--to", notExport}, "not a directory"},
		{"missing file", []string{"--from-file", filepath.Join(full, "none"), "--to", t.TempDir()}, "no such file"},
		{"not an export", []string{"--from-file", notExport, "--to", t.TempDir()}, "bad export stream: missing header"},
		{"different genesis", []string{"--from-file", file, "--from-file", otherGenesis, "--to", t.TempDir()}, otherGenesis + " is from another chain"},
		{"missing data dir", []string{"--from-data-dir", filepath.Join(full, "none"), "--to", t.TempDir()}, "no such file"},
		{"data dir without chain", []string{"--from-data-dir", full, "--to", t.TempDir()}, "no chain store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runCLI(t, nil, append([]string{"replay"}, tt.args...)...).wantErr(t, 1, tt.want)
		})
	}
	if entries, _ := os.ReadDir(full); len(entries) != 1 {
		t.Fatal("a refused replay wrote into the destination")
	}

	// An interrupted replay exits 130, like every command.
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	args := []string{"replay", "--from-file", file, "--to", t.TempDir(), "--compiled-cache", buildtest.CompiledCacheDir()}
	if code := run(cancelled, args, env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}); code != 130 {
		t.Fatalf("interrupted replay: exit %d\n%s%s", code, out.String(), errb.String())
	}
}

// testReplayProgress reads the real export through progressSource with a
// clock that advances a second per reading.
func testReplayProgress(t *testing.T, s *sourceChain) {
	f, err := os.Open(exportFile(t, s.dir))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	er, err := audit.ReadExport(f, tx.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	p := &progressSource{src: er, w: &out, every: time.Second, now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	p.start()
	for {
		if _, err := p.Next(context.Background()); err != nil {
			break
		}
	}
	p.finish()
	// Each line counts the blocks verified before the clock reading:
	// block 1 holds 1 tx, 2 holds 3 (the servicer's membership and two
	// loans), 3 holds 3, 4 holds 1.
	want := "replayed block 0  0 txs  0 tx/s\n" +
		"replayed block 1  1 txs  0 tx/s\n" + // 1 tx in 2s
		"replayed block 2  4 txs  1 tx/s\n" + // 4 in 3s
		"replayed block 3  7 txs  2 tx/s\n" + // 7 in 4s
		"replayed block 4  8 txs  2 tx/s\n" + // 8 in 5s
		"replayed 4 blocks, 8 txs in 6s (1 tx/s)\n"
	if out.String() != want || p.blocks != 4 || p.txs != 8 {
		t.Fatalf("progress:\n%s\nwant:\n%s", out.String(), want)
	}
}
