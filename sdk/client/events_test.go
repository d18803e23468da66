package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshledger/meshledger/sdk/api"
)

// flakyStream serves blocks 1..n as SSE, one contract event per block, and
// drops the connection after every `per` items. On reconnect it resumes
// from Last-Event-ID but deliberately repeats the last item, as a server
// with at-least-once delivery may.
type flakyStream struct {
	n, per int
	mu     sync.Mutex
	resume []string // Last-Event-ID of each connection
}

func (s *flakyStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	last := r.Header.Get(api.HeaderLastEventID)
	s.mu.Lock()
	s.resume = append(s.resume, last)
	s.mu.Unlock()
	items := []string{}
	for h := 1; h <= s.n; h++ {
		items = append(items,
			fmt.Sprintf("id: %d:0\nevent: block\ndata: {\"height\":%d,\"timeMs\":%d}\n\n", h, h, h*1000),
			fmt.Sprintf(": keep-alive\nid: %d:1\nevent: event\ndata: {\"height\":%d,\ndata: \"name\":\"tick\"}\n\n", h, h))
	}
	start := 0
	if last != "" {
		for i, it := range items {
			if strings.HasPrefix(it, "id: "+last+"\n") || strings.Contains(it, "\nid: "+last+"\n") {
				start = i // repeat the last one on purpose
			}
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	for i := start; i < len(items) && i < start+s.per; i++ {
		fmt.Fprint(w, items[i])
		w.(http.Flusher).Flush()
	}
	// Returning drops the stream: the client must reconnect.
}

func TestEventsReconnectExactlyOnceInOrder(t *testing.T) {
	fs := &flakyStream{n: 6, per: 3}
	srv := loopbackServer(t, fs)
	c, _ := New(srv.URL, WithRetry(fastRetry()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []string
	for ev, err := range c.Events(ctx, EventFilter{FromHeight: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case ev.Block != nil:
			got = append(got, fmt.Sprintf("b%d@%s", ev.Block.Height, ev.ID))
		case ev.Event != nil:
			got = append(got, fmt.Sprintf("%s%d@%s", ev.Event.Name, ev.Event.Height, ev.ID))
		}
		if ev.ID == (api.EventID{Height: 6, Seq: 1}) {
			break
		}
	}
	want := []string{}
	for h := 1; h <= 6; h++ {
		want = append(want, fmt.Sprintf("b%d@%d:0", h, h), fmt.Sprintf("tick%d@%d:1", h, h))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.resume) < 2 || fs.resume[0] != "" || fs.resume[1] != "2:0" {
		t.Fatalf("Last-Event-ID per connection = %q, want first empty, then 2:0", fs.resume)
	}
}

func TestEventsErrors(t *testing.T) {
	handlerErr := errors.New("handler says stop")
	tests := []struct {
		name    string
		handler http.HandlerFunc
		fn      func(StreamEvent) error
		want    func(error) bool
	}{
		{
			name: "refused for good",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"error":{"code":"bad_event_id","message":"nope"}}`))
			},
			want: func(err error) bool { return IsCode(err, "bad_event_id") },
		},
		{
			name: "handler error ends the stream",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprint(w, "id: 1:0\nevent: block\ndata: {\"height\":1}\n\n")
			},
			fn:   func(StreamEvent) error { return handlerErr },
			want: func(err error) bool { return errors.Is(err, handlerErr) },
		},
		{
			name: "malformed event is final",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprint(w, "id: 1:0\nevent: block\ndata: {\"height\":\n\n")
			},
			want: func(err error) bool { return err != nil && strings.Contains(err.Error(), "block \"1:0\"") },
		},
		{
			name: "context ends while reconnecting",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
			},
			want: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := loopbackServer(t, tt.handler)
			c, _ := New(srv.URL, WithRetry(fastRetry()))
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			fn := tt.fn
			if fn == nil {
				fn = func(StreamEvent) error { return nil }
			}
			// The loop body stands for a caller's handler: its error
			// ends the loop, as a stream error does.
			run := func() error {
				for ev, err := range c.Events(ctx, EventFilter{}) {
					if err != nil {
						return err
					}
					if err := fn(ev); err != nil {
						return err
					}
				}
				return nil
			}
			if err := run(); !tt.want(err) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestReadSSE(t *testing.T) {
	in := ": comment\nretry: 100\nid: 3:0\nevent: block\ndata: {\"a\":\ndata: 1}\n\nevent: other\ndata: x\n\n\n"
	var got []sseMessage
	if err := readSSE(strings.NewReader(in), func(m sseMessage) error { got = append(got, m); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []sseMessage{{id: "3:0", event: "block", data: "{\"a\":\n1}"}, {event: "other", data: "x"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, ok, err := decodeStreamEvent(got[1]); ok || err != nil {
		t.Fatalf("unknown event type: ok=%v err=%v, want skipped", ok, err)
	}
	if _, _, err := decodeStreamEvent(sseMessage{id: "x", event: "block", data: "{}"}); !errors.Is(err, api.ErrBadEventID) {
		t.Fatalf("bad id: err = %v", err)
	}
}
