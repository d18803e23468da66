package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/audit"
	"github.com/meshledger/meshledger/ledger/block"
	"github.com/meshledger/meshledger/sdk/api"
)

// HeaderLatestHeight carries, on GET /v1/export, the node's latest height
// when the stream started. An auditor compares it with what the stream
// delivers: a node that claims more blocks than it sends withholds them.
const HeaderLatestHeight = "Meshledger-Latest-Height"

// ExportMedia is the media type of an export stream.
const ExportMedia = "application/vnd.meshledger.export"

// exportFlushEvery is how many bytes of an export are written between
// flushes: enough to keep syscalls few, small enough that a client sees
// progress block by block on a slow chain.
const exportFlushEvery = 64 << 10

// exportWriteTimeout is how long one write of an export may wait for the
// reader.
const exportWriteTimeout = 2 * time.Minute

// genesisReader is the part of *ledger.Ledger the export needs beyond the
// API's Ledger interface. It is asserted rather than added to Ledger so
// that the API's other implementations need not grow a method only the
// export uses; without it the route answers 404.
type genesisReader interface {
	Genesis() *block.Genesis
}

// handleExport streams blocks from..to in the format of package
// ledger/audit (meshledger-export/1): what `meshledger audit` replays.
// Only auditors read it: it holds every transaction and receipt. Blocks
// are read one at a time from the store, so memory is bounded by one
// block and no lock is held for the stream; the stream ends when the
// client goes away.
func (s *Server) handleExport(c echo.Context) error {
	if !viewerOf(c).Auditor() {
		return fmt.Errorf("%w: the export holds every transaction; it needs the auditor role", ledger.ErrForbidden)
	}
	gr, ok := s.deps.Ledger.(genesisReader)
	if !ok {
		return fmt.Errorf("%w: this node cannot export its chain", ledger.ErrNotFound)
	}
	latest := s.deps.Ledger.Latest().Header.Height
	from, to := uint64(1), latest
	var err error
	if v := c.QueryParam(api.ParamFrom); v != "" {
		if from, err = parseUint(api.ParamFrom, v); err != nil {
			return err
		}
	}
	if v := c.QueryParam(api.ParamTo); v != "" {
		if to, err = parseUint(api.ParamTo, v); err != nil {
			return err
		}
	}
	switch {
	case from == 0:
		return fmt.Errorf("%w: %s: blocks start at 1", ErrBadRequest, api.ParamFrom)
	case to > latest:
		return fmt.Errorf("%w: %s=%d is past the latest block %d", ErrBadRequest, api.ParamTo, to, latest)
	case from > to+1:
		return fmt.Errorf("%w: %s=%d is after %s=%d (an empty range is %s=%s+1)", ErrBadRequest, api.ParamFrom, from, api.ParamTo, to, api.ParamFrom, api.ParamTo)
	}
	src := exportSource{Ledger: s.deps.Ledger, genesisReader: gr}
	// Exports share the event streams' bound: each is a long-lived
	// response holding a goroutine and a connection.
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		return fmt.Errorf("%w: limit %d", ErrTooManyStreams, s.cfg.MaxStreams)
	}

	w := c.Response()
	w.Header().Set(echo.HeaderContentType, ExportMedia)
	w.Header().Set(echo.HeaderCacheControl, "no-store")
	w.Header().Set(HeaderLatestHeight, strconv.FormatUint(latest, 10))
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w.Writer)
	// A long export must not be cut by the server's read timeout, which
	// is there for slow request bodies; there is no body here.
	_ = rc.SetReadDeadline(time.Time{})
	fw := &flushWriter{w: w, rc: rc}
	err = audit.ExportRange(c.Request().Context(), src, fw, from, to)
	if err == nil {
		err = fw.flush()
	}
	// Without a server WriteTimeout nothing resets the deadline for the
	// connection's next request.
	_ = rc.SetWriteDeadline(time.Time{})
	// Headers are sent: an error can only end the stream early, which the
	// reader sees as a truncated record or a missing block. A client gone
	// away is normal; a read error is the node's and is logged.
	if err != nil && !fw.failed && !errors.Is(err, c.Request().Context().Err()) {
		s.log.Error("export stream", "from", from, "to", to, "err", err)
	}
	return nil
}

// exportSource is the API's Ledger with the genesis it lacks.
type exportSource struct {
	Ledger
	genesisReader
}

// flushWriter writes to the response and flushes it every
// exportFlushEvery bytes.
type flushWriter struct {
	w       io.Writer
	rc      *http.ResponseController
	pending int
	failed  bool // a write or flush failed: the client is gone
}

func (f *flushWriter) Write(p []byte) (int, error) {
	// A reader that stops reading (rather than closing) is dropped after
	// a while, so that it does not hold the stream's slot for ever. The
	// bound is generous: an auditor reads a few blocks ahead and then
	// pauses for as long as re-executing them takes.
	_ = f.rc.SetWriteDeadline(time.Now().Add(exportWriteTimeout))
	n, err := f.w.Write(p)
	if err != nil {
		f.failed = true
		return n, err
	}
	if f.pending += n; f.pending >= exportFlushEvery {
		return n, f.flush()
	}
	return n, nil
}

func (f *flushWriter) flush() error {
	f.pending = 0
	if err := f.rc.Flush(); err != nil {
		f.failed = true
		return err
	}
	return nil
}

// The export route's parameters (routes.go).
var (
	pExportFrom = param{name: api.ParamFrom, in: "query", desc: "first block (default 1; latest+1 sends the genesis record alone)", typ: "integer"}
	pExportTo   = param{name: api.ParamTo, in: "query", desc: "last block (default: latest)", typ: "integer"}
)
