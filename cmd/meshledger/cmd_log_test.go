package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// logNet is a node with an auditor member, an auditor's signed checkpoint
// at cpHeight, and blocks after it.
type logNet struct {
	n          *nodetest.Node
	auditorKey string // key file
	cpHeight   uint64
	cp         []byte // the checkpoint file's content
	// strongEvidence is the evidence file of the tampered test whose
	// evidence stands on signatures alone (for the forged-evidence tests).
	strongEvidence string
	dir            string // outlives the subtests
}

// addBlock commits one registry call (adding a member), which makes one
// block.
func (ln *logNet) addBlock(t *testing.T) {
	t.Helper()
	r := nodetest.RegistryCall(t, ln.n, ln.n.Key(), "addMember",
		map[string]any{"address": nodetest.NewAccount(t).Addr, "roles": []string{"servicer"}})
	if r.Status != block.StatusOK {
		t.Fatalf("addMember: %s %s", r.Status, r.Message)
	}
}

func startLogNet(t *testing.T) *logNet {
	t.Helper()
	n := nodetest.Start(t, nodetest.Config(t.TempDir()))
	auditor := nodetest.NewAccount(t)
	ln := &logNet{n: n, auditorKey: filepath.Join(t.TempDir(), "auditor.key"), dir: t.TempDir()}
	if err := client.SaveHexKey(ln.auditorKey, client.NewKey(auditor.Key)); err != nil {
		t.Fatal(err)
	}
	r := nodetest.RegistryCall(t, n, n.Key(), "addMember",
		map[string]any{"address": auditor.Addr, "roles": []string{"servicer"}})
	if r.Status != block.StatusOK {
		t.Fatalf("addMember auditor: %s %s", r.Status, r.Message)
	}
	for range 3 {
		ln.addBlock(t)
	}
	ln.cpHeight = n.Ledger().Latest().Header.Height
	sh, err := n.Ledger().Header(ln.cpHeight)
	if err != nil {
		t.Fatal(err)
	}
	cp := &api.Checkpoint{ChainID: sh.Header.ChainID, GenesisHash: n.Ledger().Genesis().Hash(), Height: ln.cpHeight,
		HeaderHash: sh.Hash(), StateRoot: sh.Header.StateRoot, LogRoot: sh.Header.LogRoot}
	if err := client.SignCheckpoint(cp, client.NewKey(auditor.Key)); err != nil {
		t.Fatal(err)
	}
	if ln.cp, err = json.Marshal(cp); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		ln.addBlock(t)
	}
	return ln
}

