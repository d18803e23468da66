// Package runtime runs meshledger contracts: WebAssembly modules built from
// Go (GOOS=wasip1, -buildmode=c-shared) executed by wazero under the ABI of
// docs/abi.md.
//
// A Runtime validates and instruments a module once (deterministic gas,
// call depth, canonical NaNs; see internal/wasm), compiles it, runs its
// initialisation once under Config.InitGas, snapshots the result and keeps
// the Module in a bounded LRU. With a cache directory, the instrumented
// bytes, the snapshot and wazero's compiled code are kept on disk, so a
// restarted node neither re-instruments, recompiles nor re-initialises
// (LoadCached finds a module by code hash alone). wazero still decodes and
// validates the whole module before it finds its compiled code, which
// dominates such a load.
//
// Calls run on pooled instances that are returned to the snapshot after
// each call; on Linux by copy-on-write memory whose written pages are
// found in the kernel's page map (see docs/abi.md, Isolation).
//
// Guarantees:
//   - A call's Result (code, message, return data, gas, events, writes,
//     reads) is a pure function of the code, the Env, the method, the
//     arguments and the State. Both engines give identical Results.
//   - Every call starts from the same post-initialisation snapshot of
//     linear memory and every mutable global; nothing one call does is
//     visible to another.
//   - Contract failures are Result codes, never Go errors; a Go error means
//     the host failed (cancelled context, state read error, engine fault)
//     and the call must not be recorded.
//   - Module.Call is safe for concurrent use: each call runs on its own
//     pooled instance.
//   - A contract learns who an address is only through Env.Directory (the
//     participant import), which the caller serves from the participant
//     registry at the call's state; this package knows nothing of the
//     registry itself, nor of who may read an event: it validates and
//     reports each event's audience (Event.Audience) for the ledger to
//     enforce.
//   - A contract calls another only through Env.Calls (the call import):
//     the runtime builds the request (the calling contract as From, the
//     callee's depth, its gas: at most the caller's less CallGasReserve),
//     charges the callee's gas to the caller and hands the outcome to the
//     guest as a value. Which contract runs, its state and pending writes,
//     and the reentrancy rule are the ContractCaller's (the ledger's); a
//     Go error from it aborts the whole call as a host failure.
//   - The memory loaded modules keep between calls (compiled code,
//     snapshots, idle instances) stays within Config.WithMemoryBudget, up
//     to the most recently used module: idle instances and then the least
//     recently used modules are closed and unmapped, and an evicted module
//     reloads on its next call. Eviction never changes a Result.
//
// It must never let wall-clock time, real randomness, the file system, map
// iteration order or scheduling reach a contract, and never write to the
// State it is given: writes are returned in Result.Writes for the caller
// to apply.
//
// The package's name is the standard library's too. Inside this package
// the standard one is imported as goruntime, in every file; outside it,
// no file needs an alias: a file importing both would name this one
// after what it holds (say wasmrt), and files needing only the standard
// one import it plainly.
package runtime
