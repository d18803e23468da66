package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshledger/meshledger/ledger/tx"
	"github.com/meshledger/meshledger/sdk/api"
)

// authServer answers GET /v1/chain (chain id 7) and records the
// Authorization header of every other request; reply decides the answer
// of each one (nil: 200 with an empty account).
type authServer struct {
	mu      sync.Mutex
	headers []string // Authorization of each non-chain request, in order
	chain   []string // Authorization of each chain request
	reply   func(n int, auth string) (status int, body string)
}

func (s *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	auth := r.Header.Get("Authorization")
	if r.URL.Path == api.PathChain {
		s.chain = append(s.chain, auth)
		s.mu.Unlock()
		w.Write([]byte(`{"chainId":7}`))
		return
	}
	s.headers = append(s.headers, auth)
	n := len(s.headers)
	s.mu.Unlock()
	status, body := http.StatusOK, `{}`
	if s.reply != nil {
		status, body = s.reply(n, auth)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(body))
}

func (s *authServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.headers...)
}

// verifySession checks that header is a session of key's address for
// chain 7, valid at nowMs.
func verifySession(t *testing.T, header string, key *Key, now time.Time) *tx.SignedSession {
	t.Helper()
	s, err := tx.ParseSession(header)
	if err != nil {
		t.Fatalf("session %q: %v", header, err)
	}
	reader, err := s.Verify(7, uint64(now.UnixMilli()))
	if err != nil || reader != key.Address() {
		t.Fatalf("session verifies to %s, %v; want %s", reader.Hex(), err, key.Address().Hex())
	}
	return s
}

