//go:build !race

package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/nodetest"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/client/keystore"
)

// TestExplorerEndToEnd is the newcomer's path through the explorer of a
// node with access control on (the development chain `make run` starts):
// sign in with a key generated in the browser (by keyboard), be enrolled by
// the organisation's admin, deploy the loan contract from its .wasm file,
// book a loan and record a payment through the forms generated from the
// contract's manifest, open the written key's lineage and see every value
// verified in the browser. Then the same page through a node that lies
// about the value or the proof must show the failure.
func TestExplorerEndToEnd(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	started := time.Now()
	last := started
	lap := func(what string) {
		t.Logf("%-30s %6v", what, time.Since(last).Round(time.Millisecond))
		last = time.Now()
	}
	wasmPath := filepath.Join(t.TempDir(), "loan.wasm")
	if err := os.WriteFile(wasmPath, nodetest.LoanWasm(t), 0o644); err != nil {
		t.Fatal(err)
	}
	n := nodetest.Start(t, node.Config{})
	// The proxy starts before the browser, so that the browser, closed
	// first at cleanup, ends the proxy's open event streams before the
	// proxy waits for them.
	var mode atomic.Int32
	lying := nodetest.TamperProxy(t, n.URL(), lyingNode(&mode))
	p := openPage(t)
	lap("build, node, browser")

	// Sign in, by keyboard: the generate button is reachable with Tab
	// and pressed with Enter.
	p.goTo(n.URL() + "/#/signin")
	p.waitFor("sign-in page", visible(tid("signin-generate")), nil)
	p.screenshot("signin", "")
	p.tabTo("signin-generate", 40)
	p.key("\r")
	me := p.signedIn()
	t.Logf("signed in as %s (generated in the browser)", me)

	// A key of no organisation reads nothing: the page says why.
	p.route("#/")
	if code := p.text(tid("error-code")); code != "not_a_member" {
		p.fail("before enrolment: error-code %q, want not_a_member", code)
	}
	// The browser logs each refused read (403) as a network error: they
	// were expected, the page's own errors were not.
	p.forgetNetworkErrors()
	p.checkConsole(strict)

	// The organisation's admin enrols the newcomer (the node key is the
	// development chain's admin), through the Go SDK.
	enrol(t, n, me, "deployer", "servicer")
	lap("sign in, enrol")

	// Away and back to the overview: the page reads again, now as a member.
	p.click(tid("nav-blocks"))
	p.click(tid("nav-overview"))
	height := p.chainHeight()
	if latest := n.Ledger().Latest().Header.Height; height < 1 || height > latest {
		t.Errorf("overview shows height %d; the node is at %d after the enrolment", height, latest)
	}
	p.screenshot("overview", "explorer-overview")

	// Deploy the loan contract from its file.
	p.click(tid("nav-deploy"))
	p.uploadFile(tid("deploy-file"), wasmPath)
	p.fill(tid("deploy-name"), "loan")
	p.click(tid("deploy-submit"))
	var addr string
	p.waitWithin(deployTimeout, "deploy-result", fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? (e.getAttribute("data-address") || "") : ""; })()`, jsString(tid("deploy-result"))), &addr)
	if !common.IsHexAddress(addr) {
		p.fail("deploy-result data-address = %q, want a 0x address", addr)
	}
	contract := common.HexToAddress(addr)
	p.screenshot("deploy", "")

	// Book a loan, then record a payment, through the generated forms.
	p.click(tid("deploy-result") + ` a[href*="#/contract/"]`)
	lap("deploy")
	firstDue := time.Now().Add(30 * 24 * time.Hour).Unix()
	create := map[string]string{
		"id": "L-1", "borrower": "0x123", "servicer": me.Hex(),
		"principal": "100000", "rate_bps": "500", "term_months": "12", "first_due": strconv.FormatInt(firstDue, 10),
	}
	// A borrower that is no address is refused by the form, and nothing
	// reaches the node.
	p.fillMethod("create", create)
	p.click(within("method-create", "submit-create"))
	if msg := p.text(within("method-create", "validation-error")); msg == "" {
		p.fail("create with borrower 0x123: empty validation-error")
	}
	if nonce, err := n.PendingNonce(me); err != nil || nonce != 1 {
		t.Fatalf("after a refused form the node has nonce %d (%v) for %s, want 1 (the deploy only)", nonce, err, me)
	}
	create["borrower"] = common.Address{0xb0}.Hex()
	p.submitMethod("create", create)
	p.submitMethod("pay", map[string]string{"id": "L-1", "amount": "2500"})
	p.do("scroll to pay", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).scrollIntoView({block: "start"})`, jsString(tid("method-pay")))))
	p.screenshot("contract", "explorer-contract")
	lap("create, pay")

	// What the page says was written is what the node holds.
	st := stateOf(t, n, contract, "loan/L-1")
	if !strings.Contains(string(st), `"balance":`) || !strings.Contains(string(st), `"L-1"`) {
		t.Fatalf("node holds %s under loan/L-1", st)
	}

	// The receipt links to its transaction, which the node committed.
	var txRoute string
	p.waitFor("the pay transaction's link", fmt.Sprintf(`(() => { const a = document.querySelector(%s); return a ? a.getAttribute("href") : ""; })()`, jsString(tid("result-pay")+` a[href^="#/tx/"]`)), &txRoute)
	if rec, err := n.Ledger().Tx(common.HexToHash(strings.TrimPrefix(txRoute, "#/tx/"))); err != nil || rec.Receipt.Status != "ok" {
		t.Fatalf("the receipt links to %s, which the node does not hold as committed: %v", txRoute, err)
	}

	// The written key's lineage: create and pay, every value verified.
	p.click(tid("result-pay") + ` a[href*="#/state/"]`)
	stateRoute := p.verifiedPage("lineage of loan/L-1", 2)
	if v := p.text(tid("state-value")); !strings.Contains(v, "L-1") {
		p.fail("state-value = %q, want the loan", v)
	}
	p.screenshot("lineage", "explorer-lineage")
	// The transaction page: its receipt, events and writes, verified.
	p.route(txRoute)
	p.pageVerified("pay transaction", txRoute)
	p.screenshot("transaction", "")
	p.checkConsole(strict)
	lap("lineage, transaction verified")

	// The same pages at a phone's width: nothing wider than the screen.
	p.viewport(phoneW, phoneH)
	p.route("#/")
	p.chainHeight()
	p.noHorizontalScroll("overview")
	p.screenshot("overview-390", "")
	p.route(stateRoute)
	p.verifiedPage("lineage at 390px", 2)
	p.noHorizontalScroll("lineage")
	p.screenshot("lineage-390", "")
	p.viewport(desktopW, desktopH)
	lap("390px")

	// A node that lies. Through the proxy (another origin, so another
	// sign-in: the node's own key, imported as hex), the page first
	// verifies as it did; then each lie must show as a failed check.
	p.goTo(lying + "/#/signin")
	p.signInHex(n.KeyHex(), n.Address())
	p.route(stateRoute)
	p.verifiedPage("lineage through the honest proxy", 2)
	for _, l := range []lie{forgedValue, forgedProof} {
		mode.Store(int32(l))
		p.route("#/")
		p.chainHeight()
		p.route(stateRoute)
		p.refutedPage(l.String())
		p.screenshot("lineage-"+strings.ReplaceAll(l.String(), " ", "-"), "")
	}
	mode.Store(int32(honest))
	p.checkConsole(strict)
	lap("lying node")
	t.Logf("end to end in %v", time.Since(started).Round(time.Millisecond))
}

