package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"syscall"
	"time"
)

// RetryPolicy bounds how the client retries a request the node asked it to
// repeat (429, 503) or that never reached the node (connection refused).
// The zero value disables retries.
type RetryPolicy struct {
	// MaxAttempts is the total number of tries, including the first.
	MaxAttempts int
	// BaseDelay is the first backoff; each retry doubles it.
	BaseDelay time.Duration
	// MaxDelay caps one backoff, and a server's Retry-After hint.
	MaxDelay time.Duration
}

// DefaultRetryPolicy retries up to 6 times over roughly 6 seconds.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 6, BaseDelay: 100 * time.Millisecond, MaxDelay: 5 * time.Second}
}

// backoff is the wait before retry number attempt (1-based). It uses "full
// jitter" (uniform in [d/2, d]) so that many clients refused together do not
// come back together. A server hint wins over the computed delay when it is
// longer, because the server knows its own load better than the client.
func (p RetryPolicy) backoff(attempt int, hint time.Duration) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
	}
	if d > 0 {
		d = d/2 + rand.N(d/2+1)
	}
	if hint > d {
		d = hint
		if p.MaxDelay > 0 && d > p.MaxDelay {
			d = p.MaxDelay
		}
	}
	return d
}

// shouldRetry reports whether err is worth another attempt: the node said
// "later", or the connection was refused before anything was sent. Errors
// after a request may have been processed are not retried here; signed
// transactions are safe to resend anyway, because their nonce makes them
// idempotent, and SubmitAndWait handles that case itself.
func shouldRetry(err error) (bool, time.Duration) {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Retryable(), ae.RetryAfter
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true, 0
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true, 0
	}
	return false, 0
}

// withRetry runs fn until it succeeds, fails for good, the attempts run
// out, or ctx ends. The last error is returned.
func withRetry(ctx context.Context, p RetryPolicy, fn func() error) error {
	attempts := max(p.MaxAttempts, 1)
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(); err == nil {
			return nil
		}
		retry, hint := shouldRetry(err)
		if !retry || attempt >= attempts || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(p.backoff(attempt, hint))
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}
