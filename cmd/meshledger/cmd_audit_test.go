package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/audit"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/ledger/registry"
	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// TestAudit builds one source chain (sourceChain: 4 blocks, 8 txs) and
// audits live nodes serving copies of it, honest and lying.
func TestAudit(t *testing.T) {
	s := buildSourceChain(t)
	for _, tt := range []struct {
		name string
		fn   func(*testing.T, *sourceChain)
	}{
		{"verified", testAuditVerified},
		{"tampered", testAuditTampered},
		{"resume after interrupt", testAuditResume},
		{"resume after kill -9", testAuditKilled},
		{"checkpoint", testAuditCheckpoint},
		{"refused", testAuditRefused},
		{"export endpoint", testExportEndpoint},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, s) })
	}
}

// auditNode is a started node serving a copy of a chain.
type auditNode struct {
	n       *nodetest.Node
	genesis string // the genesis file the auditor trusts
	key     string // the node key's file: a dev-genesis admin, an auditor
}

func startAuditNode(t testing.TB, dir string) *auditNode {
	t.Helper()
	n := nodetest.Start(t, nodetest.Config(dir))
	return &auditNode{n: n, genesis: filepath.Join(dir, node.GenesisFile), key: filepath.Join(dir, node.KeyFile)}
}

// audit runs the audit command against url into store, as the node's
// admin unless args name another --key.
func (an *auditNode) audit(t *testing.T, url, store string, args ...string) cliResult {
	t.Helper()
	return runCLI(t, nil, an.auditArgs(url, store, args...)...)
}

func (an *auditNode) auditArgs(url, store string, args ...string) []string {
	base := []string{"--node", url, "--key", an.key, "audit", "--genesis", an.genesis, "--to", store,
		"--compiled-cache", buildtest.CompiledCacheDir()}
	return append(base, args...)
}

func auditJSON(t *testing.T, r cliResult) auditResult {
	t.Helper()
	var res auditResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("audit --json: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return res
}

func readAuditCheckpoint(t *testing.T, file string) api.Checkpoint {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cp api.Checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		t.Fatal(err)
	}
	return cp
}

func testAuditVerified(t *testing.T, s *sourceChain) {
	an := startAuditNode(t, copyDir(t, s.dir))
	store := filepath.Join(t.TempDir(), "store")
	r := an.audit(t, an.n.URL(), store, "--json", "--progress-every", "1ns")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	res := auditJSON(t, r)
	tip := s.tip()
	if !res.OK || res.StartHeight != 0 || res.From != 1 || res.Height != 4 || res.ClaimedHeight != 4 ||
		res.Blocks != 4 || res.Txs != 8 || res.Mismatch != nil || res.Interrupted || res.TxPerSec <= 0 {
		t.Fatalf("report: %+v", res)
	}
	cp := res.Checkpoint
	if cp == nil || cp.Height != 4 || cp.HeaderHash != tip.Hash() || cp.StateRoot != tip.Header.StateRoot ||
		cp.LogRoot != tip.Header.LogRoot || cp.File != filepath.Join(store, "checkpoint.json") {
		t.Fatalf("checkpoint: %+v", cp)
	}
	if onDisk := readAuditCheckpoint(t, cp.File); onDisk.HeaderHash != tip.Hash() || onDisk.Auditor != nodetest.AccountOf(an.n.Key()).Addr {
		t.Fatalf("checkpoint file: %+v", onDisk)
	}
	// Plain progress lines on a non-terminal stderr, ending with the total.
	if !strings.Contains(r.stderr, "audit: 4/4 blocks  8 txs") {
		t.Fatalf("no progress line on stderr: %q", r.stderr)
	}

	// A rerun has nothing new: it verifies nothing more and says so.
	r = an.audit(t, an.n.URL(), store)
	r.want(t, 0, "audit verified blocks 5..4", "verified:", "blocks 1..4 (0 blocks, 0 txs this run)", "header hash:", tip.Hash().Hex())

	// An empty chain: only the genesis, checkpoint at height 0.
	empty := startAuditNode(t, t.TempDir())
	estore := filepath.Join(t.TempDir(), "empty")
	r = empty.audit(t, empty.n.URL(), estore, "--json")
	if r.code != 0 {
		t.Fatalf("empty chain: exit %d: %s", r.code, r.stderr)
	}
	if res := auditJSON(t, r); !res.OK || res.Height != 0 || res.Blocks != 0 || res.Checkpoint == nil ||
		res.Checkpoint.HeaderHash != empty.n.Ledger().Latest().Hash() {
		t.Fatalf("empty chain report: %+v", res)
	}
}

