package api

// Evidence is a self-contained record that a node misbehaved, which
// anyone can re-check offline (sdk/client: VerifyEvidence; the CLI:
// meshledger evidence verify). Everything it proves rests on signatures
// inside it and on hashes a verifier recomputes; NodeURL, ObservedAt and
// Reason are what the observer says and are never verified.
//
// Kinds (docs/audit.md, "Evidence"):
//
//   - EvidenceConflictingHeaders: Headers holds two signed headers of the
//     same chain and height whose hashes differ, each signed by its
//     proposer, an authorised signer. A signer that signs two blocks at
//     one height has rewritten (or forked) its history.
//
//   - EvidenceInconsistentLog: an earlier commitment (exactly one of
//     Checkpoint, signed by an auditor, or EarlierHeader, signed by an
//     authorised signer) to the block at height M with header hash H and
//     history-log root R_M (the log of M leaves), a LaterHeader signed by
//     an authorised signer at height N > M with log root R_N, and exactly
//     one proof the node served: a Consistency proof from M to N that does
//     not verify against (R_M, R_N), or an Inclusion proof of leaf M in the
//     log of N leaves whose leaf is not H (while verifying against R_N), or
//     that does not verify against R_N. The proof's own roots and sizes
//     must be the signed ones.
type Evidence struct {
	Version int    `json:"version"` // EvidenceVersion
	Kind    string `json:"kind"`    // EvidenceConflictingHeaders or EvidenceInconsistentLog
	ChainID uint64 `json:"chainId"`

	// NodeURL is where the observer fetched what is in here (informational).
	NodeURL string `json:"nodeUrl,omitempty"`
	// ObservedAt is when, in RFC 3339 UTC (informational).
	ObservedAt string `json:"observedAt,omitempty"`
	// Reason is the observer's one-line account (informational).
	Reason string `json:"reason,omitempty"`

	// Headers: kind conflicting-headers, exactly two.
	Headers []SignedHeader `json:"headers,omitempty"`

	// Kind inconsistent-log: the earlier commitment is Checkpoint or
	// EarlierHeader (one of them), the later one LaterHeader, and the
	// proof is Consistency or Inclusion (one of them).
	Checkpoint    *Checkpoint          `json:"checkpoint,omitempty"`
	EarlierHeader *SignedHeader        `json:"earlierHeader,omitempty"`
	LaterHeader   *SignedHeader        `json:"laterHeader,omitempty"`
	Consistency   *LogConsistencyProof `json:"consistency,omitempty"`
	Inclusion     *LogInclusionProof   `json:"inclusion,omitempty"`
}

// Evidence kinds.
const (
	EvidenceConflictingHeaders = "conflicting-headers"
	EvidenceInconsistentLog    = "inconsistent-log"
)

// EvidenceVersion is the format version of Evidence.
const EvidenceVersion = 1

// MaxEvidenceBytes bounds an evidence file: two headers and an
// O(log n) proof of at most MaxLogProofHashes hashes fit many times over.
const MaxEvidenceBytes = 64 << 10

// MaxLogProofHashes bounds the hashes of one history-log proof: a log of
// 2^64 leaves needs at most 64 for inclusion and 2·64 for consistency.
const MaxLogProofHashes = 128
