package explorer

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/meshledger/meshledger/sdk/api"
)

//go:embed assets
var assets embed.FS

// AssetsPrefix is the URL path under which the explorer's files are served.
const AssetsPrefix = "/assets/"

// Cache policies. Vendored files carry their version in their name, so a
// browser may keep them; everything else is revalidated by ETag on every
// load, so a node upgrade is seen at once without a hashed file name (and
// so without a build step).
const (
	cacheImmutable   = "public, max-age=31536000, immutable"
	cacheRevalidate  = "no-cache"
	vendorPrefix     = "vendor/"
	securityPolicy   = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
	indexFile        = "index.html"
	contentTypeJSON  = "application/json"
	contentTypeOctet = "application/octet-stream"
)

// file is one embedded asset, read once at construction.
type file struct {
	body        []byte
	contentType string
	etag        string
	cache       string
}

// Handler serves the explorer: index.html at "/" and the files under
// /assets/. It is safe for concurrent use and holds no mutable state.
type Handler struct {
	files map[string]file // by path relative to assets/, e.g. "js/app.js"
}

// New reads the embedded assets and returns their handler.
func New() (*Handler, error) {
	root, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, fmt.Errorf("explorer: assets: %w", err)
	}
	h := &Handler{files: make(map[string]file)}
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		sum := sha256.Sum256(body)
		f := file{body: body, contentType: contentTypeOf(p), etag: `"` + hex.EncodeToString(sum[:16]) + `"`, cache: cacheRevalidate}
		if strings.HasPrefix(p, vendorPrefix) {
			f.cache = cacheImmutable
		}
		h.files[p] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("explorer: assets: %w", err)
	}
	if _, ok := h.files[indexFile]; !ok {
		return nil, fmt.Errorf("explorer: assets: %s missing", indexFile)
	}
	return h, nil
}

// contentTypeOf names the media type by extension. JavaScript must be
// served as such: browsers refuse ES modules of any other type.
func contentTypeOf(p string) string {
	switch path.Ext(p) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".md":
		return "text/markdown; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	}
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return contentTypeOctet
}

// ServeHTTP serves "/" (and "/index.html") and AssetsPrefix + name. Any
// other path, or an unknown asset, is 404 with the API's JSON error body,
// so no response of the node is plain text.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, api.CodeMethodNotAllowed, "method not allowed")
		return
	}
	name, ok := h.lookup(r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, api.CodeNotFound, "no such explorer asset: "+r.URL.Path)
		return
	}
	f := h.files[name]
	hd := w.Header()
	hd.Set("Content-Type", f.contentType)
	hd.Set("Cache-Control", f.cache)
	hd.Set("ETag", f.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	if name == indexFile {
		hd.Set("Content-Security-Policy", securityPolicy)
		hd.Set("Referrer-Policy", "no-referrer")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", fmt.Sprint(len(f.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(f.body)
	}
}

// lookup maps a URL path to an asset name.
func (h *Handler) lookup(urlPath string) (string, bool) {
	if urlPath == "/" || urlPath == "/"+indexFile {
		return indexFile, true
	}
	name, ok := strings.CutPrefix(urlPath, AssetsPrefix)
	if !ok || name == "" {
		return "", false
	}
	_, ok = h.files[name]
	return name, ok
}

// etagMatches reports whether an If-None-Match value names etag (a list,
// or "*").
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func writeError(w http.ResponseWriter, status int, code api.Code, msg string) {
	body, _ := json.Marshal(api.ErrorResponse{Error: api.Error{Code: code, Message: msg}})
	w.Header().Set("Content-Type", contentTypeJSON)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Serves reports whether urlPath belongs to the explorer: "/",
// "/index.html" and everything under AssetsPrefix. The node's API routes
// (/v1/..., /healthz, /metrics, /openapi.json) never do.
func Serves(urlPath string) bool {
	return urlPath == "/" || urlPath == "/"+indexFile || strings.HasPrefix(urlPath, AssetsPrefix)
}
