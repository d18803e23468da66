package httpapi_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/node/httpapi"
	"github.com/meshledger/meshledger/sdk/api"
)

// rawRequest sends req over a fresh TCP connection to addr while reading
// the response concurrently (the server may answer before the request is
// fully written) and returns the parsed response and its body.
func rawRequest(t *testing.T, addr string, req string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { _, _ = io.WriteString(conn, req) }() // fails once the server hangs up: expected
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read body: %v (read %q)", err, body)
	}
	return resp, body
}

func assertJSONError(t *testing.T, resp *http.Response, body []byte, status int, code api.Code) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d (body %.200q)", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want application/json (body %.200q)", ct, body)
	}
	var e api.ErrorResponse
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("body is not the JSON error body: %v: %.200q", err, body)
	}
	if e.Error.Code != code || e.Error.Message == "" {
		t.Fatalf("error %+v, want code %q and a message", e.Error, code)
	}
}

// Over the node's real listener: every oversized request line or header
// set gets a JSON 431, whether the middleware judges it (just above the
// documented limit) or net/http refuses it at the hard cap (far above).
func TestOversizedHeadersGetJSON431(t *testing.T) {
	n := start(t, node.Config{})
	addr := n.Addr().String()
	limit := httpapi.DefaultConfig().MaxHeaderBytes
	tests := []struct {
		name string
		req  string
	}{
		{"header over hard cap", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 2*limit) + "\r\n\r\n"},
		{"request line over hard cap", "GET /healthz?q=" + strings.Repeat("a", 2*limit) + " HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"headers just over the limit", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", limit) + "\r\n\r\n"},
		{"request line just over the limit", "GET /healthz?q=" + strings.Repeat("a", limit) + " HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"many headers over the limit", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-H: "+strings.Repeat("b", 1000)+"\r\n", limit/1000+1) + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawRequest(t, addr, tt.req)
			assertJSONError(t, resp, body, http.StatusRequestHeaderFieldsTooLarge, httpapi.CodeHeadersTooLarge)
		})
	}
	// A request within the limit is served.
	resp, body := rawRequest(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: "+strings.Repeat("a", limit/2)+"\r\n\r\n")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("half-limit headers: status %d: %s", resp.StatusCode, body)
	}
}

// The other errors net/http answers before any handler runs (a request it
// cannot parse) are JSON too.
func TestUnparsableRequestGetsJSON400(t *testing.T) {
	n := start(t, node.Config{})
	resp, body := rawRequest(t, n.Addr().String(), "GARBAGE\r\n\r\n")
	assertJSONError(t, resp, body, http.StatusBadRequest, api.CodeBadRequest)
	resp, body = rawRequest(t, n.Addr().String(), "POST /v1/txs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
	assertJSONError(t, resp, body, http.StatusNotImplemented, api.CodeBadRequest)
}

// The middleware alone (no net/http in front): the handler refuses
// headers above the limit, with the request line counted.
func TestHeaderLimitMiddleware(t *testing.T) {
	n := start(t, node.Config{NoHTTP: true, API: httpapi.Config{MaxHeaderBytes: 4096}})
	h := n.Handler()
	ok := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	ok.Header.Set("X-Small", strings.Repeat("a", 1000))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, ok)
	if rec.Code != http.StatusOK {
		t.Fatalf("small headers: %d %s", rec.Code, rec.Body)
	}
	big := httptest.NewRequest(http.MethodGet, "/healthz?q="+strings.Repeat("a", 4096), nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, big)
	assertJSONError(t, rec.Result(), rec.Body.Bytes(), http.StatusRequestHeaderFieldsTooLarge, httpapi.CodeHeadersTooLarge)
}

// A client that does not finish its headers within ReadHeaderTimeout is
// disconnected.
func TestSlowHeadersAreCutOff(t *testing.T) {
	n := start(t, node.Config{API: httpapi.Config{ReadHeaderTimeout: 200 * time.Millisecond}})
	conn, err := net.Dial("tcp", n.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("read: %v (after %v): the connection was not closed", err, time.Since(start))
	}
	if len(b) != 0 {
		t.Fatalf("got %q, want the connection closed without a response", b)
	}
}