// exportRecords splits an export body into its records (0: the genesis).
func exportRecords(t *testing.T, body []byte) [][]byte {
	t.Helper()
	if !bytes.HasPrefix(body, []byte(audit.ExportMagic)) {
		t.Fatalf("not an export: %q", body[:min(len(body), 40)])
	}
	var recs [][]byte
	for rest := body[len(audit.ExportMagic):]; len(rest) > 0; {
		n, k := binary.Uvarint(rest)
		recs = append(recs, rest[k:k+int(n)])
		rest = rest[k+int(n):]
	}
	return recs
}

func joinRecords(recs [][]byte) []byte {
	out := bytes.NewBufferString(audit.ExportMagic)
	for _, r := range recs {
		out.Write(binary.AppendUvarint(nil, uint64(len(r))))
		out.Write(r)
	}
	return out.Bytes()
}

// editBlocks rewrites the export's block records: edit gets each block
// (height from 1) and returns false to drop it and every later one.
func editBlocks(t *testing.T, body []byte, edit func(h uint64, eb *rawExportBlock) bool) []byte {
	t.Helper()
	recs := exportRecords(t, body)
	out := recs[:1]
	for _, rec := range recs[1:] {
		var eb rawExportBlock
		var sh block.SignedHeader
		if err := rlp.DecodeBytes(rec, &eb); err != nil {
			t.Fatal(err)
		}
		if err := rlp.DecodeBytes(eb.Header, &sh); err != nil {
			t.Fatal(err)
		}
		if !edit(sh.Header.Height, &eb) {
			break
		}
		enc, err := rlp.EncodeToBytes(&eb)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, enc)
	}
	return joinRecords(out)
}

func editReceipt(t *testing.T, eb *rawExportBlock, i int, edit func(r *block.Receipt)) {
	t.Helper()
	r, err := block.DecodeReceipt(eb.Receipts[i])
	if err != nil {
		t.Fatal(err)
	}
	edit(r)
	if eb.Receipts[i], err = r.Encode(); err != nil {
		t.Fatal(err)
	}
}

func header(t *testing.T, eb *rawExportBlock) *block.SignedHeader {
	t.Helper()
	var sh block.SignedHeader
	if err := rlp.DecodeBytes(eb.Header, &sh); err != nil {
		t.Fatal(err)
	}
	return &sh
}

func setHeader(t *testing.T, eb *rawExportBlock, sh *block.SignedHeader) {
	t.Helper()
	enc, err := rlp.EncodeToBytes(sh)
	if err != nil {
		t.Fatal(err)
	}
	eb.Header = enc
}