func TestReadsCarrySession(t *testing.T) {
	k, _ := GenerateKey()
	srv := &authServer{}
	hs := loopbackServer(t, srv)
	now := time.Unix(1_800_000_000, 0)
	c, err := New(hs.URL, WithKey(k), WithRetry(fastRetry()), withClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := c.Account(ctx, k.Address()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Chain(ctx); err != nil {
		t.Fatal(err)
	}
	got := srv.seen()
	if len(got) != 3 || got[0] == "" || got[1] != got[0] || got[2] != got[0] {
		t.Fatalf("headers %q: want one session reused for three reads", got)
	}
	if !strings.HasPrefix(got[0], tx.SessionScheme+" ") {
		t.Fatalf("header %q lacks the %s scheme", got[0], tx.SessionScheme)
	}
	s := verifySession(t, got[0], k, now)
	if want := uint64(now.Add(-sessionBackdate).UnixMilli()); s.Session.IssuedMs != want {
		t.Errorf("issuedMs %d, want %d (backdated for skew)", s.Session.IssuedMs, want)
	}
	if want := uint64(now.Add(DefaultSessionLifetime).UnixMilli()); s.Session.ExpiresMs != want {
		t.Errorf("expiresMs %d, want %d", s.Session.ExpiresMs, want)
	}
	for _, h := range srv.chain {
		if h != "" {
			t.Fatalf("GET /v1/chain carried %q: it must stay anonymous (signing needs its chain id)", h)
		}
	}
}

func TestSessionRenewedBeforeExpiry(t *testing.T) {
	k, _ := GenerateKey()
	srv := &authServer{}
	hs := loopbackServer(t, srv)
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	c, _ := New(hs.URL, WithKey(k), WithSessionLifetime(10*time.Minute), withClock(clock))
	ctx := context.Background()
	read := func() {
		t.Helper()
		if _, err := c.Account(ctx, k.Address()); err != nil {
			t.Fatal(err)
		}
	}
	read()
	advance(7 * time.Minute) // 70%: still the same session
	read()
	advance(2 * time.Minute) // 90%: past the 80% mark, renewed
	read()
	got := srv.seen()
	if got[1] != got[0] {
		t.Fatal("session renewed before 80% of its lifetime")
	}
	if got[2] == got[0] {
		t.Fatal("session not renewed after 80% of its lifetime")
	}
	verifySession(t, got[2], k, clock())
}

func TestSessionRefusedResignsOnce(t *testing.T) {
	refused := `{"error":{"code":"session_expired","message":"expired"}}`
	tests := []struct {
		name      string
		refusals  int // the first n requests get 401 session_expired
		wantCalls int
		wantErr   bool
	}{
		{"refused once, fresh session accepted", 1, 2, false},
		{"refused twice, given up", 5, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, _ := GenerateKey()
			srv := &authServer{reply: func(n int, _ string) (int, string) {
				if n <= tt.refusals {
					return http.StatusUnauthorized, refused
				}
				return http.StatusOK, `{}`
			}}
			hs := loopbackServer(t, srv)
			// Each signature a second later: the same instant would sign
			// the very same session again (ECDSA here is deterministic).
			var mu sync.Mutex
			now := time.Unix(1_800_000_000, 0)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Second); return now }
			c, _ := New(hs.URL, WithKey(k), WithRetry(fastRetry()), withClock(clock))
			_, err := c.Account(context.Background(), k.Address())
			got := srv.seen()
			if len(got) != tt.wantCalls {
				t.Fatalf("%d requests, want %d", len(got), tt.wantCalls)
			}
			if got[0] == got[1] {
				t.Fatal("the retry carried the refused session again")
			}
			if tt.wantErr {
				if !errors.Is(err, ErrUnauthenticated) || !IsCode(err, "session_expired") {
					t.Fatalf("err = %v, want ErrUnauthenticated with code session_expired", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestUnauthenticatedNotRetried(t *testing.T) {
	k, _ := GenerateKey()
	srv := &authServer{reply: func(int, string) (int, string) {
		return http.StatusUnauthorized, `{"error":{"code":"unauthenticated","message":"a read session is needed"}}`
	}}
	hs := loopbackServer(t, srv)
	c, _ := New(hs.URL, WithKey(k), WithRetry(fastRetry()))
	if _, err := c.Account(context.Background(), k.Address()); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("err = %v, want ErrUnauthenticated", err)
	}
	if n := len(srv.seen()); n != 1 {
		t.Fatalf("%d requests: only session_* refusals are worth a fresh signature", n)
	}
}

func TestKeylessClientReadsAnonymously(t *testing.T) {
	srv := &authServer{}
	hs := loopbackServer(t, srv)
	c, _ := New(hs.URL)
	k, _ := GenerateKey()
	if _, err := c.Account(context.Background(), k.Address()); err != nil {
		t.Fatal(err)
	}
	if got := srv.seen(); len(got) != 1 || got[0] != "" {
		t.Fatalf("headers %q, want one anonymous request", got)
	}
}

func TestSubmissionsCarryNoSession(t *testing.T) {
	k, _ := GenerateKey()
	srv := &authServer{reply: func(_ int, _ string) (int, string) {
		return http.StatusOK, `{"hash":"0x0000000000000000000000000000000000000000000000000000000000000001","status":"pending"}`
	}}
	hs := loopbackServer(t, srv)
	c, _ := New(hs.URL, WithKey(k), WithChainID(7))
	if _, err := c.SubmitRaw(context.Background(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if got := srv.seen(); len(got) != 1 || got[0] != "" {
		t.Fatalf("headers %q: a signed transaction names its sender, no session", got)
	}
}

func TestAccessErrors(t *testing.T) {
	tests := []struct {
		status int
		code   string
		is     error
		isNot  []error
	}{
		{401, "unauthenticated", ErrUnauthenticated, []error{ErrForbidden, ErrNotAMember}},
		{401, "session_bad_signature", ErrUnauthenticated, []error{ErrForbidden, ErrNotAMember}},
		{403, "not_a_member", ErrNotAMember, []error{ErrForbidden, ErrUnauthenticated}},
		{403, "forbidden", ErrForbidden, []error{ErrNotAMember, ErrUnauthenticated}},
		{403, "wrong_chain", nil, []error{ErrForbidden, ErrNotAMember, ErrUnauthenticated}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			body := `{"error":{"code":"` + tt.code + `","message":"m"}}`
			srv := &authServer{reply: func(int, string) (int, string) { return tt.status, body }}
			hs := loopbackServer(t, srv)
			c, _ := New(hs.URL)
			_, err := c.Orgs(context.Background())
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != tt.code || ae.Status != tt.status {
				t.Fatalf("err = %v, want the node's %d %s", err, tt.status, tt.code)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			for _, e := range tt.isNot {
				if errors.Is(err, e) {
					t.Errorf("errors.Is(%v, %v) = true", err, e)
				}
			}
		})
	}
}

func TestSessionLifetimeOutOfRange(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Minute, 24 * time.Hour} {
		srv := &authServer{}
		hs := loopbackServer(t, srv)
		k, _ := GenerateKey()
		c, _ := New(hs.URL, WithKey(k), WithSessionLifetime(d))
		if _, err := c.Account(context.Background(), k.Address()); !errors.Is(err, ErrSessionLifetime) {
			t.Fatalf("lifetime %s: err = %v, want ErrSessionLifetime", d, err)
		}
		if n := len(srv.seen()); n != 0 {
			t.Fatalf("lifetime %s: %d requests sent with a session no node accepts", d, n)
		}
	}
	srv := &authServer{}
	hs := loopbackServer(t, srv)
	k, _ := GenerateKey()
	c, _ := New(hs.URL, WithKey(k), WithSessionLifetime(24*time.Hour-sessionBackdate))
	if _, err := c.Account(context.Background(), k.Address()); err != nil {
		t.Fatalf("the longest lifetime: %v", err)
	}
}

// TestEventStreamResignsRefusedSession: a stream refused for its session
// (a long subscription outlives it) reconnects once with a fresh one and
// delivers; refused again, it ends with the node's error.
func TestEventStreamResignsRefusedSession(t *testing.T) {
	var mu sync.Mutex
	var auths []string
	refusals := 1
	hs := loopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == api.PathChain {
			w.Write([]byte(`{"chainId":7}`))
			return
		}
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		refuse := len(auths) <= refusals
		mu.Unlock()
		if refuse {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"code":"session_expired","message":"expired"}}`))
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("id: 5:0\nevent: block\ndata: {}\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	k, _ := GenerateKey()
	var cmu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { cmu.Lock(); defer cmu.Unlock(); now = now.Add(time.Second); return now }
	c, _ := New(hs.URL, WithKey(k), WithRetry(fastRetry()), withClock(clock))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := 0
	for ev, err := range c.Events(ctx, EventFilter{}) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		if ev.Block != nil {
			got++
			break
		}
	}
	mu.Lock()
	if got != 1 || len(auths) != 2 || auths[0] == auths[1] || auths[1] == "" {
		t.Fatalf("delivered %d, sessions %q: want one block after one fresh session", got, auths)
	}
	auths, refusals = nil, 2
	mu.Unlock()
	for _, err := range c.Events(ctx, EventFilter{}) {
		if !errors.Is(err, ErrUnauthenticated) || !IsCode(err, "session_expired") {
			t.Fatalf("stream refused twice: %v, want the node's session_expired", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auths) != 2 {
		t.Fatalf("%d connections, want 2 (one fresh session, then give up)", len(auths))
	}
}
