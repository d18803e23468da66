//go:build !race

package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meshledger/meshledger/sdk/build/buildtest"
)

// Environment variables the suite reads (see doc.go).
const (
	envChromium        = "MESHLEDGER_CHROMIUM"
	envRequireBrowser  = "MESHLEDGER_REQUIRE_BROWSER"
	envArtifacts       = "MESHLEDGER_ARTIFACTS"
	envUpdateScreens   = "MESHLEDGER_UPDATE_SCREENSHOTS"
	desktopW, desktopH = 1280, 800
	phoneW, phoneH     = 390, 844
)

// Bounds on waiting. The whole suite must stay well under a minute on two
// busy cores, so every wait is bounded and a failure says what the page
// showed instead of hanging until go test's own timeout.
const (
	// stepTimeout bounds one wait for the page (an element, a receipt, the
	// verification of a page's proofs).
	stepTimeout = 20 * time.Second
	// deployTimeout bounds the deploy, the slowest step: the node compiles
	// the module before its block (seconds on a loaded machine, once per
	// machine: the compiled code is cached for every test process).
	deployTimeout = 60 * time.Second
	// pollEvery is how often a wait re-reads the page.
	pollEvery = 50 * time.Millisecond
)

// candidates are the names Chromium goes by on PATH, in the order tried.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// findChromium returns the browser to drive: MESHLEDGER_CHROMIUM when set
// (it must exist), else the first of candidates on PATH.
func findChromium(getenv func(string) string, lookPath func(string) (string, error)) (string, error) {
	if p := getenv(envChromium); p != "" {
		found, err := lookPath(p)
		if err != nil {
			return "", fmt.Errorf("%s=%q: %w", envChromium, p, err)
		}
		return found, nil
	}
	for _, name := range candidates {
		if p, err := lookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium on PATH (tried %s; set %s to name one)", strings.Join(candidates, ", "), envChromium)
}

// requireChromium returns the browser's path, or ends the test as
// chooseChromium decides.
func requireChromium(t *testing.T) string {
	t.Helper()
	path, skip, fail := chooseChromium(os.Getenv, exec.LookPath)
	switch {
	case fail != "":
		t.Fatal(fail)
	case skip != "":
		t.Skip(skip)
	}
	return path
}

// chooseChromium decides whether the suite runs: with the browser at path,
// or not, with a reason to skip (no browser) or to fail (no browser
// although MESHLEDGER_REQUIRE_BROWSER=1, as CI sets it).
func chooseChromium(getenv func(string) string, lookPath func(string) (string, error)) (path, skip, fail string) {
	path, err := findChromium(getenv, lookPath)
	switch {
	case err == nil:
		return path, "", ""
	case getenv(envRequireBrowser) == "1":
		return "", "", fmt.Sprintf("explorer browser suite: %v, and %s=1 requires it", err, envRequireBrowser)
	}
	return "", fmt.Sprintf("explorer browser suite skipped: %v (`make browser` installs Debian's chromium)", err), ""
}

// page is one browser tab under test: its context, what its console said
// and where its screenshots go.
type page struct {
	t         *testing.T
	ctx       context.Context
	artefacts string
	// docsDir, when set, also receives the screenshots named for the docs.
	docsDir string

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// openPage starts Chromium with a fresh profile and returns its one tab at
// 1280×800. The browser is closed when the test ends, before anything the
// test started earlier (a node, a proxy) is stopped.
func openPage(t *testing.T) *page {
	t.Helper()
	exe := requireChromium(t)
	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(desktopW, desktopH),
		// Without these, Chromium reaches for the network at start (field
		// trials, component updates, sync), which a closed network
		// answers by refusing the browser's own connections.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-proxy-server", true),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	p := &page{t: t, ctx: ctx, artefacts: artefactDir(t)}
	if os.Getenv(envUpdateScreens) == "1" {
		p.docsDir = docsImageDir(t)
	}
	// The first action starts the browser; it carries no timeout of its
	// own, or the browser's life would end with it.
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	t.Logf("chromium %s started in %v; screenshots in %s", exe, time.Since(start).Round(time.Millisecond), p.artefacts)
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	p.viewport(desktopW, desktopH)
	return p
}

// artefactDir is where a test's screenshots go: $MESHLEDGER_ARTIFACTS/<test>
// when set (CI keeps it), else a directory removed with the test.
func artefactDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv(envArtifacts)
	if root == "" {
		return t.TempDir()
	}
	dir := filepath.Join(root, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artefact directory: %v", err)
	}
	return dir
}

// step returns a context for one wait or action, bounded by stepTimeout.
func (p *page) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.ctx, stepTimeout)
}

