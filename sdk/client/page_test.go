package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/meshledger/meshledger/sdk/api"
)

func TestPaged(t *testing.T) {
	pages := map[string]struct {
		items []int
		next  string
	}{
		"":  {[]int{1, 2}, "a"},
		"a": {[]int{3, 4}, "b"},
		"b": {[]int{5}, ""},
	}
	boom := errors.New("boom")
	tests := []struct {
		name      string
		fetch     func(string) ([]int, string, error)
		stopAfter int // 0: read to the end
		want      string
		wantCalls []string
	}{
		{"every page", nil, 0, "[1 2 3 4 5] <nil>", []string{"", "a", "b"}},
		{"early stop fetches no more", nil, 2, "[1 2] <nil>", []string{""}},
		{"stop inside the second page", nil, 3, "[1 2 3] <nil>", []string{"", "a"}},
		{"cursor that does not move ends it", func(c string) ([]int, string, error) { return []int{7}, "same", nil }, 0,
			"[7 7] <nil>", []string{"", "same"}},
		{"error is the last item", func(c string) ([]int, string, error) {
			if c == "a" {
				return nil, "", boom
			}
			return pages[c].items, pages[c].next, nil
		}, 0, "[1 2] boom", []string{"", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			fetch := tt.fetch
			if fetch == nil {
				fetch = func(c string) ([]int, string, error) { return pages[c].items, pages[c].next, nil }
			}
			var got []int
			var gotErr error
			for v, err := range paged(func(c string) ([]int, string, error) { calls = append(calls, c); return fetch(c) }) {
				if err != nil {
					gotErr = err
					break
				}
				if got = append(got, v); len(got) == tt.stopAfter {
					break
				}
			}
			if s := fmt.Sprint(got, " ", gotErr); s != tt.want {
				t.Fatalf("got %s, want %s", s, tt.want)
			}
			if fmt.Sprintf("%q", calls) != fmt.Sprintf("%q", tt.wantCalls) {
				t.Fatalf("fetched cursors %q, want %q", calls, tt.wantCalls)
			}
		})
	}
}

// SubmitRaw sends the bytes it is given unchanged, to the route their JSON
// shape names, and answers one item per transaction either way.
func TestSubmitRawRoutes(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := loopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.URL.Path+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case api.PathTxs:
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprint(w, `{"hash":"0x0100000000000000000000000000000000000000000000000000000000000000","status":"pending"}`)
		case api.PathTxsBatch:
			fmt.Fprint(w, `[{"httpStatus":202,"status":"pending"},{"httpStatus":409,"error":{"code":"nonce_conflict","message":"m"}}]`)
		}
	}))
	c, _ := New(srv.URL, WithRetry(fastRetry()))
	one, err := c.SubmitRaw(context.Background(), []byte(`{"x":1}`))
	if err != nil || len(one) != 1 || one[0].HTTPStatus != http.StatusAccepted || one[0].Status != api.TxPending || one[0].Hash[0] != 1 {
		t.Fatalf("single = %+v, %v", one, err)
	}
	two, err := c.SubmitRaw(context.Background(), []byte(" \n[{\"x\":1},{\"x\":2}]"))
	if err != nil || len(two) != 2 || two[0].Error != nil || two[1].Error == nil || two[1].Error.Code != "nonce_conflict" {
		t.Fatalf("batch = %+v, %v", two, err)
	}
	want := fmt.Sprintf("[%s {\"x\":1} %s  \n[{\"x\":1},{\"x\":2}]]", api.PathTxs, api.PathTxsBatch)
	if fmt.Sprint(got) != want {
		t.Fatalf("requests %q, want %q", got, want)
	}
}