func resign(t *testing.T, h block.Header, key *ecdsa.PrivateKey) *block.SignedHeader {
	t.Helper()
	sh, err := block.SignHeader(h, func(d common.Hash) ([]byte, error) { return crypto.Sign(d.Bytes(), key) })
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

func testAuditTampered(t *testing.T, s *sourceChain) {
	an := startAuditNode(t, copyDir(t, s.dir))
	key := an.n.Key()
	onExport := func(edit func(h uint64, eb *rawExportBlock) bool) nodetest.Tamper {
		return func(r *http.Request, status int, body []byte) []byte {
			if r.URL.Path != api.PathExport || status != http.StatusOK {
				return body
			}
			return editBlocks(t, body, edit)
		}
	}
	for _, tc := range []struct {
		name   string
		tamper nodetest.Tamper
		height uint64
		what   string
		field  string
		txIdx  int // -1: none
		detail string
	}{
		{
			name: "changed write value", height: 3, what: audit.MismatchReceipt, field: "writes[0].value", txIdx: 0,
			tamper: onExport(func(h uint64, eb *rawExportBlock) bool {
				if h == 3 {
					editReceipt(t, eb, 0, func(r *block.Receipt) { r.Writes[0].Value = append([]byte("x"), r.Writes[0].Value...) })
				}
				return true
			}),
		},
		{
			name: "changed receipt gas", height: 3, what: audit.MismatchReceipt, field: "gas_used", txIdx: 1,
			tamper: onExport(func(h uint64, eb *rawExportBlock) bool {
				if h == 3 {
					editReceipt(t, eb, 1, func(r *block.Receipt) { r.GasUsed++ })
				}
				return true
			}),
		},
		{
			name: "reordered txs", height: 3, what: audit.MismatchTxRoot, txIdx: -1,
			tamper: onExport(func(h uint64, eb *rawExportBlock) bool {
				if h == 3 {
					var txs []rlp.RawValue
					if err := rlp.DecodeBytes(eb.Txs, &txs); err != nil {
						t.Fatal(err)
					}
					txs[0], txs[1] = txs[1], txs[0]
					eb.Txs, _ = rlp.EncodeToBytes(txs)
					eb.Receipts[0], eb.Receipts[1] = eb.Receipts[1], eb.Receipts[0]
				}
				return true
			}),
		},
		{
			name: "forged header signature", height: 2, what: audit.MismatchSignature, txIdx: -1,
			tamper: onExport(func(h uint64, eb *rawExportBlock) bool {
				if h == 2 {
					other, _ := crypto.GenerateKey()
					sh := header(t, eb)
					sh.Signature, _ = crypto.Sign(sh.Hash().Bytes(), other)
					setHeader(t, eb, sh)
				}
				return true
			}),
		},
		{
			// The node rewrites block 2 and re-signs it and every block
			// after it: parents link and signatures verify, but
			// re-execution does not reach the state root it claims.
			name: "rewritten old block, re-signed chain", height: 2, what: audit.MismatchStateRoot, txIdx: -1,
			tamper: func() nodetest.Tamper {
				var prev common.Hash
				return onExport(func(h uint64, eb *rawExportBlock) bool {
					sh := header(t, eb)
					switch {
					case h == 2:
						sh.Header.StateRoot[0] ^= 1
						sh = resign(t, sh.Header, key)
					case h > 2:
						sh.Header.ParentHash = prev
						sh = resign(t, sh.Header, key)
					}
					prev = sh.Hash()
					setHeader(t, eb, sh)
					return true
				})
			}(),
		},
		{
			// History rewritten under another key that signs as its own
			// proposer: every signature verifies, re-execution agrees,
			// but the blocks are not the chain's signer's.
			name: "re-signed under another key", height: 2, what: audit.MismatchSignature, txIdx: -1, detail: an.n.Address().Hex(),
			tamper: func() nodetest.Tamper {
				other, _ := crypto.GenerateKey()
				var prev common.Hash
				return onExport(func(h uint64, eb *rawExportBlock) bool {
					sh := header(t, eb)
					if h >= 2 {
						sh.Header.Proposer = crypto.PubkeyToAddress(other.PublicKey)
						if h > 2 {
							sh.Header.ParentHash = prev
						}
						sh = resign(t, sh.Header, other)
					}
					prev = sh.Hash()
					setHeader(t, eb, sh)
					return true
				})
			}(),
		},
		{
			name: "withheld blocks (stream cut)", height: 3, what: audit.MismatchWithheld, txIdx: -1, detail: "blocks 3..4",
			tamper: onExport(func(h uint64, eb *rawExportBlock) bool { return h < 3 }),
		},
		{
			name: "a record that is not a block", height: 3, what: audit.MismatchExport, txIdx: -1, detail: "a block record",
			tamper: func(r *http.Request, status int, body []byte) []byte {
				if r.URL.Path != api.PathExport || status != http.StatusOK {
					return body
				}
				recs := exportRecords(t, body)
				for i, rec := range recs[1:] {
					var eb rawExportBlock
					if err := rlp.DecodeBytes(rec, &eb); err != nil {
						t.Fatal(err)
					}
					if header(t, &eb).Header.Height == 3 {
						recs[i+1] = []byte{0xc2, 0x80, 0x80}
					}
				}
				return joinRecords(recs)
			},
		},
		{
			name: "lying height", height: 5, what: audit.MismatchWithheld, txIdx: -1, detail: "blocks 5..9",
			tamper: func(r *http.Request, status int, body []byte) []byte {
				if r.URL.Path != api.PathChain {
					return body
				}
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					t.Fatal(err)
				}
				m["latestHeight"] = 9
				b, _ := json.Marshal(m)
				return b
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := nodetest.TamperProxy(t, an.n.URL(), tc.tamper)
			store := filepath.Join(t.TempDir(), "store")
			r := an.audit(t, url, store, "--json", "--quiet")
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			res := auditJSON(t, r)
			m := res.Mismatch
			if res.OK || m == nil || m.Height != tc.height || m.What != tc.what || m.Field != tc.field {
				t.Fatalf("report: %+v mismatch %+v", res, m)
			}
			if tc.txIdx >= 0 && (m.TxIndex == nil || *m.TxIndex != tc.txIdx) || tc.txIdx < 0 && m.TxIndex != nil {
				t.Fatalf("tx index: %+v", m)
			}
			if !strings.Contains(m.Expected, tc.detail) {
				t.Fatalf("expected %q lacks %q", m.Expected, tc.detail)
			}
			// Nothing past the last good block is reported or kept as
			// verified, and no checkpoint vouches for it.
			if res.Height != tc.height-1 || res.Checkpoint != nil {
				t.Fatalf("verified up to %d (checkpoint %+v), mismatch at %d", res.Height, res.Checkpoint, tc.height)
			}
			if _, err := os.Stat(filepath.Join(store, "checkpoint.json")); !os.IsNotExist(err) {
				t.Fatalf("checkpoint written after a divergence: %v", err)
			}
			// The human report names it too.
			r = an.audit(t, url, store)
			r.want(t, 1, "audit FAILED at block", "what:", tc.what)
		})
	}
}

