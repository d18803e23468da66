// Package ledger is a node's chain: it executes blocks of signed
// transactions against Wasm contracts and keeps blocks, transactions,
// receipts, indexes, contract code and metadata, and contract state (under a
// Merkle-Patricia trie) in one LevelDB store, serving them with proofs.
//
// One executor. ApplyBlock (a solo producer or a BFT engine) and
// Reexecute (an auditor rebuilding a store, package ledger/audit) run the
// same function, execute; ApplyBlock signs the resulting header, an auditor
// compares it with the original one before CommitReexecution stores the
// block under that header. There is no other way to make a block. Export,
// replay and state comparison live in ledger/audit, on the exported API.
//
// The participant registry (package ledger/registry) is built in: the
// executor runs calls to registry.Address over the registry's records as
// the block has them, admits only members (deploys and upgrades only from
// deployers), runs the deploys and upgrades that proposals approve in the
// transaction that approves them, and answers contracts' identity lookups
// (runtime.Env.Directory) from the same records. The genesis block's state
// is the registry's founding records.
//
// Contracts call each other (runtime.Env.Calls, crosscall.go): within a
// transaction the callee runs as the calling contract's callee, over the
// writes of the calls finished before it; a failed callee's writes and
// events, and those of everything it called, are dropped while its caller
// goes on; all of them reach the block only if the transaction's own call
// succeeds, in its receipt under each contract's address in call order.
// A contract already on the call stack cannot be called again
// (reentrancy), and calls nest at most runtime.MaxCallDepth deep. A
// query's calls run read-only at the queried height, and its proofs cover
// the keys every callee read.
//
// Guarantees:
//   - Determinism: a block's header, receipts and state depend only on the
//     parent block and the proposal (time, proposer, transactions), never on
//     maps, clocks or scheduling. Signature recovery, and the encoding and
//     hashing of included records and receipts into the block's roots, run
//     beside execution; everything that decides an outcome runs
//     sequentially in proposal order.
//   - Atomicity: every byte a block writes (trie nodes, flat state, history,
//     header, transactions, receipts, indexes, code, metadata, the latest
//     pointer) goes into one LevelDB batch written with sync. After a crash
//     the store holds the previous block or the new one, never a mix; Open
//     checks the latest header's state root against the state.
//   - A transaction either is Rejected (left out, no trace, nonce unused) or
//     gets a receipt (nonce consumed, gas counted); a failed receipt has no
//     state writes and no events.
//
// It must never let a host failure (I/O error, cancelled context, engine
// fault) become a receipt: those abort the block and commit nothing. It must
// never write to the store outside a block batch, except the genesis batch.
//
// docs/ledger.md describes the formats and rules in full.
package ledger
