package client_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// evChain is a chain of signed headers whose LogRoots are computed by the
// RFC 6962 reference tree of transparency-dev (an implementation
// independent of the node's ledger/histlog), with the tree kept for proofs.
type evChain struct {
	headers []api.SignedHeader
	tree    *testonly.Tree
}

// newEvChain signs n headers with key; fork, when > 0, changes the time of
// every header from that height on, so two chains built with different
// forks share blocks 0..fork-1 only.
func newEvChain(t testing.TB, key *client.Key, n int, fork uint64) *evChain {
	t.Helper()
	c := &evChain{tree: testonly.New(rfc6962.DefaultHasher)}
	parent := common.Hash{}
	for i := uint64(0); i < uint64(n); i++ {
		h := block.Header{ChainID: 7, Height: i, ParentHash: parent, TimeMs: int64(1000 + i),
			Proposer: key.Address(), LogRoot: common.BytesToHash(c.tree.HashAt(i))}
		if fork > 0 && i >= fork {
			h.TimeMs += 500
		}
		sh := signHeader(t, key, h)
		c.headers = append(c.headers, sh)
		c.tree.AppendData(sh.Hash[:])
		parent = sh.Hash
	}
	return c
}

func signHeader(t testing.TB, key *client.Key, h block.Header) api.SignedHeader {
	t.Helper()
	sh, err := block.SignHeader(h, func(d common.Hash) ([]byte, error) { return crypto.Sign(d[:], key.PrivateKey()) })
	if err != nil {
		t.Fatal(err)
	}
	return api.SignedHeader{Hash: sh.Hash(), Signature: sh.Signature, Header: api.Header{
		ChainID: h.ChainID, Height: h.Height, ParentHash: h.ParentHash, TimeMs: h.TimeMs, TxRoot: h.TxRoot,
		ReceiptRoot: h.ReceiptRoot, StateRoot: h.StateRoot, Proposer: h.Proposer, LogRoot: h.LogRoot}}
}

func hashes(t testing.TB, bs [][]byte, err error) []common.Hash {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]common.Hash, len(bs))
	for i, b := range bs {
		out[i] = common.BytesToHash(b)
	}
	return out
}

func (c *evChain) consistency(t testing.TB, from, to uint64) *api.LogConsistencyProof {
	p, err := c.tree.ConsistencyProof(from, to)
	return &api.LogConsistencyProof{From: from, To: to, FromRoot: common.BytesToHash(c.tree.HashAt(from)),
		ToRoot: common.BytesToHash(c.tree.HashAt(to)), Hashes: hashes(t, p, err)}
}

func (c *evChain) inclusion(t testing.TB, height, size uint64) *api.LogInclusionProof {
	p, err := c.tree.InclusionProof(height, size)
	return &api.LogInclusionProof{Height: height, BlockHash: c.headers[height].Hash, Size: size,
		Root: common.BytesToHash(c.tree.HashAt(size)), Hashes: hashes(t, p, err)}
}

func ptr[T any](v T) *T { return &v }

