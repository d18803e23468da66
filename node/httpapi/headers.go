package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/sdk/api"
)

// CodeHeadersTooLarge is the error code of a 431: the request line and
// headers together exceed Config.MaxHeaderBytes.
const CodeHeadersTooLarge api.Code = "headers_too_large"

// ErrHeadersTooLarge: the request line and headers exceed MaxHeaderBytes.
var ErrHeadersTooLarge = errors.New("request line and headers too large")

// headerHardCapSlack is how far above Config.MaxHeaderBytes net/http still
// parses a request, so that the middleware, not net/http, judges every
// request near the limit and answers it exactly. Above the hard cap
// net/http refuses by itself and jsonErrorConn rewrites its answer.
const headerHardCapSlack = 64 << 10

// HTTPServer returns an http.Server serving s with the header limits of its
// Config: net/http reads at most MaxHeaderBytes plus a slack of request
// line and headers, within ReadHeaderTimeout. The caller sets the other
// timeouts and must serve on JSONErrorListener(ln), or requests far above
// the limit get net/http's plain-text 431.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes + headerHardCapSlack,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
	}
}

// limitHeaders refuses a request whose request line and headers, as sent,
// exceed MaxHeaderBytes. It runs before routing, so it covers unknown
// routes too.
func (s *Server) limitHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if n := headerBytes(c.Request()); n > s.cfg.MaxHeaderBytes {
			return fmt.Errorf("%w: %d bytes, limit %d", ErrHeadersTooLarge, n, s.cfg.MaxHeaderBytes)
		}
		return next(c)
	}
}

// headerBytes is the size of r's request line and header block as sent
// (up to optional whitespace, which net/http does not keep).
func headerBytes(r *http.Request) int {
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	n := len(r.Method) + 1 + len(uri) + 1 + len(r.Proto) + 2 // request line
	if r.Host != "" {
		n += len("Host: ") + len(r.Host) + 2 // net/http moves Host out of Header
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n + 2 // blank line
}

// JSONErrorListener wraps ln so that the error responses net/http writes
// by itself, before any handler runs, are the API's JSON error body
// instead of plain text: 431 for a request line or headers above the hard
// cap, 400 for a request it cannot parse, 501 for an unknown transfer
// encoding. Every other byte passes through unchanged.
func JSONErrorListener(ln net.Listener) net.Listener { return jsonErrorListener{ln} }

type jsonErrorListener struct{ net.Listener }

func (l jsonErrorListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonErrorConn{Conn: c}, nil
}

// jsonErrorConn recognises net/http's own error responses by their exact
// shape: one Write holding the status line and this header block, which
// net/http writes with a single Fprintf straight to the connection. A
// handler's response cannot match: net/http writes response headers
// sorted (Connection before Content-Type) and always with a Date. Should
// a future net/http change the shape, the response passes through
// unchanged and TestOversizedHeadersGetJSON431 fails.
type jsonErrorConn struct{ net.Conn }

const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c *jsonErrorConn) Write(p []byte) (int, error) {
	if resp, ok := rewritePlainError(p); ok {
		if _, err := c.Conn.Write(resp); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// CloseWrite keeps net/http's graceful close after a 431 (it half-closes,
// then waits, so the client reads the answer before the reset).
func (c *jsonErrorConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// rewritePlainError turns "HTTP/1.1 <status> <text>" + netHTTPErrorHeaders +
// "<message>" into the same status with the JSON error body.
func rewritePlainError(p []byte) ([]byte, bool) {
	const prefix = "HTTP/1.1 "
	if !bytes.HasPrefix(p, []byte(prefix)) || len(p) < len(prefix)+3 {
		return nil, false
	}
	// The status first: every handler response passes through here, and
	// a success must not pay for scanning its whole buffer.
	status, err := strconv.Atoi(string(p[len(prefix) : len(prefix)+3]))
	if err != nil || status < 400 || status > 599 {
		return nil, false
	}
	i := bytes.Index(p, []byte(netHTTPErrorHeaders))
	if i < 0 {
		return nil, false
	}
	code := api.CodeBadRequest
	msg := string(p[i+len(netHTTPErrorHeaders):])
	if status == http.StatusRequestHeaderFieldsTooLarge {
		code, msg = CodeHeadersTooLarge, ErrHeadersTooLarge.Error()+": above the server's hard cap"
	}
	body, err := json.Marshal(api.ErrorResponse{Error: api.Error{Code: code, Message: msg}})
	if err != nil {
		return nil, false
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		status, http.StatusText(status), len(body)+1)
	b.Write(body)
	b.WriteByte('\n')
	return b.Bytes(), true
}
