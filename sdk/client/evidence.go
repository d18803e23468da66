package client

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/sdk/api"
)

// Errors of VerifyEvidence. Each refusal wraps exactly one of them, so a
// caller tells "this file is not evidence" from "this evidence is forged"
// from "this evidence is genuine but shows nothing wrong".
var (
	// ErrBadEvidence: the file is not evidence this version understands
	// (version, kind, a missing or surplus part, nothing to check it
	// against, a BFT chain whose headers carry no signature).
	ErrBadEvidence = errors.New("bad evidence")
	// ErrForgedEvidence: a signature does not verify, a signer is not
	// authorised, a hash is not the hash of its header, or a proof's
	// roots or sizes are not the signed ones.
	ErrForgedEvidence = errors.New("forged evidence")
	// ErrNoMisbehaviour: the evidence is authentic but proves nothing:
	// the headers are one, or the proof verifies.
	ErrNoMisbehaviour = errors.New("evidence shows no misbehaviour")
)

// EvidenceTrust is what evidence is checked against.
type EvidenceTrust struct {
	// Signers are the addresses whose header signatures count: a solo
	// chain's producer (the node's key), pinned by the verifier.
	Signers []common.Address
	// Genesis, when set, fixes the chain: its chain id must be the
	// evidence's, and its organisations' nodes count as Signers.
	Genesis *block.Genesis
	// Auditors, when not empty, are the only auditors whose checkpoints
	// count; when empty any validly signed checkpoint counts, and the
	// reader judges its auditor (EvidenceFinding.Auditor).
	Auditors []common.Address
}

// EvidenceFinding is what verified evidence proves.
type EvidenceFinding struct {
	Kind   string
	Height uint64 // the height the misbehaviour is about (M)
	// Signers are the signers of the headers the evidence rests on.
	Signers []common.Address
	// Auditor is the checkpoint's auditor when the earlier commitment is
	// a checkpoint: the evidence is then as good as that auditor's word.
	Auditor *common.Address
	// Proven says what the evidence establishes, for people.
	Proven string
	// Strong is true when the proof stands on signatures alone (two
	// signed headers; a proof that verifies against a signed root and
	// shows another block): no one can make it up without a signer's
	// key. A proof that merely fails is only the observer's word that
	// the node served it, since proofs are not signed (docs/audit.md).
	Strong bool
}

// VerifyEvidence checks e offline and returns what it proves. It returns
// an error wrapping ErrBadEvidence, ErrForgedEvidence or
// ErrNoMisbehaviour unless e really proves that a node misbehaved.
func VerifyEvidence(e *api.Evidence, trust EvidenceTrust) (*EvidenceFinding, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: none", ErrBadEvidence)
	}
	if e.Version != api.EvidenceVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBadEvidence, e.Version, api.EvidenceVersion)
	}
	signers := append([]common.Address(nil), trust.Signers...)
	if g := trust.Genesis; g != nil {
		if g.BFT() {
			// A BFT chain's headers are authenticated by its validators'
			// commits (sdk/client/bft), which evidence does not carry.
			return nil, fmt.Errorf("%w: chain %d is a BFT chain; evidence covers signed (solo) headers only", ErrBadEvidence, g.ChainID)
		}
		if g.ChainID != e.ChainID {
			return nil, fmt.Errorf("%w: evidence of chain %d, genesis of chain %d", ErrForgedEvidence, e.ChainID, g.ChainID)
		}
		for _, o := range g.Orgs {
			signers = append(signers, o.Nodes...)
		}
	}
	if len(signers) == 0 {
		return nil, fmt.Errorf("%w: no authorised signers to check headers against", ErrBadEvidence)
	}
	v := NewVerifier(signers...)
	switch e.Kind {
	case api.EvidenceConflictingHeaders:
		return verifyConflictingHeaders(e, v)
	case api.EvidenceInconsistentLog:
		return verifyInconsistentLog(e, v, trust.Auditors)
	default:
		return nil, fmt.Errorf("%w: kind %q", ErrBadEvidence, e.Kind)
	}
}

