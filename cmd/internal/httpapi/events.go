package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/sdk/api"
)

// handleEvents streams committed blocks and contract events as Server-Sent
// Events. Everything is read from the store: the live tail is the same
// replay, woken by each commit. So a slow client only lags, it never skips,
// and a reconnect with Last-Event-ID continues exactly after the last item
// it received.
func (s *Server) handleEvents(c echo.Context) error {
	if s.closed() {
		return fmt.Errorf("%w: shutting down", ErrUnavailable)
	}
	start, err := s.streamStart(c)
	if err != nil {
		return err
	}
	var filter *common.Address
	if cs := c.QueryParam(api.ParamContract); cs != "" {
		a, err := parseAddress(api.ParamContract, cs)
		if err != nil {
			return err
		}
		filter = &a
	}
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		return fmt.Errorf("%w: limit %d", ErrTooManyStreams, s.cfg.MaxStreams)
	}
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()

	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w.Writer)
	sw := &sseWriter{s: s, w: w, rc: rc}
	if err := sw.comment("stream from " + start.String()); err != nil {
		return nil
	}

	ctx := c.Request().Context()
	heartbeat := time.NewTicker(s.cfg.Heartbeat)
	defer heartbeat.Stop()
	next := start // the first item not yet sent
	for {
		wake := s.deps.Commits.NextCommit()
		latest := s.deps.Ledger.Latest().Header.Height
		for h := next.Height; h <= latest; h++ {
			if err := s.sendBlock(sw, h, next, filter); err != nil {
				// A write error means the client is gone or too slow:
				// it resumes with Last-Event-ID. A read error is logged.
				if !sw.failed {
					s.log.Error("event stream: read block", "height", h, "err", err)
				}
				return nil
			}
			next = api.EventID{Height: h + 1}
		}
		select {
		case <-wake:
		case <-heartbeat.C:
			if sw.comment("ping") != nil {
				return nil
			}
		case <-ctx.Done():
			return nil
		case <-s.closing:
			return nil
		}
	}
}

// streamStart is the first item to send: right after Last-Event-ID, else
// the block from_height, else the next block to commit.
func (s *Server) streamStart(c echo.Context) (api.EventID, error) {
	if last := c.Request().Header.Get(api.HeaderLastEventID); last != "" {
		id, err := api.ParseEventID(last)
		if err != nil {
			return api.EventID{}, fmt.Errorf("%s: %w", api.HeaderLastEventID, err)
		}
		return api.EventID{Height: id.Height, Seq: id.Seq + 1}, nil
	}
	if fh := c.QueryParam(api.ParamFromHeight); fh != "" {
		h, err := parseUint(api.ParamFromHeight, fh)
		if err != nil {
			return api.EventID{}, fmt.Errorf("%w: %v", ErrBadEventID, err)
		}
		return api.EventID{Height: h}, nil
	}
	return api.EventID{Height: s.deps.Ledger.Latest().Header.Height + 1}, nil
}

// sendBlock sends block h's items from `from` on: the block (seq 0), then
// its contract events (seq 1..) in execution order. Sequence numbers count
// every event, filtered or not, so IDs do not depend on the filter.
func (s *Server) sendBlock(sw *sseWriter, h uint64, from api.EventID, filter *common.Address) error {
	b, err := s.deps.Ledger.Block(h)
	if err != nil {
		return err
	}
	receipts, err := s.deps.Ledger.Receipts(h)
	if err != nil {
		return err
	}
	minSeq := uint32(0)
	if from.Height == h {
		minSeq = from.Seq
	}
	hdr := b.Header.Header
	if minSeq == 0 {
		hashes := b.TxHashes
		if hashes == nil {
			hashes = []common.Hash{}
		}
		ev := api.BlockEvent{Height: h, Hash: b.Header.Hash(), TimeMs: hdr.TimeMs, TxHashes: hashes}
		if err := sw.event(api.EventID{Height: h}, api.SSEBlock, ev); err != nil {
			return err
		}
	}
	seq := uint32(0)
	for _, r := range receipts {
		for _, e := range r.Events {
			seq++
			if seq < minSeq || filter != nil && e.Contract != *filter {
				continue
			}
			ev := api.ContractEvent{
				Height: h, TimeMs: hdr.TimeMs, TxIndex: r.Index, TxHash: r.TxHash,
				Contract: e.Contract, Name: e.Name, Data: nonNilBytes(e.Data),
			}
			if err := sw.event(api.EventID{Height: h, Seq: seq}, api.SSEEvent, ev); err != nil {
				return err
			}
		}
	}
	return sw.flush()
}

// sseWriter writes SSE frames with a deadline per write, so that a client
// that stops reading is dropped instead of holding a goroutine forever.
type sseWriter struct {
	s      *Server
	w      *echo.Response
	rc     *http.ResponseController
	failed bool
}

func (sw *sseWriter) write(frame []byte) error {
	// Not every ResponseWriter supports deadlines (httptest's does not);
	// streaming still works without one.
	_ = sw.rc.SetWriteDeadline(time.Now().Add(sw.s.cfg.StreamWriteTimeout))
	if _, err := sw.w.Write(frame); err != nil {
		sw.failed = true
		return err
	}
	return nil
}

func (sw *sseWriter) event(id api.EventID, typ string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	frame := make([]byte, 0, len(b)+64)
	frame = fmt.Appendf(frame, "id: %s\nevent: %s\ndata: ", id, typ)
	frame = append(frame, b...)
	frame = append(frame, '\n', '\n')
	return sw.write(frame)
}

func (sw *sseWriter) comment(text string) error {
	if err := sw.write([]byte(": " + text + "\n\n")); err != nil {
		return err
	}
	return sw.flush()
}

func (sw *sseWriter) flush() error {
	if err := sw.rc.Flush(); err != nil {
		sw.failed = true
		return err
	}
	return nil
}
