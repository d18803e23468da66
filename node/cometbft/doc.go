// Package cometbft runs a CometBFT v0.38 node in this process with an ABCI
// application the caller hands in, and lays out homes and genesis files for
// a network of validators, one per organisation.
//
// A home is a directory CometBFT understands:
//
//	config/config.toml               InitHome, from HomeOptions
//	config/node_key.json             InitHome: the P2P identity (node ID)
//	config/priv_validator_key.json   InitHome: the ed25519 consensus key
//	config/genesis.json              WriteGenesis or SaveGenesis
//	data/priv_validator_state.json   the last height/round/step signed
//	data/*.db                        CometBFT's block and state stores
//
// The life of a network:
//
//	info, _ := cometbft.Testnet(dir, 4, cometbft.TestnetOptions{GenesisTime: t0})
//	node, _ := cometbft.Start(ctx, info.Homes[0].Dir, app, cometbft.StartOptions{})
//	res, _ := node.BroadcastTxCommit(ctx, tx)
//	lb, _ := node.LightBlock(res.Height + 1) // header with the app hash, commit, signers
//	_ = node.Stop()
//
// For a network on several machines, each organisation runs InitHome with
// its public host and Public set, sends its HomeInfo.PubKey and Peer to
// the others, and all write the same document with WriteGenesis (or
// NewGenesisDoc once and SaveGenesis everywhere).
//
// Guarantees:
//   - InitHome never replaces a key or a signing state it finds: a
//     validator re-initialised in place keeps its identity and cannot sign
//     twice at a height (which would be slashable equivocation).
//   - A genesis document is a function of GenesisParams alone: no wall
//     clock, no randomness, no map order; every home of a network holds
//     the same bytes.
//   - Bad files in a home are errors (ErrBadHome), not process exits, as
//     CometBFT's own loaders would make them.
//   - CometBFT's settings are those of config.toml; Start reads them back
//     the way the cometbft command does, so an operator's edit applies
//     (except filter_peers, which Start turns on: see below).
//   - Stop neither crashes the process nor strands peers, and the home can
//     be started again in the same process at once. CometBFT alone does
//     both wrong: its stores panic on reads that race Stop (stopSafeDB),
//     and its switch leaks connections accepted during Stop, which peers
//     then hold as the restarted node's (stopGuard).
//
// Choices (defaults in config.go, each with its reason): blocks are made
// only for transactions (create_empty_blocks = false), with timeout_commit
// 10 ms, peer_gossip_sleep_duration 5 ms and flush_throttle_timeout 10 ms
// for latency on loopback (BenchmarkBroadcastTxCommit compares them with
// CometBFT's defaults); CometBFT's transaction indexer is off (the ledger
// keeps its own receipts) and so is peer exchange (validators are a known
// set, wired as persistent peers).
//
// The runner (Start, Node) knows nothing of the application it runs: any
// abci.Application will do, which is how its tests run CometBFT's kvstore.
// Two Nodes in one process share nothing but the Prometheus default
// registry, which CometBFT's metrics require (see ErrMetricsInUse); a Node
// starts no HTTP server beyond CometBFT's optional RPC.
package cometbft