// verifySignedHeader checks a header of the evidence: its hash, its
// signature by its proposer, an authorised signer, and its chain.
func verifySignedHeader(what string, h *api.SignedHeader, v *Verifier, chainID uint64) (*block.SignedHeader, error) {
	if len(h.Signature) == 0 {
		return nil, fmt.Errorf("%w: %s is unsigned (a BFT header: not covered)", ErrBadEvidence, what)
	}
	sh, err := v.VerifyHeader(h)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrForgedEvidence, what, err)
	}
	if sh.Header.ChainID != chainID {
		return nil, fmt.Errorf("%w: %s of chain %d, evidence of chain %d", ErrForgedEvidence, what, sh.Header.ChainID, chainID)
	}
	return sh, nil
}

func verifyConflictingHeaders(e *api.Evidence, v *Verifier) (*EvidenceFinding, error) {
	if len(e.Headers) != 2 {
		return nil, fmt.Errorf("%w: %s needs 2 headers, has %d", ErrBadEvidence, e.Kind, len(e.Headers))
	}
	if e.Checkpoint != nil || e.EarlierHeader != nil || e.LaterHeader != nil || e.Consistency != nil || e.Inclusion != nil {
		return nil, fmt.Errorf("%w: %s carries parts of another kind", ErrBadEvidence, e.Kind)
	}
	a, err := verifySignedHeader("header 1", &e.Headers[0], v, e.ChainID)
	if err != nil {
		return nil, err
	}
	b, err := verifySignedHeader("header 2", &e.Headers[1], v, e.ChainID)
	if err != nil {
		return nil, err
	}
	if a.Header.Height != b.Header.Height {
		return nil, fmt.Errorf("%w: headers at heights %d and %d", ErrNoMisbehaviour, a.Header.Height, b.Header.Height)
	}
	if a.Hash() == b.Hash() {
		return nil, fmt.Errorf("%w: both headers are %s", ErrNoMisbehaviour, a.Hash().Hex())
	}
	return &EvidenceFinding{
		Kind: e.Kind, Height: a.Header.Height, Strong: true,
		Signers: []common.Address{a.Header.Proposer, b.Header.Proposer},
		Proven: fmt.Sprintf("two blocks signed at height %d: %s by %s and %s by %s", a.Header.Height,
			a.Hash().Hex(), a.Header.Proposer.Hex(), b.Hash().Hex(), b.Header.Proposer.Hex()),
	}, nil
}

// earlier is the commitment an inconsistent-log evidence starts from.
type earlier struct {
	height  uint64
	hash    common.Hash
	logRoot common.Hash
}

