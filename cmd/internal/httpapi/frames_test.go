package httpapi

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestFrameCache(t *testing.T) {
	errRead := errors.New("read failed")
	tests := []struct {
		name    string
		heights []uint64 // asked in order, each by 8 goroutines at once
		failAt  uint64   // render fails once for this height (0: never)
		renders int64
		kept    int
	}{
		{"one block, many streams", []uint64{5}, 0, 1, 1},
		{"bounded", []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0, 10, framesKept},
		{"error not kept", []uint64{3, 3}, 3, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c frameCache
			var renders atomic.Int64
			failed := false
			var failMu sync.Mutex
			render := func(h uint64) (*blockFrames, error) {
				renders.Add(1)
				failMu.Lock()
				defer failMu.Unlock()
				if h == tt.failAt && !failed {
					failed = true
					return nil, errRead
				}
				return &blockFrames{block: []byte{byte(h)}}, nil
			}
			sawErr := false
			for _, h := range tt.heights {
				var wg sync.WaitGroup
				var mu sync.Mutex
				for range 8 {
					wg.Go(func() {
						bf, err := c.get(h, render)
						mu.Lock()
						defer mu.Unlock()
						switch {
						case errors.Is(err, errRead):
							sawErr = true
						case err != nil:
							t.Errorf("height %d: %v", h, err)
						case bf.block[0] != byte(h):
							t.Errorf("height %d: frames of %d", h, bf.block[0])
						}
					})
				}
				wg.Wait()
			}
			if got := renders.Load(); got != tt.renders {
				t.Fatalf("%d renders, want %d", got, tt.renders)
			}
			if len(c.entries) != tt.kept || len(c.order) != tt.kept {
				t.Fatalf("%d entries kept, want %d", len(c.entries), tt.kept)
			}
			if sawErr != (tt.failAt != 0) {
				t.Fatalf("error seen %v", sawErr)
			}
		})
	}
}
