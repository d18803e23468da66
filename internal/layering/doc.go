// Package layering holds no code: its test is the guard that keeps the
// architecture of docs/design.md ("Where things live") true.
//
// Dependencies point one way, cmd → node → ledger → runtime, and a lower
// layer never imports a higher one; the light client (sdk/api, sdk/client)
// links only protocol types, never the node, the storage or the engine;
// and guest code (sdk/contract, contracts/, examples/) links nothing of the
// host, but for examples/assistance, a client program held to the light
// client's rule. The test reads the module's dependency graph with `go list -deps`
// and fails naming each import that breaks a rule, so that a change which
// would blur a layer is caught by `go test ./...`, not in review.
package layering
