package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/meshledger/meshledger/sdk/api"
)

// EventFilter selects the stream of Events.
type EventFilter struct {
	// FromHeight is the first block to deliver; 0 means from the node's
	// next block.
	FromHeight uint64
	// Contract, when set, keeps only that contract's events (blocks are
	// always delivered).
	Contract *common.Address
	// After resumes a stream right after an item already seen, as a
	// reconnect does; it overrides FromHeight.
	After *api.EventID
}

// StreamEvent is one item of the event stream: a committed block, or an
// event a committed transaction emitted. Exactly one of Block and Event is
// set.
type StreamEvent struct {
	ID    api.EventID
	Block *api.BlockEvent
	Event *api.ContractEvent
}

// errStopStream is how streamOnce tells subscribe that the caller's loop
// stopped: it ends the subscription without an error.
var errStopStream = errors.New("client: stop stream")

// Events streams events (GET /v1/events, Server-Sent Events) until the
// caller's loop stops, ctx ends, the node refuses the request for good, or
// it sends an item that does not decode; all but the first end the
// iteration with an error item (ctx.Err(), the node's *APIError, the
// decoding error). Lost connections are re-established with
// Last-Event-ID, so the loop sees each item exactly once and in stream
// order even across reconnects. The loop body runs on the caller's
// goroutine; a slow body slows the stream, never drops items.
func (c *Client) Events(ctx context.Context, f EventFilter) iter.Seq2[StreamEvent, error] {
	return func(yield func(StreamEvent, error) bool) {
		if err := c.subscribe(ctx, f, func(ev StreamEvent) bool { return yield(ev, nil) }); err != nil {
			yield(StreamEvent{}, err)
		}
	}
}

// subscribe runs the stream for Events, handing items to deliver; it
// returns nil once deliver returns false.
func (c *Client) subscribe(ctx context.Context, f EventFilter, deliver func(StreamEvent) bool) error {
	last := f.After
	failures := 0
	renew := false
	for {
		delivered, err := c.streamOnce(ctx, f, last, renew, func(ev StreamEvent) bool {
			if last != nil && !last.Less(ev.ID) {
				return true // already delivered before a reconnect
			}
			if !deliver(ev) {
				return false
			}
			id := ev.ID
			last = &id
			return true
		})
		if errors.Is(err, errStopStream) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var he *handlerError
		if errors.As(err, &he) {
			return he.err
		}
		if isSessionRefused(err) && !renew {
			// The session ran out (a long stream outlives it) or the node
			// disagrees about it: reconnect once with a fresh one.
			renew = true
			continue
		}
		var ae *APIError
		if errors.As(err, &ae) && !ae.Retryable() {
			return err
		}
		renew = false
		if delivered {
			failures = 0
		}
		failures++
		hint := time.Duration(0)
		if ae != nil {
			hint = ae.RetryAfter
		}
		t := time.NewTimer(c.retry.backoff(min(failures, 16), hint))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// handlerError marks an error that ends the subscription instead of
// causing a reconnect: the node sent an item that does not decode (a
// reconnect would fetch the same bytes).
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

// streamOnce runs one connection; it returns errStopStream once deliver
// returns false. It reports whether any item was read, so that the caller
// resets its backoff after a stream that worked.
//
// The stream carries the client's read session: the node delivers only the
// events whose audience includes the reader. renew signs a fresh session
// first.
func (c *Client) streamOnce(ctx context.Context, f EventFilter, last *api.EventID, renew bool, deliver func(StreamEvent) bool) (bool, error) {
	auth, err := c.sessionHeader(ctx, renew)
	if err != nil {
		return false, err
	}
	q := url.Values{}
	if f.FromHeight > 0 {
		q.Set(api.ParamFromHeight, strconv.FormatUint(f.FromHeight, 10))
	}
	if f.Contract != nil {
		q.Set(api.ParamContract, f.Contract.Hex())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(api.PathEvents, q), nil)
	if err != nil {
		return false, fmt.Errorf("client: events: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if auth != "" {
		req.Header.Set(api.HeaderAuthorization, auth)
	}
	if last != nil {
		req.Header.Set(api.HeaderLastEventID, last.String())
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return false, fmt.Errorf("client: events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return false, decodeAPIError(resp.StatusCode, resp.Header, b)
	}
	delivered := false
	err = readSSE(resp.Body, func(m sseMessage) error {
		ev, ok, err := decodeStreamEvent(m)
		if err != nil {
			// A reconnect would fetch the same bytes again.
			return &handlerError{err}
		}
		if !ok {
			return nil
		}
		delivered = true
		if !deliver(ev) {
			return errStopStream
		}
		return nil
	})
	if err == nil {
		err = io.ErrUnexpectedEOF // the server never ends a stream on purpose
	}
	return delivered, err
}

// sseMessage is one dispatched Server-Sent Event.
type sseMessage struct {
	id, event, data string
}

// maxSSELine bounds one line of the stream (an event carries at most 64 KiB
// of data, hex-encoded, plus JSON framing).
const maxSSELine = 1 << 20

// readSSE parses the text/event-stream format (WHATWG HTML §9.2): fields
// accumulate until a blank line dispatches the message; lines starting
// with ':' are comments (keep-alives).
func readSSE(r io.Reader, fn func(sseMessage) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxSSELine)
	var m sseMessage
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if len(data) > 0 {
				m.data = strings.Join(data, "\n")
				if err := fn(m); err != nil {
					return err
				}
			}
			m, data = sseMessage{}, data[:0]
			continue
		}
		if line[0] == ':' {
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "id":
			m.id = value
		case "event":
			m.event = value
		case "data":
			data = append(data, value)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("client: events: %w", err)
	}
	return nil
}

// decodeStreamEvent turns a message into a StreamEvent. Unknown event
// types are skipped (ok=false) so that new kinds do not break old clients.
func decodeStreamEvent(m sseMessage) (StreamEvent, bool, error) {
	var ev StreamEvent
	switch m.event {
	case api.SSEBlock:
		ev.Block = new(api.BlockEvent)
		if err := json.Unmarshal([]byte(m.data), ev.Block); err != nil {
			return ev, false, fmt.Errorf("client: events: block %q: %w", m.id, err)
		}
	case api.SSEEvent:
		ev.Event = new(api.ContractEvent)
		if err := json.Unmarshal([]byte(m.data), ev.Event); err != nil {
			return ev, false, fmt.Errorf("client: events: event %q: %w", m.id, err)
		}
	default:
		return ev, false, nil
	}
	id, err := api.ParseEventID(m.id)
	if err != nil {
		return ev, false, fmt.Errorf("client: events: %w", err)
	}
	ev.ID = id
	return ev, true, nil
}
