// Package proof verifies Merkle-Patricia proofs of meshledger state and of
// transaction and receipt roots, without the rest of the ledger.
//
// It is for clients, auditors and tools: it depends only on go-ethereum's
// common and rlp packages and Keccak-256, never on storage or the node.
//
// Proofs are Ethereum Merkle-Patricia proofs as in EIP-1186 eth_getProof:
// the RLP encodings of the trie nodes on the path from the root towards the
// key. Any verifier of that format checks them: go-ethereum's
// trie.VerifyProof, @ethereumjs/mpt's verifyMerkleProof, or this package.
//
// Trie keys (see StateTrieKey and IndexKey):
//
//	state:               keccak256(contract (20 bytes) ‖ key (raw bytes))
//	transactions/receipts: rlp(index), index a uint64 (0 → 0x80, 1 → 0x01, 128 → 0x8180)
//
// State leaves hold an Entry, rlp([version, height, txIndex, prev, deleted,
// value]): the value with its lineage (see Entry). An empty value is
// distinct from an absent key; a deleted key keeps a tombstone leaf
// (deleted=1) that verifies as absent while carrying the key's lineage.
//
// Guarantees: a verification that returns no error proves the returned
// value (or absence) under the given root, assuming Keccak-256 is collision
// resistant. It must never trust anything in a proof that is not bound to
// the root by hashes, and never touches the network or disk.
package proof
