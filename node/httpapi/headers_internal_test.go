package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/meshledger/meshledger/sdk/api"
)

func TestRewritePlainError(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		status int
		code   api.Code
	}{
		{"431", "HTTP/1.1 431 Request Header Fields Too Large" + netHTTPErrorHeaders + "431 Request Header Fields Too Large", 431, CodeHeadersTooLarge},
		{"400", "HTTP/1.1 400 Bad Request" + netHTTPErrorHeaders + "400 Bad Request", 400, api.CodeBadRequest},
		{"400 with text", "HTTP/1.1 400 Bad Request: missing required Host header" + netHTTPErrorHeaders + "400 Bad Request: missing required Host header", 400, api.CodeBadRequest},
		{"501", "HTTP/1.1 501 Not Implemented" + netHTTPErrorHeaders + "Unsupported transfer encoding", 501, api.CodeBadRequest},
		// Anything else passes through untouched.
		{"handler response", "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\nDate: x\r\n\r\n{}", 0, ""},
		{"success shape", "HTTP/1.1 200 OK" + netHTTPErrorHeaders + "ok", 0, ""},
		{"body bytes", `{"error":"HTTP/1.1 431"}`, 0, ""},
		{"short", "HTTP/1.1 4", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, ok := rewritePlainError([]byte(tt.in))
			if ok != (tt.status != 0) {
				t.Fatalf("rewritten = %v, want %v", ok, tt.status != 0)
			}
			if !ok {
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
			if err != nil {
				t.Fatal(err)
			}
			var e api.ErrorResponse
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "application/json" ||
				!resp.Close || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("got %d %v %+v", resp.StatusCode, resp.Header, e)
			}
			if want := fmt.Sprint(len(out) - bytes.Index(out, []byte("\r\n\r\n")) - 4); resp.Header.Get("Content-Length") != want {
				t.Fatalf("Content-Length %s, body %s bytes", resp.Header.Get("Content-Length"), want)
			}
		})
	}
}

// BenchmarkRewritePlainErrorPassThrough is the cost jsonErrorConn adds to
// every response a handler writes: a 200 with a few KiB of body in one
// flush.
func BenchmarkRewritePlainErrorPassThrough(b *testing.B) {
	p := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Wed, 02 Dec 2026 11:00:00 GMT\r\nContent-Length: 4000\r\n\r\n" +
		string(bytes.Repeat([]byte("x"), 4000)))
	for b.Loop() {
		if _, ok := rewritePlainError(p); ok {
			b.Fatal("rewrote a handler response")
		}
	}
}
