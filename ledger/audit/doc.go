// Package audit checks a ledger's history by rebuilding it: it exports a
// store's blocks as a stream, replays blocks from a stream or another store
// into a fresh ledger, and compares the replayed state with the source's.
//
// Replay re-executes every block through the ledger's one executor
// (Ledger.Reexecute, the code path ApplyBlock runs) and commits it with its
// original signed header only after checking everything that header
// commits to: chain, height, parent, time, signature, transaction root,
// receipts, receipt root and state root. The first disagreement is a
// *Mismatch naming the block, transaction and field; it leaves the
// destination at the block before. A Go error that is not a *Mismatch
// means the audit itself failed (I/O, a closed ledger), not the source.
//
// The package uses only the ledger's exported API, so that a source other
// than a local store (an export stream, a remote node) audits the same way:
// a node serves ExportRange over HTTP (GET /v1/export) and `meshledger
// audit` replays the response body through ReadExport and Replay. What a
// remote source may additionally lie about — blocks it claims but does
// not send — is MismatchWithheld; a record that is complete but not a
// block is MismatchExport.
package audit
