package nodetest

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"testing"
)

// Tamper rewrites one response of a node: it gets the request and the
// body the node sent and returns the body the client will see (return
// body unchanged to pass it through). It runs for every response, so it
// picks what to alter by r.URL.
type Tamper func(r *http.Request, status int, body []byte) []byte

// TamperProxy starts a reverse proxy on 127.0.0.1 in front of the node at
// target (a base URL) that passes every request through and every
// response through tamper, and returns the proxy's base URL. It stops
// when the test ends. Tests of verifying clients use it to stand for a
// node that lies.
func TamperProxy(t testing.TB, target string, tamper Tamper) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("tamper proxy target %q: %v", target, err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		body = tamper(resp.Request, resp.StatusCode, body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		resp.Header.Del("Content-Encoding")
		return nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("tamper proxy listen: %v", err)
	}
	srv := httptest.NewUnstartedServer(rp)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}
