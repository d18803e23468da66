// Package enginetest provides a scripted ledger.Engine for tests of the
// ledger and of what is built on it: each method is a func field the test
// sets, so an executor test states exactly what the engine returns (a
// result, its gas, a deploy error, a host failure) without compiling a
// contract to Wasm.
//
// The mock checks nothing about determinism: a test that scripts an
// engine giving different results for the same input gets a ledger that
// disagrees with itself. It is for tests only; never run a chain on it.
package enginetest
