// Package block defines what a meshledger block commits to: the header and
// its hash, the proposer's signature, receipts and their canonical encoding,
// and the genesis file. The transaction and receipt Merkle-Patricia roots
// that a header carries are derived and proved by the ledger
// (ledger/internal/roots), not here: clients decode and verify blocks with
// this package and must not link go-ethereum's trie to do so.
//
// Guarantees:
//   - Every encoding here is canonical RLP: the same value always gives the
//     same bytes on every machine, so hashes and roots are consensus-safe.
//   - Header.Hash is keccak256 of the RLP list of the header fields in
//     declaration order; the proposer signs exactly that hash.
//   - Transaction and receipt roots are computed as Ethereum's DeriveSha:
//     an MPT keyed by rlp(index), so any MPT verifier checks the proofs.
//   - It imports go-ethereum's common, crypto and rlp, and the registry's
//     plain types (ledger/registry, for the genesis organisations), never
//     trie, ethdb or core: the sdk links it.
//
// This package must never read the clock, the disk (except LoadGenesis),
// or any state: it is pure functions over values.
package block
