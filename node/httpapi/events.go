package httpapi

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/block"
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
	// The request is read: the server's ReadTimeout (against slow bodies)
	// must not end a stream that is meant to last.
	_ = rc.SetReadDeadline(time.Time{})
	sw := &sseWriter{s: s, w: w, rc: rc}
	if err := sw.comment("stream from " + start.String()); err != nil {
		return nil
	}

	// One viewer per stream, taken when it opens: filtering an event is
	// then a pure match of its audience (Ledger.SeesEvent), never a
	// contract call.
	v := viewerOf(c)
	ctx := c.Request().Context()
	heartbeat := time.NewTicker(s.cfg.Heartbeat)
	defer heartbeat.Stop()
	next := start // the first item not yet sent
	for {
		wake := s.deps.Commits.NextCommit()
		latest := s.deps.Ledger.Latest().Header.Height
		for h := next.Height; h <= latest; h++ {
			if err := s.sendBlock(sw, v, h, next, filter); err != nil {
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
		if id.Seq == math.MaxUint32 {
			// No block holds that many items: resume at the next block
			// rather than wrap around to this block's first item.
			return api.EventID{Height: id.Height + 1}, nil
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
// its contract events (seq 1..) in execution order, those v may see.
// Sequence numbers count every event, filtered or not, so IDs do not depend
// on the filter or the reader, and the frames of a block are rendered once
// for every stream (blockFrames); only a non-auditor's block item, whose
// transaction list depends on the events it sees, is rendered per stream.
func (s *Server) sendBlock(sw *sseWriter, v *ledger.Viewer, h uint64, from api.EventID, filter *common.Address) error {
	bf, err := s.frames.Get(h)
	if err != nil {
		return err
	}
	minSeq := uint32(0)
	if from.Height == h {
		minSeq = from.Seq
	}
	auditor := v.Auditor()
	seen := make([]bool, len(bf.events))
	for i, ev := range bf.events {
		seen[i] = auditor || s.deps.Ledger.SeesEvent(v, ev.event)
	}
	if minSeq == 0 {
		frame := bf.block
		if !auditor {
			if frame, err = bf.blockFor(seen); err != nil {
				return err
			}
		}
		if err := sw.write(frame); err != nil {
			return err
		}
	}
	for i, ev := range bf.events {
		seq := uint32(i + 1)
		if seq < minSeq || !seen[i] || filter != nil && ev.event.Contract != *filter {
			continue
		}
		if err := sw.write(ev.frame); err != nil {
			return err
		}
	}
	return sw.flush()
}

// renderBlock renders block h's SSE frames.
func (s *Server) renderBlock(h uint64) (*blockFrames, error) {
	b, err := s.deps.Ledger.Block(h)
	if err != nil {
		return nil, err
	}
	receipts, err := s.deps.Ledger.Receipts(h)
	if err != nil {
		return nil, err
	}
	hdr := b.Header.Header
	hashes := b.TxHashes
	if hashes == nil {
		hashes = []common.Hash{}
	}
	ev := api.BlockEvent{Height: h, Hash: b.Header.Hash(), TimeMs: hdr.TimeMs, TxCount: len(hashes), TxHashes: hashes}
	bf := &blockFrames{item: ev}
	if bf.block, err = sseFrame(api.EventID{Height: h}, api.SSEBlock, ev); err != nil {
		return nil, err
	}
	seq := uint32(0)
	for _, r := range receipts {
		for j := range r.Events {
			e := &r.Events[j]
			seq++
			ev := api.ContractEvent{
				Height: h, TimeMs: hdr.TimeMs, TxIndex: r.Index, TxHash: r.TxHash,
				Contract: e.Contract, Name: e.Name, Data: nonNilBytes(e.Data),
			}
			frame, err := sseFrame(api.EventID{Height: h, Seq: seq}, api.SSEEvent, ev)
			if err != nil {
				return nil, err
			}
			bf.events = append(bf.events, eventFrame{event: e, txHash: r.TxHash, frame: frame})
		}
	}
	return bf, nil
}

// framesKept is how many blocks' frames are kept: streams at the tail all
// ask for the newest block at once; a stream catching up from far behind
// renders as it goes.
const framesKept = 8

// blockFrames are one committed block's SSE frames: the block item as an
// auditor receives it, then each contract event with what filtering needs.
type blockFrames struct {
	item   api.BlockEvent // the block item, every transaction listed
	block  []byte         // its frame
	events []eventFrame
}

type eventFrame struct {
	event  *block.Event // committed: never changes
	txHash common.Hash  // the transaction that emitted it
	frame  []byte
}

// blockFor renders the block item for a reader who sees the events marked
// in seen: it lists the transactions that emitted them, once each, in
// block order.
func (bf *blockFrames) blockFor(seen []bool) ([]byte, error) {
	item := bf.item
	item.TxHashes = []common.Hash{}
	for i, ev := range bf.events {
		if seen[i] && !slices.Contains(item.TxHashes, ev.txHash) {
			item.TxHashes = append(item.TxHashes, ev.txHash)
		}
	}
	return sseFrame(api.EventID{Height: item.Height}, api.SSEBlock, item)
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

// sseFrame renders one SSE item.
func sseFrame(id api.EventID, typ string, data any) ([]byte, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	frame := make([]byte, 0, len(b)+64)
	frame = fmt.Appendf(frame, "id: %s\nevent: %s\ndata: ", id, typ)
	frame = append(frame, b...)
	frame = append(frame, '\n', '\n')
	return frame, nil
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