func TestVerifyEvidence(t *testing.T) {
	node, _ := client.GenerateKey()
	other, _ := client.GenerateKey()
	auditor, _ := client.GenerateKey()
	good := newEvChain(t, node, 10, 0)
	forked := newEvChain(t, node, 10, 3) // the node rewrote blocks 3.. after the checkpoint at 6
	rogue := newEvChain(t, other, 10, 0) // the same history signed by a key nobody authorised
	checkpoint := func(c *evChain, height uint64) *api.Checkpoint {
		h := c.headers[height]
		cp := &api.Checkpoint{ChainID: 7, Height: height, HeaderHash: h.Hash, StateRoot: h.Header.StateRoot, LogRoot: h.Header.LogRoot}
		if err := client.SignCheckpoint(cp, auditor); err != nil {
			t.Fatal(err)
		}
		return cp
	}
	conflicting := func(a, b api.SignedHeader) *api.Evidence {
		return &api.Evidence{Version: api.EvidenceVersion, Kind: api.EvidenceConflictingHeaders, ChainID: 7,
			Headers: []api.SignedHeader{a, b}}
	}
	logEv := func(edit func(e *api.Evidence)) *api.Evidence {
		e := &api.Evidence{Version: api.EvidenceVersion, Kind: api.EvidenceInconsistentLog, ChainID: 7,
			Checkpoint: checkpoint(good, 6), LaterHeader: ptr(forked.headers[9]), Consistency: forked.consistency(t, 6, 9)}
		// The node's own proof is between its roots; as served it claims
		// the checkpoint's root as its from-root.
		e.Consistency.FromRoot = e.Checkpoint.LogRoot
		if edit != nil {
			edit(e)
		}
		return e
	}
	flipped := func(p *api.LogConsistencyProof) *api.LogConsistencyProof {
		q := *p
		q.Hashes = append([]common.Hash(nil), p.Hashes...)
		q.Hashes[0][0] ^= 1
		return &q
	}
	trust := client.EvidenceTrust{Signers: []common.Address{node.Address()}}
	otherChain := block.DevGenesis(8, 0, node.Address())
	bft := block.DevGenesis(7, 0, node.Address())
	bft.Consensus = block.ConsensusCometBFT

	cases := []struct {
		name   string
		ev     *api.Evidence
		trust  client.EvidenceTrust
		want   error // nil: the evidence proves misbehaviour
		strong bool
	}{
		{"two headers at one height", conflicting(good.headers[5], forked.headers[5]), trust, nil, true},
		{"one header twice", conflicting(good.headers[5], good.headers[5]), trust, client.ErrNoMisbehaviour, false},
		{"headers at two heights", conflicting(good.headers[5], forked.headers[6]), trust, client.ErrNoMisbehaviour, false},
		{"edited header", conflicting(good.headers[5], func() api.SignedHeader {
			h := forked.headers[5]
			h.Header.TimeMs = good.headers[5].Header.TimeMs
			return h
		}()), trust, client.ErrForgedEvidence, false},
		{"edited header, hash recomputed", conflicting(good.headers[5], func() api.SignedHeader {
			h := forked.headers[5]
			h.Header.StateRoot[0] ^= 1
			x := h.Header
			h.Hash = (&block.Header{ChainID: x.ChainID, Height: x.Height, ParentHash: x.ParentHash, TimeMs: x.TimeMs,
				TxRoot: x.TxRoot, ReceiptRoot: x.ReceiptRoot, StateRoot: x.StateRoot, Proposer: x.Proposer, LogRoot: x.LogRoot}).Hash()
			return h
		}()), trust, client.ErrForgedEvidence, false},
		{"bad signature", conflicting(good.headers[5], func() api.SignedHeader {
			h := forked.headers[5]
			h.Signature = append([]byte(nil), h.Signature...)
			h.Signature[3] ^= 1
			return h
		}()), trust, client.ErrForgedEvidence, false},
		{"signer not authorised", conflicting(good.headers[5], rogue.headers[5]), trust, client.ErrForgedEvidence, false},
		{"one header", &api.Evidence{Version: 1, Kind: api.EvidenceConflictingHeaders, ChainID: 7,
			Headers: []api.SignedHeader{good.headers[5]}}, trust, client.ErrBadEvidence, false},
		{"no signers", conflicting(good.headers[5], forked.headers[5]), client.EvidenceTrust{}, client.ErrBadEvidence, false},
		{"genesis of another chain", conflicting(good.headers[5], forked.headers[5]),
			client.EvidenceTrust{Signers: trust.Signers, Genesis: otherChain}, client.ErrForgedEvidence, false},
		{"BFT genesis", conflicting(good.headers[5], forked.headers[5]),
			client.EvidenceTrust{Signers: trust.Signers, Genesis: bft}, client.ErrBadEvidence, false},
		{"version 2", func() *api.Evidence {
			e := conflicting(good.headers[5], forked.headers[5])
			e.Version = 2
			return e
		}(), trust, client.ErrBadEvidence, false},
		{"unknown kind", func() *api.Evidence {
			e := conflicting(good.headers[5], forked.headers[5])
			e.Kind = "rumour"
			return e
		}(), trust, client.ErrBadEvidence, false},

		{"log does not extend the checkpoint", logEv(nil), trust, nil, false},
		{"consistency proof verifies", logEv(func(e *api.Evidence) {
			e.LaterHeader, e.Consistency = ptr(good.headers[9]), good.consistency(t, 6, 9)
		}), trust, client.ErrNoMisbehaviour, false},
		{"consistency proof with a flipped hash", logEv(func(e *api.Evidence) {
			e.LaterHeader, e.Consistency = ptr(good.headers[9]), flipped(good.consistency(t, 6, 9))
		}), trust, nil, false},
		{"consistency proof between other roots", logEv(func(e *api.Evidence) {
			e.Consistency.ToRoot[0] ^= 1
		}), trust, client.ErrForgedEvidence, false},
		{"consistency proof of other sizes", logEv(func(e *api.Evidence) {
			e.Consistency.From = 5
		}), trust, client.ErrForgedEvidence, false},
		{"checkpoint edited", logEv(func(e *api.Evidence) {
			e.Checkpoint.Height = 5
			e.Consistency.From = 5
		}), trust, client.ErrForgedEvidence, false},
		{"checkpoint by an untrusted auditor", logEv(nil),
			client.EvidenceTrust{Signers: trust.Signers, Auditors: []common.Address{other.Address()}}, client.ErrForgedEvidence, false},
		{"checkpoint by the trusted auditor", logEv(nil),
			client.EvidenceTrust{Signers: trust.Signers, Auditors: []common.Address{auditor.Address()}}, nil, false},
		{"later header by an unauthorised signer", logEv(func(e *api.Evidence) {
			e.LaterHeader = ptr(rogue.headers[9])
			e.Consistency.ToRoot = rogue.headers[9].Header.LogRoot
		}), trust, client.ErrForgedEvidence, false},
		{"later header not after", logEv(func(e *api.Evidence) {
			e.LaterHeader = ptr(forked.headers[6])
			e.Consistency = &api.LogConsistencyProof{From: 6, To: 6, FromRoot: e.Checkpoint.LogRoot, ToRoot: forked.headers[6].Header.LogRoot}
		}), trust, client.ErrBadEvidence, false},
		{"checkpoint and earlier header", logEv(func(e *api.Evidence) {
			e.EarlierHeader = ptr(good.headers[6])
		}), trust, client.ErrBadEvidence, false},
		{"no proof", logEv(func(e *api.Evidence) { e.Consistency = nil }), trust, client.ErrBadEvidence, false},
		{"two proofs", logEv(func(e *api.Evidence) { e.Inclusion = good.inclusion(t, 6, 9) }), trust, client.ErrBadEvidence, false},
		{"a proof too long", logEv(func(e *api.Evidence) {
			e.Consistency.Hashes = make([]common.Hash, api.MaxLogProofHashes+1)
		}), trust, client.ErrBadEvidence, false},

		{"later log holds another block at M", logEv(func(e *api.Evidence) {
			e.Checkpoint, e.EarlierHeader = nil, ptr(good.headers[6])
			e.Consistency, e.Inclusion = nil, forked.inclusion(t, 6, 9)
		}), trust, nil, true},
		{"later log holds another block at the checkpoint's height", logEv(func(e *api.Evidence) {
			e.Consistency, e.Inclusion = nil, forked.inclusion(t, 6, 9)
		}), trust, nil, false},
		{"inclusion proof verifies", logEv(func(e *api.Evidence) {
			e.Checkpoint, e.EarlierHeader = nil, ptr(good.headers[6])
			e.LaterHeader, e.Consistency, e.Inclusion = ptr(good.headers[9]), nil, good.inclusion(t, 6, 9)
		}), trust, client.ErrNoMisbehaviour, false},
		{"inclusion proof with a flipped hash", logEv(func(e *api.Evidence) {
			e.LaterHeader, e.Consistency, e.Inclusion = ptr(good.headers[9]), nil, good.inclusion(t, 6, 9)
			e.Inclusion.Hashes[0][5] ^= 1
		}), trust, nil, false},
		{"inclusion proof of another height", logEv(func(e *api.Evidence) {
			e.LaterHeader, e.Consistency, e.Inclusion = ptr(good.headers[9]), nil, good.inclusion(t, 5, 9)
		}), trust, client.ErrForgedEvidence, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := client.VerifyEvidence(tc.ev, tc.trust)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("genuine evidence refused: %v", err)
				}
				if f.Strong != tc.strong || f.Proven == "" || f.Kind != tc.ev.Kind {
					t.Fatalf("finding %+v, want strong=%v and what it proves", f, tc.strong)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if f != nil {
				t.Fatalf("a refused evidence has a finding: %+v", f)
			}
		})
	}
}

