// Package node assembles a meshledger node: the data directory, the
// ledger, the node key, the mempool, the solo block producer and the HTTP
// API, with a graceful shutdown.
//
// Usage:
//
//	n, err := node.New(ctx, node.Config{DataDir: "./data", Listen: "127.0.0.1:8080"})
//	...
//	err = n.Start()       // producer + HTTP server
//	<-ctx.Done()
//	err = n.Close(context.Background()) // finishes the block in progress, closes the store
//
// or simply node.Run(ctx, cfg), which does all three.
//
// Access control is the ledger's: admission refuses what the ledger's
// check refuses (a sender outside every organisation, a deploy or upgrade
// without the deployer role: ledger.ErrNotAMember, ledger.ErrForbidden),
// and the API asks the ledger for every read decision. Without a genesis
// file the node creates a development network of one organisation, "dev",
// whose only member is the node key (admin, deployer, auditor), with
// access control on. Deploys' and upgrades' code compiles in the
// background as soon as they are admitted.
//
// Guarantees: blocks come only from the producer, one at a time, never
// empty, with strictly increasing times; Close never interrupts a block
// being applied and leaves a store that reopens to the same chain; a
// transaction reported committed stays committed across restarts. The
// mempool is memory only: transactions still pending at shutdown are lost
// and must be resubmitted (resubmission is idempotent).
//
// It must never sign a block with a key other than the node key, never
// bind an address the configuration did not name, and never write to the
// ledger except through ledger.ApplyBlock.
package node
