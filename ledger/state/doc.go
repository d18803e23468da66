// Package state stores all contract state under one Merkle-Patricia trie,
// so that a single 32-byte state root commits to every (contract, key,
// value), and keeps beside it a flat index for fast latest reads and a
// per-key history for lineage.
//
// Layout (docs/state.md has the figures behind it): one secure trie keyed
// by proof.StateTrieKey(contract, key) = keccak256(contract ‖ key), whose
// leaves hold rlp(value), so an empty value is a value and only a deletion
// removes a leaf. Trie nodes are stored by hash (go-ethereum's hash
// scheme) under storage.PrefixTrieNode and never deleted, so every root
// ever committed stays readable and provable.
//
// Guarantees:
//   - Commit puts the trie nodes, the flat index updates and the history
//     entries of a block into the caller's batch and nothing else: written
//     with the batch, they land together or not at all, so the flat index
//     and the trie never disagree on disk.
//   - Commit refuses to build on any root but the one the flat index
//     reflects (ErrParentMismatch), since the flat index could not follow.
//   - Reads of the latest state (Get, Iterate) never walk the trie; reads
//     at a root (GetAt, Prove) only walk the trie.
//   - Results depend only on the committed data and the order of changes
//     given to Commit; never on maps, time or scheduling. Warming (Commit's
//     read-ahead, a Prefetcher) only fills the node cache, whose entries
//     are addressed by content, so no result depends on whether it ran.
//
// It must never write to the store by itself (only into the batch it is
// given) and never delete trie nodes. Readers may run concurrently with
// each other and with one Commit; two Commits must not overlap.
package state