// TestExplorerErrorStates: a keystore opened with the wrong password and a
// node that stops answering both show as an error on the page, not as a
// blank page or an exception; the right password signs in.
func TestExplorerErrorStates(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	n := nodetest.Start(t, node.Config{})
	keyFile := filepath.Join(t.TempDir(), "node-key.json")
	if err := keystore.SaveKeyFile(keyFile, client.NewKey(n.Key()), "correct horse", true); err != nil {
		t.Fatal(err)
	}
	p := openPage(t)
	p.goTo(n.URL() + "/#/signin")

	p.uploadFile(tid("signin-keystore"), keyFile)
	p.fill(tid("signin-keystore-password"), "wrong horse")
	p.click(tid("signin-keystore-submit"))
	if msg := p.text(tid("error-message")); msg == "" {
		p.fail("keystore with a wrong password: empty error-message")
	}
	var signedIn bool
	p.mustEval(fmt.Sprintf(`!!document.querySelector(%s)`, jsString(tid("signed-in-address"))), &signedIn)
	if signedIn {
		p.fail("signed in with a wrong keystore password")
	}
	p.screenshot("keystore-wrong-password", "")

	p.fill(tid("signin-keystore-password"), "correct horse")
	p.click(tid("signin-keystore-submit"))
	if got := p.signedIn(); got != n.Address() {
		p.fail("keystore of %s signed in as %s", n.Address(), got)
	}
	p.route("#/")
	p.chainHeight()
	p.checkConsole(strict)

	if err := n.Close(context.Background()); err != nil {
		t.Fatalf("close node: %v", err)
	}
	p.click(tid("nav-blocks"))
	if msg := p.text(tid("error-message")); msg == "" {
		p.fail("no error message with the node down")
	}
	p.screenshot("node-down", "")
	p.checkConsole(networkDown)
}