// cutExportProxy serves the node at target, but sends only the export's
// genesis and blocks 1..2, then holds the stream open until the client
// leaves; sent is closed once those are written.
func cutExportProxy(t *testing.T, target string) (string, <-chan struct{}) {
	t.Helper()
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	sent := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != api.PathExport {
			rp.ServeHTTP(w, r)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, target+r.URL.RequestURI(), nil)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("proxy: %v", err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		recs := exportRecords(t, body)
		w.Header().Set(httpapi.HeaderLatestHeight, resp.Header.Get(httpapi.HeaderLatestHeight))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(joinRecords(recs[:min(3, len(recs))]))
		w.(http.Flusher).Flush()
		close(sent)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv.URL, sent
}

func testAuditResume(t *testing.T, s *sourceChain) {
	an := startAuditNode(t, copyDir(t, s.dir))
	store := filepath.Join(t.TempDir(), "store")
	proxy, sent := cutExportProxy(t, an.n.URL())

	cctx, cancel := context.WithCancel(ctx(t))
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(cctx, append(an.auditArgs(proxy, store), "--json", "--quiet"), env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	}()
	select {
	case <-sent:
	case <-time.After(20 * time.Second):
		t.Fatal("the export was never requested")
	}
	time.Sleep(300 * time.Millisecond) // let the replay reach the stalled stream
	cancel()
	code := <-done
	r := cliResult{code: code, stdout: out.String(), stderr: errb.String()}
	r.wantErr(t, 2, "interrupted")
	res := auditJSON(t, r)
	if !res.Interrupted || res.OK || res.Checkpoint == nil || res.Height > 2 || res.Checkpoint.Height != res.Height {
		t.Fatalf("interrupted report: %+v", res)
	}

	// The rerun continues from the store's tip and reaches the same
	// checkpoint an uninterrupted audit does.
	r = an.audit(t, an.n.URL(), store, "--json", "--quiet")
	if r.code != 0 {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	again := auditJSON(t, r)
	if !again.OK || again.StartHeight != res.Height || again.Height != 4 || again.Blocks != 4-res.Height ||
		again.Checkpoint.HeaderHash != s.tip().Hash() {
		t.Fatalf("resumed report: %+v", again)
	}
}

// auditChildEnv holds, for TestAuditChild, the JSON command line of an
// audit to run in a child process that the parent kills.
const auditChildEnv = "MESHLEDGER_TEST_AUDIT_CHILD"

// TestAuditChild is not a test: it is the child process of
// testAuditKilled, running one audit command line.
func TestAuditChild(t *testing.T) {
	raw := os.Getenv(auditChildEnv)
	if raw == "" {
		t.Skip("runs only as the child process of the kill -9 audit test")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(run(context.Background(), args, env{stdout: os.Stdout, stderr: os.Stderr, getenv: func(string) string { return "" }}))
}

func testAuditKilled(t *testing.T, s *sourceChain) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	an := startAuditNode(t, copyDir(t, s.dir))
	store := filepath.Join(t.TempDir(), "store")
	proxy, _ := cutExportProxy(t, an.n.URL())
	args, _ := json.Marshal(an.auditArgs(proxy, store, "--progress-every", "1ns"))
	cmd := exec.Command(os.Args[0], "-test.run=^TestAuditChild$")
	cmd.Env = append(os.Environ(), auditChildEnv+"="+string(args))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Block 2 is committed once the progress counts it (the replay asks
	// for block 3, which the proxy holds back).
	reached := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "audit: 2/") {
				close(reached)
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the child never verified block 2")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	r := an.audit(t, an.n.URL(), store, "--json", "--quiet")
	if r.code != 0 {
		t.Fatalf("resume after kill: exit %d: %s", r.code, r.stderr)
	}
	res := auditJSON(t, r)
	if !res.OK || res.StartHeight != 2 || res.Height != 4 || res.Blocks != 2 || res.Checkpoint.HeaderHash != s.tip().Hash() {
		t.Fatalf("resumed report: %+v", res)
	}
}

func testAuditCheckpoint(t *testing.T, s *sourceChain) {
	an := startAuditNode(t, copyDir(t, s.dir))
	store := filepath.Join(t.TempDir(), "store")
	an.audit(t, an.n.URL(), store, "--quiet").want(t, 0, "audit verified blocks 1..4")
	cpFile := filepath.Join(store, "checkpoint.json")

	// More blocks on the live chain: the admin creates a loan.
	admin := nodetest.AccountOf(an.n.Key())
	var err error
	if admin.Nonce, err = an.n.Ledger().NextNonce(admin.Addr); err != nil {
		t.Fatal(err)
	}
	if _, err := an.n.Submit(admin.Call(t, an.n.ChainID(), s.loan, "create", map[string]any{
		"id": "L3", "borrower": admin.Addr.Hex(), "servicer": admin.Addr.Hex(),
		"principal": 1_000_000, "rate_bps": 500, "term_months": 12, "first_due": 1893456000,
	})); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); an.n.Ledger().Latest().Header.Height < 5; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("block 5 never committed")
		}
	}
	r := an.audit(t, an.n.URL(), store, "--from-checkpoint", cpFile, "--json", "--quiet")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	res := auditJSON(t, r)
	if res.StartHeight != 4 || res.Height != 5 || res.Blocks != 1 || res.Txs != 1 ||
		res.Checkpoint.HeaderHash != an.n.Ledger().Latest().Hash() {
		t.Fatalf("report: %+v", res)
	}

	// A node that later claims fewer blocks than were verified from it.
	shrunk := nodetest.TamperProxy(t, an.n.URL(), func(r *http.Request, status int, body []byte) []byte {
		if r.URL.Path != api.PathChain {
			return body
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		m["latestHeight"] = 2
		b, _ := json.Marshal(m)
		return b
	})
	r = an.audit(t, shrunk, store, "--json", "--quiet")
	if r.code != 1 {
		t.Fatalf("shrunk chain: exit %d: %s", r.code, r.stderr)
	}
	if res := auditJSON(t, r); res.Mismatch == nil || res.Mismatch.What != audit.MismatchWithheld || res.Mismatch.Height != 3 ||
		!strings.Contains(res.Mismatch.Expected, "blocks 3..5") || res.Height != 5 || res.Checkpoint != nil {
		t.Fatalf("shrunk chain report: %+v", res)
	}

	// A checkpoint needs the store it was made from.
	old := filepath.Join(t.TempDir(), "old.json")
	b := readFile(t, cpFile)
	writeFileIn(t, filepath.Dir(old), filepath.Base(old), string(b))
	other := filepath.Join(t.TempDir(), "other")
	an.audit(t, an.n.URL(), other, "--from-checkpoint", old, "--quiet").
		wantErr(t, 2, "needs the store the checkpoint was made from")
	// A checkpoint altered after signing, or by an untrusted auditor.
	var cp api.Checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		t.Fatal(err)
	}
	cp.Height--
	forged, _ := json.Marshal(&cp)
	writeFileIn(t, filepath.Dir(old), filepath.Base(old), string(forged))
	an.audit(t, an.n.URL(), store, "--from-checkpoint", old, "--quiet").wantErr(t, 2, "bad checkpoint")
	writeFileIn(t, filepath.Dir(old), filepath.Base(old), string(b))
	an.audit(t, an.n.URL(), store, "--from-checkpoint", old, "--trust-auditor", common.Address{1}.Hex(), "--quiet").
		wantErr(t, 2, "is not trusted")
}

