//go:build !race

package runtime

// raceEnabled: whether the race detector is on. The engine differential
// suites are sequential, so -race adds nothing to them but a tenfold
// slowdown; they run in the ordinary test pass.
const raceEnabled = false