// tabTo presses Tab until the element with testid id has the focus, at
// most max times.
func (p *page) tabTo(id string, max int) {
	p.t.Helper()
	var focused string
	for i := 0; i < max; i++ {
		p.key("\t")
		p.mustEval(`document.activeElement && document.activeElement.dataset ? (document.activeElement.dataset.testid || document.activeElement.tagName) : ""`, &focused)
		if focused == id {
			return
		}
	}
	p.fail("%s not reached with %d presses of Tab (focus on %s)", id, max, focused)
}

// signedIn waits for the header's signed-in address and returns it,
// failing unless it is a checksummed address.
func (p *page) signedIn() common.Address {
	p.t.Helper()
	s := p.text(tid("signed-in-address"))
	if !common.IsHexAddress(s) || common.HexToAddress(s).Hex() != s {
		p.fail("signed-in-address = %q, want a checksummed 0x address", s)
	}
	return common.HexToAddress(s)
}

// signInHex signs in by importing a hex key and checks the address shown.
func (p *page) signInHex(keyHex string, want common.Address) {
	p.t.Helper()
	p.fill(tid("signin-hex"), keyHex)
	p.click(tid("signin-hex-submit"))
	if got := p.signedIn(); got != want {
		p.fail("signed in as %s with the key of %s", got, want)
	}
}

// chainHeight waits for the overview's height and returns it.
func (p *page) chainHeight() uint64 {
	p.t.Helper()
	var s string
	p.waitFor("chain-height", fmt.Sprintf(`(() => { const e = document.querySelector(%s); const s = e ? e.textContent.trim() : ""; return /^[0-9]+$/.test(s) ? s : ""; })()`, jsString(tid("chain-height"))), &s)
	h, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		p.fail("chain-height %q: %v", s, err)
	}
	return h
}

// submitMethod fills the generated form of method with args (field path →
// text), submits it and fails unless its receipt says ok.
func (p *page) submitMethod(method string, args map[string]string) {
	p.t.Helper()
	p.fillMethod(method, args)
	p.click(within("method-"+method, "submit-"+method))
	if status := p.text(within("result-"+method, "receipt-status")); status != "ok" {
		p.fail("%s: receipt-status %q, want ok", method, status)
	}
}

// fillMethod fills the generated form of method with args (field path →
// text), in a fixed order.
func (p *page) fillMethod(method string, args map[string]string) {
	p.t.Helper()
	fields := make([]string, 0, len(args))
	for f := range args {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		p.fill(within("method-"+method, "arg-"+f), args[f])
	}
}

// verification is what the page says of its checks.
type verification struct {
	Marks     int      `json:"marks"`
	Pending   int      `json:"pending"`
	Failed    int      `json:"failed"`
	Summary   string   `json:"summary"`
	Entries   int      `json:"entries"`
	Unmarked  []string `json:"unmarked"`
	Errors    []string `json:"errors"`
	HasValue  bool     `json:"hasValue"`
	Location  string   `json:"location"`
	Settled   bool     `json:"settled"`
	ValueMark string   `json:"valueMark"`
}

// verificationJS reads the page's verified marks once every check has
// settled (a state-value shown, none pending, a summary given), so that
// the marks of the page before are never taken for these. A value block's
// mark is on the block itself, an ancestor or a descendant.
const verificationJS = `(() => {
  const all = [...document.querySelectorAll('[data-verified]')];
  const sum = document.querySelector('[data-testid="verify-summary"]');
  const mark = e => { const m = e.closest('[data-verified]') || e.querySelector('[data-verified]'); return m ? m.dataset.verified : ""; };
  const value = document.querySelector('[data-testid="state-value"]');
  const entries = [...document.querySelectorAll('[data-testid="lineage-entry"]')];
  const r = {
    marks: all.length,
    pending: all.filter(e => e.dataset.verified === 'pending').length,
    failed: all.filter(e => e.dataset.verified === 'false').length,
    summary: sum ? sum.dataset.verified || "" : "",
    entries: entries.length,
    unmarked: entries.filter(e => mark(e) !== 'true').map(e => e.textContent.trim().slice(0, 80)),
    errors: [...document.querySelectorAll('[data-testid="verify-error"]')].filter(e => e.getBoundingClientRect().height > 0).map(e => e.textContent.trim()),
    hasValue: !!value,
    valueMark: value ? mark(value) : "",
    location: location.hash,
  };
  r.settled = r.hasValue && r.marks > 0 && r.pending === 0 && (r.summary === 'true' || r.summary === 'false');
  return r.settled ? r : false;
})()`