// do runs actions on the tab, failing the test (with what the page shows)
// when one fails or takes longer than stepTimeout.
func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression and decodes its value into out.
func (p *page) eval(expr string, out any) error {
	ctx, cancel := p.step()
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

// mustEval is eval that fails the test on error.
func (p *page) mustEval(expr string, out any) {
	p.t.Helper()
	if err := p.eval(expr, out); err != nil {
		p.fail("evaluate %s: %v", expr, err)
	}
}

// waitFor re-evaluates expr until it is truthy (a JSON value other than
// false, null, 0 or ""), then decodes it into out (when non-nil). Past
// stepTimeout it fails the test with the page's text and a screenshot. It
// polls from Go rather than in the page, so a reload in between does not
// break it.
func (p *page) waitFor(what, expr string, out any) {
	p.t.Helper()
	p.waitWithin(stepTimeout, what, expr, out)
}

// waitWithin is waitFor with its own bound, for the one slow step.
func (p *page) waitWithin(limit time.Duration, what, expr string, out any) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	var last string
	for {
		var v json.RawMessage
		err := p.eval(expr, &v)
		if err == nil && truthy(v) {
			if out != nil {
				if err := json.Unmarshal(v, out); err != nil {
					p.fail("%s: decode %s: %v", what, v, err)
				}
			}
			return
		}
		if err != nil {
			last = err.Error()
		} else {
			last = string(v)
		}
		if time.Now().After(deadline) {
			p.fail("%s: not seen within %v (last: %s)", what, limit, last)
		}
		time.Sleep(pollEvery)
	}
}

// truthy is JavaScript's truthiness of a JSON value.
func truthy(v json.RawMessage) bool {
	switch s := strings.TrimSpace(string(v)); s {
	case "", "false", "null", "0", `""`:
		return false
	}
	return true
}

// tid is the CSS selector of a data-testid.
func tid(id string) string { return fmt.Sprintf("[data-testid=%q]", id) }

// within is the CSS selector of testid id inside testid scope.
func within(scope, id string) string { return tid(scope) + " " + tid(id) }

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// visible is a JavaScript expression true when sel matches an element that
// takes up room on the page.
func visible(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })()`, jsString(sel))
}

// text returns the trimmed text of the first element matching sel once it
// is visible and has some.
func (p *page) text(sel string) string {
	p.t.Helper()
	var s string
	p.waitFor("text of "+sel, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e && e.getBoundingClientRect().height > 0 ? e.textContent.trim() : ""; })()`, jsString(sel)), &s)
	return s
}

// click clicks the first element matching sel, waiting for it to show.
func (p *page) click(sel string) {
	p.t.Helper()
	p.waitFor(sel+" visible", visible(sel), nil)
	p.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// fill replaces the value of the input matching sel by typing value.
func (p *page) fill(sel, value string) {
	p.t.Helper()
	p.waitFor(sel+" visible", visible(sel), nil)
	// Clear as a user would leave it (an input event), then type.
	clear := fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); })()`, jsString(sel))
	p.do("fill "+sel, chromedp.Evaluate[chromedp.Void](clear), chromedp.SendKeys(chromedp.CSS(sel), value))
}

// goTo loads url and waits for the document to be ready.
func (p *page) goTo(url string) {
	p.t.Helper()
	p.do("navigate "+url, chromedp.Navigate(url))
	p.waitFor("document ready", `document.readyState === "complete"`, nil)
}

// route changes the location hash (the explorer's routing) without a reload.
func (p *page) route(hash string) {
	p.t.Helper()
	p.do("route "+hash, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = %s`, jsString(hash))))
}

// viewport sets the tab's size (a phone width emulates a mobile device).
func (p *page) viewport(w, h int64) {
	p.t.Helper()
	if w < 600 {
		p.do("viewport", chromedp.EmulateViewport(w, h, chromedp.EmulateMobile))
		return
	}
	p.do("viewport", chromedp.EmulateViewport(w, h))
}

// key sends one key press (kb constants: "\t" Tab, "\r" Enter) to the
// focused element.
func (p *page) key(k string) {
	p.t.Helper()
	p.do("key "+fmt.Sprintf("%q", k), chromedp.KeyEvent(k))
}

