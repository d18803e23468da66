// Package wasm decodes, validates and instruments contract modules at
// deploy time, so that every engine (wazero's compiler and its interpreter,
// on any CPU) runs a contract with identical results, identical gas and
// identical limits.
//
// # What it does
//
// Prepare takes module bytes and a Policy and either rejects the module
// with a *ValidationError (Kind says why, Msg names the section, function,
// byte offset, import or export at fault) or returns a Prepared module
// whose Code:
//
//   - meters gas: a mutable i64 global exported as "mesh_gas" is decreased
//     by the static cost of every metered segment (code between function
//     entry, loop, if, else, every non-final end and br_if) each time the
//     segment runs, and memory.grow, memory.copy and memory.fill are
//     charged for their operand right before they run. The counter is
//     compared with zero only where unbounded work can start: at function
//     entries, loop headers and dynamic charges, and wherever the gas
//     charged since the last check could otherwise exceed maxUnchecked.
//     It may therefore be negative between checks, and a host that sees
//     mesh_gas < 0 when a call traps or returns knows the call ran out of
//     gas. To charge less often on hot paths, the header of a loop entered
//     only by falling in and by br is charged by those predecessors, and a
//     segment ending with an if by the branches (meter.go); a call that
//     returns is charged exactly the sum of its segments either way, which
//     the tests check against a plain charge-and-check-every-segment
//     schedule;
//   - bounds call depth: a mutable i32 global "mesh_depth" is incremented
//     on every function entry (trapping once it exceeds MaxCallDepth) and
//     decremented on every exit. The body is wrapped in a block of the
//     function's result type so that branches to the function label fall
//     through to the decrement, and the decrement precedes every return.
//     The host sees mesh_depth > MaxCallDepth only after a call-depth trap;
//   - bounds memory: memory.grow first compares the current size plus
//     the pages asked (in i64, so no operand overflows) with the module's
//     page limit (Prepared.MaxMemoryPages); past it, it sets the mutable
//     i32 global "mesh_grow_refused" to 1 and yields -1 without asking
//     the engine, as a refused grow does, so the host can tell a call that
//     trapped after a refused grow from any other trap. The check is part
//     of memory.grow's charge, which is for the pages asked either way;
//   - canonicalises NaNs (below);
//   - exports every mutable global of the original module as
//     "mesh_g<index>" so the host can snapshot and restore them;
//   - replaces the start section by the export "mesh_start" of the start
//     function, so the host runs it as a metered call after instantiation
//     and can tell a start function that ran out of gas from one that
//     trapped (the counter of a failed instantiation cannot be read).
//
// No existing function, global or type index moves: the three new globals
// and any new block types are appended, scratch locals follow the original
// locals. Custom sections are dropped.
//
// # Why NaNs are rewritten
//
// WebAssembly arithmetic is deterministic except for the bit pattern of a
// NaN result: the specification lets an operation return any NaN when an
// input is NaN or when it creates one (0/0, inf-inf, sqrt(-1)), and real
// engines differ. x86 produces a negative quiet NaN (0xffc00000) where ARM
// produces the positive one, and an interpreter written in Go propagates
// input payloads. A contract can observe the bits (math.Float64bits, or by
// storing the float), so the difference would reach state and break
// consensus. Floats cannot simply be forbidden: Go's runtime uses them.
//
// So after every operation that can produce a NaN — add, sub, mul, div,
// sqrt, min, max, ceil, floor, trunc, nearest on f32 and f64, plus
// f32.demote_f64 and f64.promote_f32 — the result is replaced by the
// canonical quiet NaN (0x7fc00000 or 0x7ff8000000000000) when it is a NaN:
//
//	local.tee t; f64.const canon; local.get t; local.get t; f64.eq; select
//
// (x == x is false only for NaN, so select keeps x otherwise). abs, neg and
// copysign are defined as bit operations, loads, stores, reinterpret and
// const move bits unchanged, comparisons yield integers, and conversions
// from integers never yield NaN, so none of them need the rewrite. A NaN's
// bits can therefore only come from the program itself (a constant, a load,
// a reinterpret), which is deterministic.
//
// # Guarantees
//
// Prepare is a pure function: the same bytes and policy give the same
// output bytes, on every machine and every run. InstrumentVersion changes
// whenever that output changes. Every instruction of every body is decoded,
// including all immediates, and features outside the allowed set (SIMD,
// threads, reference types, table mutation, passive segments, tail calls,
// exceptions, multi-memory, memory64) are rejected. Bodies are not
// type-checked: the engine validates the output fully, and a module the
// engine accepts stays acceptable after instrumentation.
//
// # What it must never do
//
// Never depend on map iteration order, time or randomness; never panic on
// hostile input (it is fuzzed); never charge for its own inserted code;
// never let a path run more than maxUnchecked gas past its last check
// within one function.
//
// Policy.NoMetering keeps the module's shape but charges nothing: it exists
// for benchmarks that measure what metering costs, and a node must never
// use it, because unmetered code can run forever.
package wasm
