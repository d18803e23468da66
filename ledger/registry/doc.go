// Package registry is the participant registry and joint governance of a
// meshledger network: organisations, members and their roles, the network
// policy, and proposals that organisations approve or reject.
//
// The registry is a built-in system contract at the reserved address
// Address. Its records live in the state trie under that address, as JSON
// values under textual keys (KeyOrg, KeyMember, ...), so every entry has a
// Merkle proof, a history and events like any contract key. It changes only
// through ordinary signed Call transactions to Address, executed by Execute.
//
// Execute is deterministic: it reads and writes only through a Store, takes
// time and height from the block, never iterates maps, and encodes records
// with encoding/json over structs and sorted slices. Every node computes
// the same writes, events and outcome.
//
// The package knows nothing of Wasm, blocks or storage: a deploy or
// upgrade that a proposal approves is handed back to the ledger as an
// Effect, which the ledger runs in the same transaction.
package registry
