//go:build race

package browsertest

import "testing"

// TestBrowserSuiteUnderRace stands for the browser suite, which is not
// built under the race detector (browser_test.go, explorer_test.go and
// harness_test.go are !race): the node it drives would be instrumented,
// its contract builds taking minutes, and compiling the browser driver
// (chromedp, cdproto) instrumented would cost make race minutes more.
func TestBrowserSuiteUnderRace(t *testing.T) {
	t.Skip("explorer browser suite skipped under -race (run it without -race)")
}