// screenshot saves the whole page as name.png among the test's artefacts
// and returns its path; with docs set and screenshots being updated
// (MESHLEDGER_UPDATE_SCREENSHOTS=1), it also writes the viewport to
// docs/img/<docs>.png.
func (p *page) screenshot(name, docs string) string {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(p.artefacts, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	if docs != "" && p.docsDir != "" {
		// The docs show what a reader sees first: the viewport, not the
		// whole page, which also keeps the committed files small.
		view, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			p.t.Errorf("docs screenshot %s: %v", docs, err)
			return path
		}
		out := filepath.Join(p.docsDir, docs+".png")
		if err := os.WriteFile(out, view, 0o644); err != nil {
			p.t.Errorf("docs screenshot %s: %v", out, err)
		} else {
			p.t.Logf("wrote %s", out)
		}
	}
	return path
}

// fail ends the test with what the page showed: its address, its text and
// a screenshot.
func (p *page) fail(format string, args ...any) {
	p.t.Helper()
	msg := fmt.Sprintf(format, args...)
	p.t.Fatalf("%s\n%s", msg, p.describe())
}

// describe is the page's state for a failure message. It uses a fresh
// context: the step that failed may have used up its own.
func (p *page) describe() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	var b strings.Builder
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		fmt.Fprintf(&b, "page: %s\n", loc)
	}
	if txt, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`)); err == nil {
		const max = 4000
		if len(txt) > max {
			txt = txt[:max] + "…"
		}
		fmt.Fprintf(&b, "page text:\n%s\n", txt)
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		path := filepath.Join(p.artefacts, fmt.Sprintf("failure-%d.png", time.Now().UnixNano()))
		if os.WriteFile(path, png, 0o644) == nil {
			fmt.Fprintf(&b, "screenshot: %s\n", path)
		}
	}
	for _, m := range p.messages() {
		fmt.Fprintf(&b, "console %s %s:%d %s\n", m.Type, m.URL, m.Line+1, m.Text)
	}
	return b.String()
}

func (p *page) messages() []chromedp.ConsoleMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), p.console...)
}

// consolePolicy says which console messages a phase of a test tolerates.
type consolePolicy int

const (
	// strict: no error of any kind (console.error, an uncaught exception,
	// an error in the browser's log).
	strict consolePolicy = iota
	// networkDown: the browser's own network errors (a refused
	// connection, a failed load) are expected; the page's errors are not.
	networkDown
)

// consoleErrors are the messages since the start that policy does not
// tolerate.
func consoleErrors(msgs []chromedp.ConsoleMessage, policy consolePolicy) []string {
	var bad []string
	for _, m := range msgs {
		switch {
		case m.IsException():
		case m.Type != chromedp.ConsoleError:
			continue
		case policy == networkDown && m.Source == "network":
			continue
		}
		bad = append(bad, fmt.Sprintf("%s (%s:%d): %s", m.Type, m.URL, m.Line+1, m.Text))
	}
	return bad
}

// checkConsole fails the test when the console holds an error policy does
// not tolerate. Console events arrive asynchronously, so it first lets a
// round trip to the page pass.
func (p *page) checkConsole(policy consolePolicy) {
	p.t.Helper()
	var v any
	_ = p.eval(`0`, &v)
	time.Sleep(2 * pollEvery)
	if bad := consoleErrors(p.messages(), policy); len(bad) > 0 {
		p.t.Errorf("console errors:\n  %s", strings.Join(bad, "\n  "))
	}
}

// forgetNetworkErrors drops the browser's network errors logged so far (a
// read refused on purpose); the page's own errors stay.
func (p *page) forgetNetworkErrors() {
	p.t.Helper()
	var v any
	_ = p.eval(`0`, &v) // let the events of the step before arrive
	time.Sleep(2 * pollEvery)
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.console[:0]
	for _, m := range p.console {
		if m.Type == chromedp.ConsoleError && m.Source == "network" {
			continue
		}
		kept = append(kept, m)
	}
	p.console = kept
}

// uploadFile puts path into the file input matching sel.
func (p *page) uploadFile(sel, path string) {
	p.t.Helper()
	p.waitFor(sel+" present", fmt.Sprintf(`!!document.querySelector(%s)`, jsString(sel)), nil)
	p.do("upload "+path, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}))
}

// docsImageDir is the module's docs/img, where the README's pictures live.
func docsImageDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := buildtest.ModuleRoot(wd)
	if err != nil {
		t.Fatalf("module root: %v", err)
	}
	dir := filepath.Join(root, "docs", "img")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("docs images: %v", err)
	}
	return dir
}
