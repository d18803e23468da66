package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// loopbackServer is an httptest server bound to 127.0.0.1 only.
func loopbackServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func fastRetry() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}
}

func TestRetryOn503ThenSuccess(t *testing.T) {
	tests := []struct {
		name       string
		failures   int32
		status     int
		retryAfter string
		policy     RetryPolicy
		wantCalls  int32
		wantCode   string // "" = success
	}{
		{name: "503 twice then 200", failures: 2, status: 503, policy: fastRetry(), wantCalls: 3},
		{name: "429 with Retry-After", failures: 1, status: 429, retryAfter: "0", policy: fastRetry(), wantCalls: 2},
		{name: "attempts exhausted", failures: 10, status: 503, policy: fastRetry(), wantCalls: 4, wantCode: "mempool_full"},
		{name: "no retry on 400", failures: 10, status: 400, policy: fastRetry(), wantCalls: 1, wantCode: "mempool_full"},
		{name: "zero policy tries once", failures: 10, status: 503, wantCalls: 1, wantCode: "mempool_full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := loopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) <= tt.failures {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tt.status)
					w.Write([]byte(`{"error":{"code":"mempool_full","message":"try later"}}`))
					return
				}
				w.Write([]byte(`{"status":"ok","height":7}`))
			}))
			c, err := New(srv.URL, WithRetry(tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			h, err := c.Health(context.Background())
			if got := calls.Load(); got != tt.wantCalls {
				t.Fatalf("calls = %d, want %d", got, tt.wantCalls)
			}
			if tt.wantCode == "" {
				if err != nil || h.Height != 7 {
					t.Fatalf("Health = %+v, %v", h, err)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != tt.wantCode || ae.Status != tt.status {
				t.Fatalf("err = %v, want APIError %d %s", err, tt.status, tt.wantCode)
			}
		})
	}
}

func TestRetryStopsAtContextEnd(t *testing.T) {
	srv := loopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	c, _ := New(srv.URL, WithRetry(RetryPolicy{MaxAttempts: 10, BaseDelay: time.Second, MaxDelay: time.Minute}))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Health(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 503 || ae.Code != "service_unavailable" || ae.RetryAfter != 30*time.Second {
		t.Fatalf("err = %v (%#v), want the 503 with Retry-After 30s", err, ae)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("retry ignored the context")
	}
}

func TestRetryConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, _ := New("http://"+addr, WithRetry(fastRetry()))
	_, err = c.Health(context.Background())
	var ae *APIError
	if err == nil || errors.As(err, &ae) {
		t.Fatalf("err = %v, want a connection error", err)
	}
	if ok, _ := shouldRetry(err); !ok {
		t.Fatalf("connection refused should be retryable: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	tests := []struct {
		attempt  int
		hint     time.Duration
		min, max time.Duration
	}{
		{attempt: 1, min: 50 * time.Millisecond, max: 100 * time.Millisecond},
		{attempt: 3, min: 200 * time.Millisecond, max: 400 * time.Millisecond},
		{attempt: 9, min: 500 * time.Millisecond, max: time.Second},
		{attempt: 1, hint: 700 * time.Millisecond, min: 700 * time.Millisecond, max: 700 * time.Millisecond},
		{attempt: 1, hint: time.Hour, min: time.Second, max: time.Second},
	}
	for _, tt := range tests {
		for range 50 {
			if d := p.backoff(tt.attempt, tt.hint); d < tt.min || d > tt.max {
				t.Fatalf("backoff(%d, %v) = %v, want in [%v, %v]", tt.attempt, tt.hint, d, tt.min, tt.max)
			}
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"-1", 0},
		{"1.5", 0},
		{"soon", 0},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second},
		{now.Add(-10 * time.Second).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDecodeAPIError(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   APIError
	}{
		{"documented shape", 409, `{"error":{"code":"nonce_too_low","message":"nonce 1, want 2"}}`,
			APIError{Status: 409, Code: "nonce_too_low", Message: "nonce 1, want 2"}},
		{"plain text", 502, "bad gateway\n", APIError{Status: 502, Code: "bad_gateway", Message: "bad gateway"}},
		{"unknown status", 599, "", APIError{Status: 599, Code: "http_error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeAPIError(tt.status, http.Header{}, []byte(tt.body))
			if *got != tt.want {
				t.Fatalf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
	err := error(&APIError{Status: 409, Code: "nonce_too_low"})
	if !IsCode(err, "nonce_too_low") || !isNonceError(err) || IsNotFound(err) {
		t.Fatal("code helpers disagree")
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://x", "http://"} {
		if _, err := New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}
