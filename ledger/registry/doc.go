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
// # Rules a newcomer might question
//
//   - Role lists are checked, then stored sorted. A list naming a role
//     twice is refused (invalid_args) rather than merged: it is a mistake
//     of the caller that merging would hide.
//   - Arguments are decoded strictly: a JSON object, field names spelled
//     exactly and given once, no unknown fields, nothing after the object,
//     valid UTF-8. Two spellings of one request never mean different
//     things. Proposal parameters are stored re-encoded with sorted lists,
//     so the record does not depend on how the proposer wrote them.
//   - The network role auditor is granted and revoked only by a proposal:
//     addMember refuses it, and setRoles can neither add nor drop it (the
//     list must name it exactly when the member holds it). An org admin may
//     still remove a member outright, auditor or not: an organisation owns
//     its membership.
//   - An organisation always keeps an admin: removing or demoting its last
//     admin is a conflict, and removing the last organisation too.
//   - Votes are counted at each vote against the organisations that exist
//     then and the policy of then: a removed organisation's vote stays in
//     the record but stops counting, and any later vote (approve or
//     reject) decides the proposal on the new count. A proposal whose
//     remaining organisations can no longer reach the threshold is
//     rejected. Nothing decides a proposal between votes; an open proposal
//     past its expiry reads as expired and refuses votes.
//   - A vote is checked in this order: the caller is an org admin
//     (forbidden), the proposal exists (not_found), it is open
//     (proposal_closed), it has not expired (proposal_expired), the
//     caller's organisation has not voted (already_voted).
//   - propose checks its change against the current state (an addOrg whose
//     id exists is refused at once), and the execution checks again: if
//     the change no longer applies when the threshold is reached, the
//     approving call fails, its vote is not recorded, and the proposal
//     stays open to be rejected or to expire.
//   - A registry call costs CallGas whatever it does. Its work is a few
//     small records, except removeOrg, which deletes every member of the
//     organisation: that is bounded by governance (a threshold of
//     organisations must approve it), not by gas.
//
// The package knows nothing of Wasm, blocks or storage: a deploy or
// upgrade that a proposal approves is handed back to the ledger as an
// Effect, which the ledger runs in the same transaction.
package registry
