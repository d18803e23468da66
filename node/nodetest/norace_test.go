//go:build !race

package nodetest_test

// raceEnabled: whether the race detector is on. The access matrix is a
// sequential scenario over HTTP; it runs in the ordinary pass.
const raceEnabled = false
