// Package storage owns the node's single LevelDB handle and the layout of
// every key in it.
//
// One process opens a data directory once (Open) and shares the returned
// DB between the state trie, the flat state index, history, blocks,
// receipts and indexes. Each kind of record lives under its own one-byte
// prefix, declared in keys.go together with the exact encoding of the rest
// of its key, so that no two kinds can ever collide and an operator can read
// the database with nothing but docs/state.md.
//
// Guarantees:
//   - A batch from DB.NewBatch is applied atomically and, unless
//     Options.NoSync is set, is fsynced before Write returns: once Write
//     returns nil the batch survives a crash or power loss; if the process
//     dies before, none of it is visible after restart.
//   - A second Open of the same directory, from this or another process,
//     fails with ErrLocked instead of corrupting the files.
//   - OpenMemory gives the same interface over an in-memory map for tests.
//
// It must never decide what to store: callers choose values and batch
// boundaries; this package only names keys and moves bytes. Failpoints
// (failpoint.go) exist for crash tests only and must never wrap a production
// store.
package storage
