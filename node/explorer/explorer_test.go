package explorer

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/meshledger/meshledger/sdk/api"
)

func serve(t *testing.T, h http.Handler, method, path string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func newHandler(t *testing.T) *Handler {
	t.Helper()
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestServesFiles checks what the browser relies on: the page at "/",
// ES modules as JavaScript (a module of another type is refused), the
// vendored bundle cacheable for good, everything else revalidated.
func TestServesFiles(t *testing.T) {
	h := newHandler(t)
	cases := []struct {
		path, contentType, cache, contains string
	}{
		{"/", "text/html; charset=utf-8", cacheRevalidate, `<script type="module" src="/assets/js/app.js">`},
		{"/index.html", "text/html; charset=utf-8", cacheRevalidate, `data-testid="verify-summary"`},
		{"/assets/js/app.js", "text/javascript; charset=utf-8", cacheRevalidate, "hashchange"},
		{"/assets/js/mpt.js", "text/javascript; charset=utf-8", cacheRevalidate, "export function verifyProof"},
		{"/assets/style.css", "text/css; charset=utf-8", cacheRevalidate, "data-verified"},
		{"/assets/vendor/ethers-6.17.0.min.js", "text/javascript; charset=utf-8", cacheImmutable, `const version="6.17.0"`},
		{"/assets/vendor/README.md", "text/markdown; charset=utf-8", cacheImmutable, "6.17.0"},
	}
	for _, c := range cases {
		w := serve(t, h, http.MethodGet, c.path)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", c.path, w.Code, w.Body)
		}
		if got := w.Header().Get("Content-Type"); got != c.contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", c.path, got, c.contentType)
		}
		if got := w.Header().Get("Cache-Control"); got != c.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", c.path, got, c.cache)
		}
		if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", c.path, got)
		}
		if !strings.Contains(w.Body.String(), c.contains) {
			t.Errorf("GET %s: body lacks %q", c.path, c.contains)
		}
		if w.Header().Get("ETag") == "" {
			t.Errorf("GET %s: no ETag", c.path)
		}
	}
	if csp := serve(t, h, http.MethodGet, "/").Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("index CSP %q: the page may load scripts and talk to its own node only", csp)
	}
}

func TestRevalidation(t *testing.T) {
	h := newHandler(t)
	first := serve(t, h, http.MethodGet, "/assets/js/app.js")
	etag := first.Header().Get("ETag")
	for _, match := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		if w := serve(t, h, http.MethodGet, "/assets/js/app.js", "If-None-Match", match); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Errorf("If-None-Match %s: %d with %d bytes, want 304 and no body", match, w.Code, w.Body.Len())
		}
	}
	if w := serve(t, h, http.MethodGet, "/assets/js/app.js", "If-None-Match", `"stale"`); w.Code != http.StatusOK || w.Body.Len() == 0 {
		t.Errorf("stale ETag: %d, want 200 with the file", w.Code)
	}
	if a, b := etag, serve(t, h, http.MethodGet, "/assets/js/mpt.js").Header().Get("ETag"); a == b {
		t.Errorf("two files share the ETag %s", a)
	}
	head := serve(t, h, http.MethodHead, "/")
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD /: %d, %d body bytes, Content-Length %q", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
}

// TestRefusals: unknown files and other methods answer with the API's
// JSON error body, never a directory listing or plain text.
func TestRefusals(t *testing.T) {
	h := newHandler(t)
	cases := []struct {
		method, path string
		status       int
		code         api.Code
	}{
		{http.MethodGet, "/assets/js/missing.js", http.StatusNotFound, api.CodeNotFound},
		{http.MethodGet, "/assets/", http.StatusNotFound, api.CodeNotFound},
		{http.MethodGet, "/assets/js", http.StatusNotFound, api.CodeNotFound},
		{http.MethodGet, "/assets/../explorer.go", http.StatusNotFound, api.CodeNotFound},
		{http.MethodGet, "/v1/chain", http.StatusNotFound, api.CodeNotFound},
		{http.MethodPost, "/", http.StatusMethodNotAllowed, api.CodeMethodNotAllowed},
		{http.MethodDelete, "/assets/js/app.js", http.StatusMethodNotAllowed, api.CodeMethodNotAllowed},
	}
	for _, c := range cases {
		w := serve(t, h, c.method, c.path)
		var body api.ErrorResponse
		if w.Code != c.status || json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Error.Code != c.code {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, w.Code, w.Body, c.status, c.code)
		}
		if ct := w.Header().Get("Content-Type"); ct != contentTypeJSON {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, ct)
		}
	}
}

func TestServesOnlyItsPaths(t *testing.T) {
	for path, want := range map[string]bool{
		"/": true, "/index.html": true, "/assets/js/app.js": true, "/assets/": true,
		"/v1/chain": false, "/healthz": false, "/metrics": false, "/openapi.json": false, "/assets": false, "/index.htm": false, "": false,
	} {
		if got := Serves(path); got != want {
			t.Errorf("Serves(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestContentTypes(t *testing.T) {
	for name, want := range map[string]string{
		"a.js": "text/javascript; charset=utf-8", "a.mjs": "text/javascript; charset=utf-8", "a.css": "text/css; charset=utf-8",
		"a.html": "text/html; charset=utf-8", "a.svg": "image/svg+xml", "a.png": "image/png", "a.unknownext": contentTypeOctet,
	} {
		if got := contentTypeOf(name); got != want {
			t.Errorf("contentTypeOf(%q) = %q, want %q", name, got, want)
		}
	}
}