func verifyInconsistentLog(e *api.Evidence, v *Verifier, auditors []common.Address) (*EvidenceFinding, error) {
	switch {
	case len(e.Headers) != 0:
		return nil, fmt.Errorf("%w: %s carries headers of another kind", ErrBadEvidence, e.Kind)
	case (e.Checkpoint == nil) == (e.EarlierHeader == nil):
		return nil, fmt.Errorf("%w: %s needs exactly one of checkpoint and earlierHeader", ErrBadEvidence, e.Kind)
	case e.LaterHeader == nil:
		return nil, fmt.Errorf("%w: %s needs laterHeader", ErrBadEvidence, e.Kind)
	case (e.Consistency == nil) == (e.Inclusion == nil):
		return nil, fmt.Errorf("%w: %s needs exactly one of consistency and inclusion", ErrBadEvidence, e.Kind)
	}
	f := &EvidenceFinding{Kind: e.Kind}
	var from earlier
	if c := e.Checkpoint; c != nil {
		if err := VerifyCheckpoint(c, auditors...); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrForgedEvidence, err)
		}
		if c.ChainID != e.ChainID {
			return nil, fmt.Errorf("%w: checkpoint of chain %d, evidence of chain %d", ErrForgedEvidence, c.ChainID, e.ChainID)
		}
		from = earlier{height: c.Height, hash: c.HeaderHash, logRoot: c.LogRoot}
		auditor := c.Auditor
		f.Auditor = &auditor
	} else {
		sh, err := verifySignedHeader("earlier header", e.EarlierHeader, v, e.ChainID)
		if err != nil {
			return nil, err
		}
		from = earlier{height: sh.Header.Height, hash: sh.Hash(), logRoot: sh.Header.LogRoot}
		f.Signers = append(f.Signers, sh.Header.Proposer)
	}
	later, err := verifySignedHeader("later header", e.LaterHeader, v, e.ChainID)
	if err != nil {
		return nil, err
	}
	f.Signers = append(f.Signers, later.Header.Proposer)
	n, rootN := later.Header.Height, later.Header.LogRoot
	if n <= from.height {
		return nil, fmt.Errorf("%w: later header %d is not after height %d", ErrBadEvidence, n, from.height)
	}
	f.Height = from.height
	if p := e.Consistency; p != nil {
		if err := checkLogProofSize(len(p.Hashes)); err != nil {
			return nil, err
		}
		if p.From != from.height || p.To != n || p.FromRoot != from.logRoot || p.ToRoot != rootN {
			return nil, fmt.Errorf("%w: consistency proof %d→%d (%s→%s) is not between the signed logs %d→%d (%s→%s)",
				ErrForgedEvidence, p.From, p.To, p.FromRoot.Hex(), p.ToRoot.Hex(), from.height, n, from.logRoot.Hex(), rootN.Hex())
		}
		if err := VerifyLogConsistency(p, from.logRoot, rootN); err == nil {
			return nil, fmt.Errorf("%w: the consistency proof %d→%d verifies", ErrNoMisbehaviour, p.From, p.To)
		}
		f.Proven = fmt.Sprintf("the node served a consistency proof from log %d (root %s) to log %d (root %s, signed at height %d) that does not verify",
			from.height, from.logRoot.Hex(), n, rootN.Hex(), n)
		return f, nil
	}
	p := e.Inclusion
	if err := checkLogProofSize(len(p.Hashes)); err != nil {
		return nil, err
	}
	if p.Height != from.height || p.Size != n || p.Root != rootN {
		return nil, fmt.Errorf("%w: inclusion proof of %d in log %d (%s) is not of height %d in the signed log %d (%s)",
			ErrForgedEvidence, p.Height, p.Size, p.Root.Hex(), from.height, n, rootN.Hex())
	}
	verifies := VerifyLogInclusion(p, rootN) == nil
	switch {
	case verifies && p.BlockHash == from.hash:
		return nil, fmt.Errorf("%w: the inclusion proof of block %d (%s) in log %d verifies", ErrNoMisbehaviour, p.Height, p.BlockHash.Hex(), n)
	case verifies:
		f.Strong = e.EarlierHeader != nil
		f.Proven = fmt.Sprintf("the log signed at height %d holds block %s at height %d, not %s", n, p.BlockHash.Hex(), from.height, from.hash.Hex())
	default:
		f.Proven = fmt.Sprintf("the node served an inclusion proof of height %d in log %d (root %s, signed at height %d) that does not verify",
			from.height, n, rootN.Hex(), n)
	}
	return f, nil
}

func checkLogProofSize(n int) error {
	if n > api.MaxLogProofHashes {
		return fmt.Errorf("%w: a log proof of %d hashes (at most %d)", ErrBadEvidence, n, api.MaxLogProofHashes)
	}
	return nil
}

// VerifyLogInclusionProof checks p: the RFC 6962 (SHA-256) audit path
// from the leaf of p.BlockHash at index p.Height to p.Root in a log of
// p.Size leaves.
func VerifyLogInclusionProof(p *api.LogInclusionProof) error {
	h := rfc6962.DefaultHasher
	if err := proof.VerifyInclusion(h, p.Height, p.Size, h.HashLeaf(p.BlockHash[:]), hashBytes(p.Hashes), p.Root[:]); err != nil {
		return fmt.Errorf("%w: inclusion of block %d in log %d: %v", ErrVerify, p.Height, p.Size, err)
	}
	return nil
}

// VerifyLogConsistencyProof checks p: the RFC 6962 (SHA-256) proof that
// the log of p.To leaves, root p.ToRoot, extends the log of p.From leaves,
// root p.FromRoot.
func VerifyLogConsistencyProof(p *api.LogConsistencyProof) error {
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, p.From, p.To, hashBytes(p.Hashes), p.FromRoot[:], p.ToRoot[:]); err != nil {
		return fmt.Errorf("%w: consistency of log %d with log %d: %v", ErrVerify, p.From, p.To, err)
	}
	return nil
}

func hashBytes(hs []common.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