func writeKey(t *testing.T, k *ecdsa.PrivateKey) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(p, []byte(hex.EncodeToString(crypto.FromECDSA(k))), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func testAuditRefused(t *testing.T, s *sourceChain) {
	an := startAuditNode(t, copyDir(t, s.dir))
	store := func() string { return filepath.Join(t.TempDir(), "store") }

	// Another chain's genesis.
	other := filepath.Join(t.TempDir(), "genesis.json")
	doc, _ := json.Marshal(block.DevGenesis(4242, 1, common.Address{7}))
	writeFileIn(t, filepath.Dir(other), filepath.Base(other), string(doc))
	runCLI(t, nil, "--node", an.n.URL(), "--key", an.key, "audit", "--genesis", other, "--to", store()).
		wantErr(t, 2, "node serves another chain")
	// The same chain id with another genesis: told apart by block 0, and
	// the store opened to learn it is not left behind.
	g, err := block.LoadGenesis(an.genesis)
	if err != nil {
		t.Fatal(err)
	}
	g.TimeMs++
	doc, _ = json.Marshal(g)
	writeFileIn(t, filepath.Dir(other), filepath.Base(other), string(doc))
	st := store()
	runCLI(t, nil, "--node", an.n.URL(), "--key", an.key, "audit", "--genesis", other, "--to", st).
		wantErr(t, 2, "node serves another chain: its genesis block is")
	if _, err := os.Stat(st); !os.IsNotExist(err) {
		t.Fatalf("store of a refused audit left behind: %v", err)
	}
	// A store of another chain.
	empty := startAuditNode(t, t.TempDir())
	foreign := store()
	empty.audit(t, empty.n.URL(), foreign, "--quiet").want(t, 0)
	an.audit(t, an.n.URL(), foreign).wantErr(t, 2, "not the audited chain's")

	// A member without the auditor role, and someone outside the network.
	admin := nodetest.AccountOf(an.n.Key())
	if admin.Nonce, err = an.n.Ledger().NextNonce(admin.Addr); err != nil {
		t.Fatal(err)
	}
	member := nodetest.NewAccount(t)
	if _, err := an.n.Submit(admin.Call(t, an.n.ChainID(), registry.Address, "addMember",
		map[string]any{"address": member.Addr, "roles": []string{"servicer"}})); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if v, err := an.n.Ledger().ViewerAt(member.Addr); err == nil && v != nil && v.Member != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("member never enrolled")
		}
	}
	an.audit(t, an.n.URL(), store(), "--key", writeKey(t, member.Key)).wantErr(t, 2, "403 forbidden: forbidden: the export holds every transaction; it needs the auditor role")
	an.audit(t, an.n.URL(), store(), "--key", writeKey(t, nodetest.NewAccount(t).Key)).wantErr(t, 2, "403 not_a_member")

	// The node cannot be reached at all.
	an.audit(t, "http://127.0.0.1:1", store()).wantErr(t, 2, "read the node's chain")
	// No --genesis.
	runCLI(t, nil, "--node", an.n.URL(), "--key", an.key, "audit").wantErr(t, 2, "--genesis FILE is required")
}

