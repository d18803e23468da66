// Package roots computes the transaction and receipt Merkle-Patricia roots
// of a block and proves items against them.
//
// It lives on the ledger side, apart from the block types, because deriving
// a root needs go-ethereum's trie and, with it, its database, metrics and
// era packages. Clients only decode headers and verify proofs
// (ledger/proof); keeping the trie here keeps it out of every client
// binary.
//
// Guarantees:
//   - Roots are computed as Ethereum's DeriveSha: an MPT over items keyed
//     by rlp(index), so any MPT verifier, ledger/proof included, checks the
//     proofs made here.
//   - The same items always give the same root on every machine: roots are
//     consensus values and must never change for a given list.
//
// This package must never read the clock, the disk or any state: it is
// pure functions over byte slices and receipts.
package roots
