package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// testEvidenceForged edits genuine evidence (written by log verify against
// a node that re-signed the checkpoint's block) and checks that evidence
// verify refuses each edit with the status it promises.
func testEvidenceForged(t *testing.T, ln *logNet) {
	if ln.strongEvidence == "" {
		t.Skip("the tampered test wrote no evidence")
	}
	raw, err := os.ReadFile(ln.strongEvidence)
	if err != nil {
		t.Fatal(err)
	}
	genuine := func() *api.Evidence {
		var e api.Evidence
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		return &e
	}
	if e := genuine(); e.Kind != api.EvidenceInconsistentLog || e.EarlierHeader == nil || e.Inclusion == nil {
		t.Fatalf("the strong evidence is %+v; want an earlier header and an inclusion proof", e)
	}
	realAtM, err := ln.n.Ledger().Header(ln.cpHeight)
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return writeTemp(t, "evidence.json", string(b))
	}
	cases := []struct {
		name string
		edit func(e *api.Evidence)
		code int
		msg  string
	}{
		{"earlier header edited", func(e *api.Evidence) { e.EarlierHeader.Header.TimeMs++ }, 1, "forged evidence"},
		{"signature edited", func(e *api.Evidence) {
			e.LaterHeader.Signature = append(hexutil.Bytes(nil), e.LaterHeader.Signature...)
			e.LaterHeader.Signature[7] ^= 1
		}, 1, "forged evidence"},
		{"the node's real header at the height", func(e *api.Evidence) {
			sh := realAtM
			e.EarlierHeader.Hash, e.EarlierHeader.Signature = sh.Hash(), sh.Signature
			e.EarlierHeader.Header.StateRoot = sh.Header.StateRoot
		}, 1, "shows no misbehaviour"},
		{"proof of another size", func(e *api.Evidence) { e.Inclusion.Size-- }, 1, "forged evidence"},
		{"another chain", func(e *api.Evidence) { e.ChainID++ }, 1, "forged evidence"},
		{"unknown kind", func(e *api.Evidence) { e.Kind = "rumour" }, 2, "bad evidence"},
		{"no later header", func(e *api.Evidence) { e.LaterHeader = nil }, 2, "bad evidence"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := genuine()
			tc.edit(e)
			ln.evidenceVerify(t, write(t, e)).wantErr(t, tc.code, tc.msg)
		})
	}
	// Files that are not evidence at all.
	ln.evidenceVerify(t, writeTemp(t, "e.json", "not json")).wantErr(t, 2, "bad evidence")
	ln.evidenceVerify(t, writeTemp(t, "e.json", strings.Replace(string(raw), `"version"`, `"versoin"`, 1))).wantErr(t, 2, "unknown field")
	ln.evidenceVerify(t, writeTemp(t, "e.json", strings.Repeat(" ", api.MaxEvidenceBytes+1))).wantErr(t, 2, "larger than")
	ln.evidenceVerify(t, filepath.Join(t.TempDir(), "absent.json")).wantErr(t, 2, "no such file")
	runCLI(t, nil, "evidence", "verify", ln.strongEvidence).wantErr(t, 2, "no authorised signers")
	ln.evidenceVerify(t, ln.strongEvidence, "--genesis", writeTemp(t, "g.json", "{}")).wantErr(t, 2, "bad genesis")
	// The genuine file, in people's words.
	ln.evidenceVerify(t, ln.strongEvidence).want(t, 0, "VALID", "inconsistent-log", "signatures alone")
}

func testLogRefused(t *testing.T, ln *logNet) {
	url := ln.n.URL()
	ln.logVerify(t, url).wantErr(t, 2, "--checkpoint FILE is required")
	ln.logVerify(t, url, "--checkpoint", filepath.Join(t.TempDir(), "absent.json")).wantErr(t, 2, "no such file")
	var cp api.Checkpoint
	if err := json.Unmarshal(ln.cp, &cp); err != nil {
		t.Fatal(err)
	}
	edited := cp
	edited.Height--
	b, _ := json.Marshal(edited)
	ln.logVerify(t, url, "--checkpoint", writeTemp(t, "cp.json", string(b))).wantErr(t, 2, "bad checkpoint")
	ln.logVerify(t, url, "--checkpoint", ln.checkpointFile(t), "--auditor", ln.n.Address().Hex()).wantErr(t, 2, "is not trusted")
	future := cp
	future.Height = 1 << 40
	ln.logVerify(t, url, "--checkpoint", resignedCheckpoint(t, ln, future)).wantErr(t, 2, "behind or withholding")
	otherChain := cp
	otherChain.ChainID++
	ln.logVerify(t, url, "--checkpoint", resignedCheckpoint(t, ln, otherChain)).wantErr(t, 2, "the node serves chain")
	ln.logVerify(t, "http://127.0.0.1:1", "--checkpoint", ln.checkpointFile(t)).wantErr(t, 2, "latest header")
	// A checkpoint at the tip whose block the node does not have: the
	// check fails, but an auditor's word against one signed header is no
	// evidence a third party can check.
	tip := ln.n.Ledger().Latest()
	atTip := api.Checkpoint{ChainID: cp.ChainID, GenesisHash: cp.GenesisHash, Height: tip.Header.Height,
		HeaderHash: tip.Hash(), StateRoot: tip.Header.StateRoot, LogRoot: tip.Header.LogRoot}
	atTip.HeaderHash[0] ^= 1
	ln.logVerify(t, url, "--checkpoint", resignedCheckpoint(t, ln, atTip)).
		want(t, 1, "FAILED", "header:", "FAILED", "evidence:", "none")
	// A header signer nobody trusts: the check cannot run.
	runCLI(t, nil, "--node", url, "--key", ln.auditorKey, "--trust", "0x0000000000000000000000000000000000000001",
		"log", "verify", "--checkpoint", ln.checkpointFile(t)).wantErr(t, 2, "not signed by a trusted node")
}