func TestVerifyEvidenceGenesisNodes(t *testing.T) {
	node, _ := client.GenerateKey()
	good := newEvChain(t, node, 6, 0)
	forked := newEvChain(t, node, 6, 2)
	g := block.DevGenesis(7, 0)
	g.Orgs[0].Nodes = []common.Address{node.Address()}
	e := &api.Evidence{Version: 1, Kind: api.EvidenceConflictingHeaders, ChainID: 7,
		Headers: []api.SignedHeader{good.headers[4], forked.headers[4]}}
	if _, err := client.VerifyEvidence(e, client.EvidenceTrust{Genesis: g}); err != nil {
		t.Fatalf("a genesis org's node is an authorised signer: %v", err)
	}
	g.Orgs[0].Nodes = nil
	if _, err := client.VerifyEvidence(e, client.EvidenceTrust{Genesis: g}); !errors.Is(err, client.ErrBadEvidence) {
		t.Fatalf("no signers: err = %v, want ErrBadEvidence", err)
	}
}

// FuzzVerifyEvidence feeds arbitrary JSON to the evidence decoder and
// verifier: it must never panic, and whatever it accepts must say what it
// proves. Seeds are genuine and edited evidence.
func FuzzVerifyEvidence(f *testing.F) {
	node, _ := client.GenerateKey()
	good := newEvChain(f, node, 8, 0)
	forked := newEvChain(f, node, 8, 2)
	seeds := []*api.Evidence{
		{Version: 1, Kind: api.EvidenceConflictingHeaders, ChainID: 7, Headers: []api.SignedHeader{good.headers[4], forked.headers[4]}},
		{Version: 1, Kind: api.EvidenceInconsistentLog, ChainID: 7, EarlierHeader: ptr(good.headers[3]),
			LaterHeader: ptr(forked.headers[7]), Inclusion: forked.inclusion(f, 3, 7)},
		{Version: 1, Kind: api.EvidenceInconsistentLog, ChainID: 7, EarlierHeader: ptr(good.headers[3]),
			LaterHeader: ptr(forked.headers[7]), Consistency: forked.consistency(f, 3, 7)},
	}
	for _, e := range seeds {
		b, err := json.Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	trust := client.EvidenceTrust{Signers: []common.Address{node.Address()}}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e api.Evidence
		if json.Unmarshal(b, &e) != nil {
			return
		}
		fd, err := client.VerifyEvidence(&e, trust)
		switch {
		case err == nil && (fd == nil || fd.Proven == ""):
			t.Fatalf("accepted without a finding: %s", b)
		case err != nil && fd != nil:
			t.Fatalf("refused with a finding: %v", err)
		case err != nil && !errors.Is(err, client.ErrBadEvidence) && !errors.Is(err, client.ErrForgedEvidence) &&
			!errors.Is(err, client.ErrNoMisbehaviour):
			t.Fatalf("untyped refusal: %v", err)
		}
	})
}
