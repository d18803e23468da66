//go:build !race

package ledger

// raceEnabled: whether the race detector is on. Sequential suites that
// compile and run real Wasm on both engines skip under it: they run in the
// ordinary pass, and -race only slows them tenfold.
const raceEnabled = false