// verifiedPage waits for the state page's checks to settle and fails
// unless every one passed, the value and at least entries lineage entries
// among them. It returns the page's route.
func (p *page) verifiedPage(what string, entries int) string {
	p.t.Helper()
	var v verification
	p.waitFor(what+": checks settled", verificationJS, &v)
	// A lineage still loading can settle with fewer entries; wait for all.
	if v.Entries < entries {
		p.waitFor(fmt.Sprintf("%s: %d lineage entries", what, entries), fmt.Sprintf(`(() => { const v = %s; return v && v.entries >= %d ? v : false; })()`, verificationJS, entries), &v)
	}
	switch {
	case v.Summary != "true" || v.Failed > 0 || len(v.Errors) > 0:
		p.fail("%s: verify-summary %q, %d of %d checks failed: %q", what, v.Summary, v.Failed, v.Marks, v.Errors)
	case !v.HasValue || v.ValueMark != "true":
		p.fail("%s: state-value present %v, its mark %q", what, v.HasValue, v.ValueMark)
	case len(v.Unmarked) > 0:
		p.fail("%s: lineage entries without a passed check: %q", what, v.Unmarked)
	}
	return v.Location
}

// refutedPage waits for the state page's checks to settle and fails unless
// one failed, the summary says so and an explanation is shown.
func (p *page) refutedPage(what string) {
	p.t.Helper()
	var v verification
	p.waitFor(what+": checks settled", verificationJS, &v)
	if v.Summary != "false" || v.Failed == 0 || len(v.Errors) == 0 {
		p.fail("%s: verify-summary %q, %d failed marks, verify-error %q; want the lie shown", what, v.Summary, v.Failed, v.Errors)
	}
	p.t.Logf("%s: %d of %d checks failed: %s", what, v.Failed, v.Marks, v.Errors[0])
}

// pageVerified waits until the page at route has settled its checks and
// fails unless every one passed.
func (p *page) pageVerified(what, route string) {
	p.t.Helper()
	var v verification
	p.waitFor(what+": checks settled", fmt.Sprintf(`(() => {
  if (location.hash !== %s) return false;
  const all = [...document.querySelectorAll('[data-verified]')];
  const sum = document.querySelector('[data-testid="verify-summary"]');
  const r = {
    marks: all.length,
    pending: all.filter(e => e.dataset.verified === 'pending').length,
    failed: all.filter(e => e.dataset.verified === 'false').length,
    summary: sum ? sum.dataset.verified || "" : "",
    errors: [...document.querySelectorAll('[data-testid="verify-error"]')].filter(e => e.getBoundingClientRect().height > 0).map(e => e.textContent.trim()),
  };
  return r.marks > 0 && r.pending === 0 && (r.summary === 'true' || r.summary === 'false') ? r : false;
})()`, jsString(route)), &v)
	if v.Summary != "true" || v.Failed > 0 || len(v.Errors) > 0 {
		p.fail("%s: verify-summary %q, %d of %d checks failed: %q", what, v.Summary, v.Failed, v.Marks, v.Errors)
	}
}

// noHorizontalScroll fails when the page is wider than the viewport.
func (p *page) noHorizontalScroll(what string) {
	p.t.Helper()
	var w struct{ Scroll, Client int }
	p.mustEval(`({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})`, &w)
	if w.Scroll > w.Client+1 {
		p.t.Errorf("%s at %dpx: the page is %dpx wide (scrolls sideways)", what, w.Client, w.Scroll)
	}
}

// enrol makes addr a member of the admin's organisation with roles,
// signing with the node key (the development chain's admin) through the
// Go SDK, as an organisation's admin enrols a newcomer.
func enrol(t *testing.T, n *nodetest.Node, addr common.Address, roles ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	admin, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())))
	if err != nil {
		t.Fatal(err)
	}
	res, err := admin.Submit(ctx, client.AddMemberOp(addr, roles...), client.Wait())
	if err != nil {
		t.Fatalf("enrol %s: %v", addr, err)
	}
	if err := client.ReceiptError(res); err != nil {
		t.Fatalf("enrol %s: %v", addr, err)
	}
}

// stateOf reads a key's value from the node as its admin (an auditor).
func stateOf(t *testing.T, n *nodetest.Node, contract common.Address, key string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	c, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.State(ctx, contract, []byte(key), nil)
	if err != nil {
		t.Fatalf("state %s %s: %v", contract, key, err)
	}
	return st.Value
}