func testExportEndpoint(t *testing.T, s *sourceChain) {
	an := startAuditNode(t, copyDir(t, s.dir))
	k := an.n.Key()
	session := func(k *ecdsa.PrivateKey) string {
		now := time.Now()
		ss, err := tx.SignSession(tx.ReadSession{Reader: crypto.PubkeyToAddress(k.PublicKey), IssuedMs: uint64(now.Add(-time.Second).UnixMilli()),
			ExpiresMs: uint64(now.Add(time.Minute).UnixMilli())}, an.n.ChainID(), k)
		if err != nil {
			t.Fatal(err)
		}
		return ss.Header()
	}
	get := func(query, auth string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, an.n.URL()+api.PathExport+query, nil)
		if auth != "" {
			req.Header.Set(api.HeaderAuthorization, auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	stranger, _ := crypto.GenerateKey()
	for _, tc := range []struct {
		name, query, auth string
		status            int
		code, message     string
	}{
		{"no session", "", "", 401, "unauthenticated", ""},
		{"not a member", "", session(stranger), 403, "not_a_member", ""},
		{"from 0", "?from=0", session(k), 400, "bad_request", "blocks start at 1"},
		{"from not a number", "?from=one", session(k), 400, "bad_request", "want a decimal integer"},
		{"to past latest", "?to=9", session(k), 400, "bad_request", "past the latest block 4"},
		{"from after to+1", "?from=4&to=2", session(k), 400, "bad_request", "is after to=2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := get(tc.query, tc.auth)
			var e struct {
				Error api.Error `json:"error"`
			}
			if resp.StatusCode != tc.status || json.Unmarshal(b, &e) != nil || string(e.Error.Code) != tc.code || !strings.Contains(e.Error.Message, tc.message) {
				t.Fatalf("%d %s; want %d %s %q", resp.StatusCode, b, tc.status, tc.code, tc.message)
			}
		})
	}
	// A range, the empty range after the tip, and the latest-height header.
	for _, tc := range []struct {
		query  string
		blocks int
	}{{"", 4}, {"?from=2&to=3", 2}, {"?from=5", 0}, {"?from=4&to=3", 0}} {
		resp, b := get(tc.query, session(k))
		if resp.StatusCode != 200 || resp.Header.Get(httpapi.HeaderLatestHeight) != "4" {
			t.Fatalf("%s: %d %s", tc.query, resp.StatusCode, resp.Header)
		}
		if n := len(exportRecords(t, b)) - 1; n != tc.blocks {
			t.Fatalf("%s: %d blocks, want %d", tc.query, n, tc.blocks)
		}
	}
}

// keySigner signs block headers with a node key (ledger.Signer).
type keySigner struct{ k *ecdsa.PrivateKey }

func (s keySigner) Address() common.Address { return crypto.PubkeyToAddress(s.k.PublicKey) }
func (s keySigner) SignHash(h common.Hash) ([]byte, error) {
	return crypto.Sign(h.Bytes(), s.k)
}

// BenchmarkAuditLoanPayments audits, over HTTP from a live node on
// 127.0.0.1, a chain of MESHLEDGER_BENCH_AUDIT_BLOCKS (default 100) blocks
// of 1,000 loan payments each, built through ledger.ApplyBlock; `make
// bench-audit` runs it with 1,000 blocks (1,000,000 txs). It reports the
// audit's tx/s as its report measures it (stream, re-execution and every
// check); compare with the live chain's committed tx/s (loadgen).
func BenchmarkAuditLoanPayments(b *testing.B) {
	blocks := 100
	if v := os.Getenv("MESHLEDGER_BENCH_AUDIT_BLOCKS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("MESHLEDGER_BENCH_AUDIT_BLOCKS=%q: want a positive number", v)
		}
		blocks = n
	}
	const perBlock = 1_000
	dir := b.TempDir()
	src := nodetest.Open(b, nodetest.Config(dir))
	l, chainID := src.Ledger(), src.ChainID()
	signer := keySigner{src.Key()}
	admin, servicer := nodetest.AccountOf(src.Key()), nodetest.NewAccount(b)
	var applying time.Duration // ApplyBlock alone: what a producer spends
	apply := func(txs ...*tx.Tx) {
		b.Helper()
		start := time.Now()
		defer func() { applying += time.Since(start) }()
		a, err := l.ApplyBlock(context.Background(), ledger.Proposal{TimeMs: l.Latest().Header.TimeMs + 1000, Proposer: signer.Address(), Txs: txs}, signer)
		if err != nil || len(a.Rejected) > 0 || len(a.Receipts) != len(txs) {
			b.Fatalf("apply block: %v (%+v)", err, a)
		}
	}
	dep := admin.Deploy(b, chainID, "loan", nodetest.LoanWasm(b))
	apply(dep)
	loan := mustDeployed(b, l, dep.Hash())
	apply(admin.Call(b, chainID, registry.Address, "addMember", map[string]any{"address": servicer.Addr, "roles": []string{"servicer"}}),
		admin.Call(b, chainID, loan, "create", map[string]any{
			"id": "L1", "borrower": admin.Addr.Hex(), "servicer": servicer.Addr.Hex(),
			"principal": 1_000_000_000_000, "rate_bps": 650, "term_months": 360, "first_due": 1893456000,
		}))
	built, applying := time.Now(), time.Duration(0)
	for range blocks {
		txs := make([]*tx.Tx, perBlock)
		for i := range txs {
			txs[i] = servicer.Call(b, chainID, loan, "pay", map[string]any{"id": "L1", "amount": 1})
		}
		apply(txs...)
	}
	applyTxs := float64(blocks*perBlock) / applying.Seconds()
	b.Logf("built %d blocks of %d payments in %s (ApplyBlock alone %s: %.0f tx/s)", blocks, perBlock,
		time.Since(built).Round(time.Millisecond), applying.Round(time.Millisecond), applyTxs)
	if err := src.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	an := startAuditNode(b, dir)
	for b.Loop() {
		store := filepath.Join(b.TempDir(), "store")
		var out, errb syncBuffer
		code := run(context.Background(), an.auditArgs(an.n.URL(), store, "--json", "--quiet"), env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
		if code != 0 {
			b.Fatalf("audit: exit %d: %s", code, errb.String())
		}
		var res auditResult
		if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.TxPerSec, "tx/s")
		b.ReportMetric(res.BlocksPerSec, "blocks/s")
		// The same load, the same machine: how the audit compares with
		// the producer's own execution of the chain.
		b.ReportMetric(res.TxPerSec/applyTxs, "audit/apply")
		b.Logf("audited %d blocks, %d txs in %dms: %.0f tx/s", res.Blocks, res.Txs, res.ElapsedMs, res.TxPerSec)
	}
}

// mustDeployed finds the address of the contract deployed by tx hash.
func mustDeployed(b *testing.B, l *ledger.Ledger, hash common.Hash) common.Address {
	b.Helper()
	rec, err := l.Tx(hash)
	if err != nil {
		b.Fatal(err)
	}
	return rec.Receipt.ContractAddress
}