// checkpointFile writes a fresh copy of the checkpoint.
func (ln *logNet) checkpointFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "checkpoint.json")
	if err := os.WriteFile(p, ln.cp, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (ln *logNet) logVerify(t *testing.T, url string, args ...string) cliResult {
	t.Helper()
	return runCLI(t, nil, append([]string{"--node", url, "--key", ln.auditorKey, "--trust", ln.n.Address().Hex(),
		"log", "verify"}, args...)...)
}

func (ln *logNet) evidenceVerify(t *testing.T, file string, args ...string) cliResult {
	t.Helper()
	return runCLI(t, nil, append([]string{"evidence", "verify", file, "--trust", ln.n.Address().Hex()}, args...)...)
}

func TestLogVerify(t *testing.T) {
	ln := startLogNet(t)
	t.Run("verified and moved", func(t *testing.T) { testLogVerified(t, ln) })
	t.Run("tampered", func(t *testing.T) { testLogTampered(t, ln) })
	t.Run("forged evidence", func(t *testing.T) { testEvidenceForged(t, ln) })
	t.Run("refused", func(t *testing.T) { testLogRefused(t, ln) })
	t.Run("raw proofs", func(t *testing.T) { testLogRawProofs(t, ln) })
}

func testLogVerified(t *testing.T, ln *logNet) {
	file := ln.checkpointFile(t)
	r := ln.logVerify(t, ln.n.URL(), "--checkpoint", file, "--json")
	r.want(t, 0)
	var res logVerifyResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("decode %s: %v", r.stdout, err)
	}
	latest := ln.n.Ledger().Latest()
	if !res.OK || res.From != ln.cpHeight || res.To != latest.Header.Height || res.ToHeaderHash != latest.Hash() || len(res.Checks) != 3 {
		t.Fatalf("result %+v; want %d → %d (%s), three checks", res, ln.cpHeight, latest.Header.Height, latest.Hash().Hex())
	}
	for _, c := range res.Checks {
		if !c.OK {
			t.Fatalf("check %+v failed", c)
		}
	}
	// O(log n): two headers, two proofs and the session's requests, a few
	// kilobytes.
	if res.BytesFetched <= 0 || res.BytesFetched > 32<<10 {
		t.Fatalf("fetched %d bytes", res.BytesFetched)
	}
	t.Logf("log %d → %d: %d bytes in %d requests", res.From, res.To, res.BytesFetched, res.Requests)

	// --update moves the checkpoint to the latest header, signed by --key.
	ln.logVerify(t, ln.n.URL(), "--checkpoint", file, "--update").
		want(t, 0, "OK: the chain at", "header:", "ok", "consistency:", "ok", "inclusion:", "ok", "fetched:", "checkpoint:", "moved to height")
	moved, err := readCheckpoint(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	auditor, err := client.LoadHexKey(ln.auditorKey)
	if err != nil {
		t.Fatal(err)
	}
	if moved.Height != latest.Header.Height || moved.HeaderHash != latest.Hash() || moved.LogRoot != latest.Header.LogRoot ||
		moved.StateRoot != latest.Header.StateRoot || moved.Auditor != auditor.Address() {
		t.Fatalf("moved checkpoint %+v, want the latest header %d signed by %s", moved, latest.Header.Height, auditor.Address().Hex())
	}
	// The moved checkpoint verifies in turn after more blocks.
	ln.addBlock(t)
	ln.logVerify(t, ln.n.URL(), "--checkpoint", file).want(t, 0, "OK")
	// Without --trust the node's advertised address is trusted, and said so.
	if r := runCLI(t, nil, "--node", ln.n.URL(), "--key", ln.auditorKey, "log", "verify", "--checkpoint", file); r.code != 0 ||
		!strings.Contains(r.stderr, "trusting node address "+ln.n.Address().Hex()) {
		t.Fatalf("trust on first use: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// At the tip there is nothing to prove beyond the header.
	ln.logVerify(t, ln.n.URL(), "--checkpoint", file, "--update").want(t, 0, "OK")
	ln.logVerify(t, ln.n.URL(), "--checkpoint", file).want(t, 0, "OK", "header:", "ok")
}

// rewriteJSON decodes a response body into v, lets edit change it and
// encodes it back.
func rewriteJSON[T any](t *testing.T, body []byte, edit func(v *T)) []byte {
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("tamper: decode %s: %v", body, err)
		return body
	}
	edit(&v)
	out, err := json.Marshal(&v)
	if err != nil {
		t.Errorf("tamper: encode: %v", err)
	}
	return out
}

// resignBlock edits a served block's header and signs it with key, as a
// node holding its key and rewriting history would.
func resignBlock(t *testing.T, key *client.Key, edit func(h *block.Header)) func(b *api.Block) {
	return func(b *api.Block) {
		x := b.Header.Header
		h := block.Header{ChainID: x.ChainID, Height: x.Height, ParentHash: x.ParentHash, TimeMs: x.TimeMs, TxRoot: x.TxRoot,
			ReceiptRoot: x.ReceiptRoot, StateRoot: x.StateRoot, Proposer: x.Proposer, LogRoot: x.LogRoot}
		edit(&h)
		sh, err := block.SignHeader(h, func(d common.Hash) ([]byte, error) { return crypto.Sign(d[:], key.PrivateKey()) })
		if err != nil {
			t.Errorf("tamper: sign: %v", err)
			return
		}
		b.Header = api.SignedHeader{Hash: sh.Hash(), Signature: sh.Signature, Header: api.Header{
			ChainID: h.ChainID, Height: h.Height, ParentHash: h.ParentHash, TimeMs: h.TimeMs, TxRoot: h.TxRoot,
			ReceiptRoot: h.ReceiptRoot, StateRoot: h.StateRoot, Proposer: h.Proposer, LogRoot: h.LogRoot}}
	}
}

func testLogTampered(t *testing.T, ln *logNet) {
	nodeKey := client.NewKey(ln.n.Key())
	atCheckpoint := api.PathBlocks + strconv.FormatUint(ln.cpHeight, 10)
	// The real inclusion proof of the block after the checkpoint, served
	// as if it were the checkpoint's.
	other, err := ln.n.Ledger().LogInclusion(ln.cpHeight+1, ln.n.Ledger().Latest().Header.Height)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		tamper nodetest.Tamper
		strong bool
		check  string // the check that must fail
	}{
		{"consistency proof with a flipped hash", func(r *http.Request, status int, body []byte) []byte {
			if r.URL.Path != api.PathLogConsistency || status != http.StatusOK {
				return body
			}
			return rewriteJSON(t, body, func(p *api.LogConsistencyProof) { p.Hashes[0][0] ^= 1 })
		}, false, "consistency"},
		{"inclusion proof of another block", func(r *http.Request, status int, body []byte) []byte {
			if r.URL.Path != api.PathLogInclusion || status != http.StatusOK {
				return body
			}
			return rewriteJSON(t, body, func(p *api.LogInclusionProof) { p.BlockHash, p.Hashes = other.BlockHash, other.Hashes })
		}, false, "inclusion"},
		{"latest log does not extend the checkpoint", func(r *http.Request, status int, body []byte) []byte {
			if r.URL.Path != api.PathBlocks+"latest" || status != http.StatusOK {
				return body
			}
			return rewriteJSON(t, body, resignBlock(t, nodeKey, func(h *block.Header) { h.LogRoot[0] ^= 1 }))
		}, false, "consistency"},
		{"another header at the checkpoint's height, signed by the node's key", func(r *http.Request, status int, body []byte) []byte {
			if r.URL.Path != atCheckpoint || status != http.StatusOK {
				return body
			}
			return rewriteJSON(t, body, resignBlock(t, nodeKey, func(h *block.Header) { h.StateRoot[0] ^= 1 }))
		}, true, "header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proxy := nodetest.TamperProxy(t, ln.n.URL(), tc.tamper)
			evidence := filepath.Join(t.TempDir(), "evidence.json")
			if tc.strong {
				evidence = filepath.Join(ln.dir, "strong-evidence.json")
			}
			r := ln.logVerify(t, proxy, "--checkpoint", ln.checkpointFile(t), "--evidence-out", evidence, "--json")
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			var res logVerifyResult
			if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
				t.Fatalf("decode %s: %v", r.stdout, err)
			}
			failed := map[string]bool{}
			for _, c := range res.Checks {
				failed[c.Name] = !c.OK
			}
			if res.OK || !failed[tc.check] || res.EvidenceFile != evidence {
				t.Fatalf("result %+v: want check %q failed and evidence in %s", res, tc.check, evidence)
			}
			v := ln.evidenceVerify(t, evidence, "--json")
			v.want(t, 0, `"valid": true`)
			var f evidenceFinding
			if err := json.Unmarshal([]byte(v.stdout), &f); err != nil {
				t.Fatal(err)
			}
			if f.Strong != tc.strong || f.Height != ln.cpHeight {
				t.Fatalf("finding %+v, want strong=%v at height %d", f, tc.strong, ln.cpHeight)
			}
			// In people's words, the strength says what the evidence rests on.
			strength := "signatures alone"
			if !tc.strong {
				strength = "observer's word"
				if f.Auditor != nil {
					strength = "as good as that auditor's word"
				}
			}
			ln.evidenceVerify(t, evidence).want(t, 0, "VALID", strength)
			// Nobody else's signature makes it evidence.
			runCLI(t, nil, "evidence", "verify", evidence, "--trust", nodetest.NewAccount(t).Addr.Hex()).wantErr(t, 1, "forged evidence")
			if tc.strong {
				ln.strongEvidence = evidence
				testEvidenceConflicting(t, ln, proxy)
			}
		})
	}
	// The untampered node passes through the same proxy code.
	proxy := nodetest.TamperProxy(t, ln.n.URL(), func(_ *http.Request, _ int, b []byte) []byte { return b })
	ln.logVerify(t, proxy, "--checkpoint", ln.checkpointFile(t)).want(t, 0, "OK")
}
