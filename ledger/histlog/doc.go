// Package histlog is the ledger's history log: an append-only RFC 6962
// (RFC 9162 §2.1) Merkle log whose leaf i is the hash of the block at
// height i. Every block header commits the root of the log of the blocks
// before it (block.Header.LogRoot), so a client holding one verified
// header can be shown, with a logarithmic proof, that any earlier block is
// in the chain it trusts (InclusionProof) and that a later header's log
// extends an earlier one's (ConsistencyProof): a node cannot rewrite a
// block it once served without the proofs failing.
//
// The tree is maintained with compact ranges (github.com/transparency-dev/
// merkle/compact) and proofs are assembled with merkle/proof's node lists;
// this package only stores and fetches node hashes. Hashing is RFC 6962
// with SHA-256 (rfc6962.DefaultHasher): a leaf hash is SHA-256(0x00 ‖
// block hash), an inner node SHA-256(0x01 ‖ left ‖ right), the empty log's
// root SHA-256("").
//
// Guarantees:
//   - Append writes the leaf and every node it completes into the caller's
//     batch and changes nothing else; the appended state becomes visible to
//     readers only when the caller, after the batch is written, calls
//     Publish. A batch that is never written leaves the log as it was, so a
//     block and its log leaf are stored together or not at all.
//   - Stored nodes are complete subtrees, written once and never changed.
//   - Readers (Size, Root, InclusionProof, ConsistencyProof) are safe for
//     concurrent use with each other and with the one writer; a read for a
//     size up to the published size only touches nodes already written.
//
// The log does not keep its size on disk: the ledger's latest height is the
// one source of truth (size = latest height + 1, genesis included), and
// Open is told the size.
//
// It must never decide what a leaf is or when a batch is written.
package histlog
