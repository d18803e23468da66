// Package browsertest drives the explorer (package node/explorer) in a real
// headless Chromium against a real node on 127.0.0.1: sign-in, deploying and
// calling a contract through the generated forms, a key's lineage with every
// value verified in the browser, a node that lies (nodetest.TamperProxy) and
// a node that is down. It holds tests only; nothing imports it, so its
// browser driver (chromedp) never reaches the node or the client SDK.
//
// Chromium is found on PATH (chromium, chromium-browser, google-chrome) or
// named by MESHLEDGER_CHROMIUM. Without one the tests skip, saying so, unless
// MESHLEDGER_REQUIRE_BROWSER=1 (set by CI), which makes a missing browser a
// failure. Under the race detector the browser tests are not built at all
// (race_test.go skips in their place): the node would be instrumented and
// the browser driver's instrumented build alone costs minutes.
//
// Screenshots of every page go to $MESHLEDGER_ARTIFACTS/<test> when set,
// else to the test's temporary directory (the path is logged);
// MESHLEDGER_UPDATE_SCREENSHOTS=1 also rewrites the pictures the docs show
// (docs/img/explorer-{overview,contract,lineage}.png):
//
//	MESHLEDGER_UPDATE_SCREENSHOTS=1 go test -count=1 -run TestExplorerEndToEnd ./node/explorer/browsertest/
//
// The whole suite takes well under a minute; every wait is bounded, and a
// wait that fails prints what the page showed (its text, a screenshot, the
// console).
package browsertest
