//go:build !race

package browsertest

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

func TestFindChromium(t *testing.T) {
	onPath := func(names ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			for _, n := range names {
				if n == name {
					return "/usr/bin/" + name, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	env := func(kv map[string]string) func(string) string {
		return func(k string) string { return kv[k] }
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		path    []string
		want    string
		wantErr string
	}{
		{name: "chromium first", path: []string{"google-chrome", "chromium"}, want: "/usr/bin/chromium"},
		{name: "chromium-browser", path: []string{"chromium-browser"}, want: "/usr/bin/chromium-browser"},
		{name: "google-chrome", path: []string{"google-chrome"}, want: "/usr/bin/google-chrome"},
		{name: "override wins", env: map[string]string{envChromium: "my-chrome"}, path: []string{"chromium", "my-chrome"}, want: "/usr/bin/my-chrome"},
		{name: "override missing", env: map[string]string{envChromium: "gone"}, path: []string{"chromium"}, wantErr: envChromium + `="gone"`},
		{name: "none", wantErr: "no Chromium on PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findChromium(env(tc.env), onPath(tc.path...))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %q, %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestChooseChromium(t *testing.T) {
	none := func(string) (string, error) { return "", errors.New("not found") }
	found := func(name string) (string, error) { return "/usr/bin/" + name, nil }
	env := func(required string) func(string) string {
		return func(k string) string {
			if k == envRequireBrowser {
				return required
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name     string
		required string
		lookPath func(string) (string, error)
		want     string
	}{
		{name: "found", lookPath: found, want: "path"},
		{name: "missing", lookPath: none, want: "skip"},
		{name: "missing but required", required: "1", lookPath: none, want: "fail"},
		{name: "required and found", required: "1", lookPath: found, want: "path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, skip, fail := chooseChromium(env(tc.required), tc.lookPath)
			var got []string
			for outcome, v := range map[string]string{"path": path, "skip": skip, "fail": fail} {
				if v != "" {
					got = append(got, outcome)
				}
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("path %q, skip %q, fail %q; want only a %s", path, skip, fail, tc.want)
			}
		})
	}
}

func TestTruthy(t *testing.T) {
	for v, want := range map[string]bool{
		`true`: true, `1`: true, `"x"`: true, `{}`: true, `[]`: true,
		`false`: false, `null`: false, `0`: false, `""`: false, ``: false,
	} {
		if got := truthy([]byte(v)); got != want {
			t.Errorf("truthy(%s) = %v, want %v", v, got, want)
		}
	}
}

func TestConsolePolicy(t *testing.T) {
	msgs := []chromedp.ConsoleMessage{
		{Type: chromedp.ConsoleLog, Text: "hello"},
		{Type: chromedp.ConsoleWarning, Text: "careful"},
		{Type: chromedp.ConsoleError, Text: "Failed to load resource: net::ERR_CONNECTION_REFUSED", Source: "network"},
		{Type: chromedp.ConsoleError, Text: "page said no"},
		{Type: chromedp.ConsoleException, Text: "TypeError: x is undefined", Exception: &runtime.ExceptionDetails{}},
	}
	if got := consoleErrors(msgs, strict); len(got) != 3 {
		t.Errorf("strict: %d errors, want 3: %q", len(got), got)
	}
	got := consoleErrors(msgs, networkDown)
	if len(got) != 2 || !strings.Contains(got[0], "page said no") || !strings.Contains(got[1], "TypeError") {
		t.Errorf("networkDown: got %q, want the page's error and the exception", got)
	}
}

// TestHarnessSeesThePage checks the harness itself in the browser against
// a small local page: waits, typing, clicks, keyboard focus, screenshots,
// and that console errors and uncaught exceptions are caught (so the
// explorer's "no console errors" check can fail).
func TestHarnessSeesThePage(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html><head><title>h</title><link rel="icon" href="data:,"></head><body>
<input data-testid="name"><button data-testid="go">Go</button>
<p data-testid="out"></p>
<script>
document.querySelector('[data-testid=go]').addEventListener('click', () => {
  const v = document.querySelector('[data-testid=name]').value;
  document.querySelector('[data-testid=out]').textContent = 'hello ' + v;
  if (v === 'boom') { console.error('boom said'); setTimeout(() => { throw new Error('thrown') }); }
});
</script></body></html>`)
	}))
	defer srv.Close()
	p := openPage(t)
	p.goTo(srv.URL + "/#/x")

	for i := 0; i < 5; i++ {
		p.key("\t")
		var focused string
		p.mustEval(`document.activeElement ? (document.activeElement.dataset.testid || "") : ""`, &focused)
		if focused == "go" {
			break
		}
	}
	var focused string
	p.mustEval(`document.activeElement.dataset.testid || ""`, &focused)
	if focused != "go" {
		t.Fatalf("Tab did not reach the button (focus on %q)", focused)
	}

	p.fill(tid("name"), "world")
	p.click(tid("go"))
	if got := p.text(tid("out")); got != "hello world" {
		t.Fatalf("out = %q", got)
	}
	p.checkConsole(strict)
	if t.Failed() {
		return
	}
	shot := p.screenshot("harness", "")
	if b, err := os.ReadFile(shot); err != nil || len(b) < 8 || string(b[1:4]) != "PNG" {
		t.Fatalf("screenshot %s: %v (%d bytes)", shot, err, len(b))
	}

	p.fill(tid("name"), "boom")
	p.click(tid("go"))
	p.waitFor("the exception reported", `new Promise(r => setTimeout(() => r(true), 50))`, nil)
	var bad []string
	for i := 0; i < 40 && len(bad) < 2; i++ {
		p.waitFor("a moment", `new Promise(r => setTimeout(() => r(true), 25))`, nil)
		bad = consoleErrors(p.messages(), strict)
	}
	if len(bad) != 2 || !strings.Contains(bad[0], "boom said") || !strings.Contains(bad[1], "thrown") {
		t.Fatalf("console errors = %q, want the console.error and the exception (all: %v; out %q)", bad, p.messages(), p.text(tid("out")))
	}
}