// resignedCheckpoint signs cp with the auditor's key and writes it.
func resignedCheckpoint(t *testing.T, ln *logNet, cp api.Checkpoint) string {
	t.Helper()
	k, err := client.LoadHexKey(ln.auditorKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.SignCheckpoint(&cp, k); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(cp)
	return writeTemp(t, "cp.json", string(b))
}

func testLogRawProofs(t *testing.T, ln *logNet) {
	latest := ln.n.Ledger().Latest().Header.Height
	base := []string{"--node", ln.n.URL(), "--key", ln.auditorKey, "log"}
	r := runCLI(t, nil, append(base, "inclusion", "--height", "2", "--size", strconv.FormatUint(latest, 10))...)
	r.want(t, 0, `"height": 2`, `"blockHash"`, `"hashes"`)
	r = runCLI(t, nil, append(base, "consistency", "--from", "2", "--to", strconv.FormatUint(latest, 10))...)
	r.want(t, 0, `"from": 2`, `"fromRoot"`, `"hashes"`)
	runCLI(t, nil, append(base, "inclusion", "--height", "2", "--size", "99999")...).wantErr(t, 2, "height_unavailable")
}

// testEvidenceConflicting saves the block at the checkpoint's height as
// the node served it and as the lying proxy serves it (re-signed with the
// node's key), and makes conflicting-headers evidence of the two.
func testEvidenceConflicting(t *testing.T, ln *logNet, proxy string) {
	height := strconv.FormatUint(ln.cpHeight, 10)
	save := func(url string) string {
		r := runCLI(t, nil, "--node", url, "--key", ln.auditorKey, "block", height, "--json")
		r.want(t, 0, `"signature"`)
		return writeTemp(t, "block.json", r.stdout)
	}
	served, lied := save(ln.n.URL()), save(proxy)
	out := filepath.Join(t.TempDir(), "conflicting.json")
	runCLI(t, nil, "evidence", "conflicting", served, lied, "-o", out, "--trust", ln.n.Address().Hex()).
		want(t, 0, "VALID", "conflicting-headers", "two blocks signed at height "+height, "signatures alone")
	ln.evidenceVerify(t, out).want(t, 0, "VALID", "conflicting-headers")
	// The same block twice proves nothing, and nothing is written.
	none := filepath.Join(t.TempDir(), "none.json")
	runCLI(t, nil, "evidence", "conflicting", served, served, "-o", none, "--trust", ln.n.Address().Hex()).
		wantErr(t, 1, "shows no misbehaviour")
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Fatalf("evidence written for one block twice: %v", err)
	}
	runCLI(t, nil, "evidence", "conflicting", served, lied, "--trust", ln.n.Address().Hex()).wantErr(t, 2, "-o FILE is required")
	runCLI(t, nil, "evidence", "conflicting", served, writeTemp(t, "x.json", "{}"), "-o", none, "--trust", ln.n.Address().Hex()).
		wantErr(t, 2, "neither a block nor a signed header")
}

// TestCheckCommandUsage: the commands that check something keep exit
// status 1 for a failed check, so their usage errors (arguments, flags)
// exit 2 like their other unusable input.
func TestCheckCommandUsage(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"evidence", "verify"}, "accepts 1 arg(s)"},
		{[]string{"evidence", "verify", "a.json", "b.json"}, "accepts 1 arg(s)"},
		{[]string{"evidence", "conflicting", "a.json"}, "accepts 2 arg(s)"},
		{[]string{"evidence", "verify", "a.json", "--bogus"}, "unknown flag"},
		{[]string{"log", "verify", "--bogus"}, "unknown flag"},
		{[]string{"log", "inclusion", "extra"}, "unknown command"},
		{[]string{"audit", "--bogus"}, "unknown flag"},
		{[]string{"audit", "extra"}, "unknown command"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			runCLI(t, nil, tc.args...).wantErr(t, 2, tc.msg)
		})
	}
}
