package memo

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestComputesOncePerKeyUnderConcurrency(t *testing.T) {
	var calls atomic.Int32
	c := New(4, func(k int) (int, error) { calls.Add(1); return k * 10, nil })
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := c.Get(7); err != nil || v != 70 {
				t.Errorf("Get(7) = %d, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("computed %d times, want once", n)
	}
}

func TestKeepsOnlyTheLastKeys(t *testing.T) {
	var calls atomic.Int32
	c := New(2, func(k int) (int, error) { calls.Add(1); return k, nil })
	for _, k := range []int{1, 2, 3} {
		c.Get(k)
	}
	if c.Len() != 2 {
		t.Fatalf("kept %d keys, want 2", c.Len())
	}
	c.Get(3) // kept: no computation
	c.Get(1) // evicted: computed again
	if n := calls.Load(); n != 4 {
		t.Fatalf("computed %d times, want 4", n)
	}
}

func TestErrorsAreNotKept(t *testing.T) {
	fail := errors.New("transient")
	var calls atomic.Int32
	c := New(4, func(k int) (int, error) {
		if calls.Add(1) == 1 {
			return 0, fail
		}
		return k, nil
	})
	if _, err := c.Get(5); !errors.Is(err, fail) {
		t.Fatalf("first Get: %v, want the compute error", err)
	}
	if c.Len() != 0 {
		t.Fatalf("a failed key was kept")
	}
	if v, err := c.Get(5); err != nil || v != 5 {
		t.Fatalf("second Get = %d, %v; want a fresh computation", v, err)
	}
}
