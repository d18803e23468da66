package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/meshledger/meshledger/sdk/client"
)

// heightWatch follows a node's committed height for the workers booking
// loans. A worker learns how far its creates got by reading its account,
// a request the node answers with a state proof; read every 20 ms by 32
// workers, those reads took about 15% of the process's CPU in a profile of
// a 20,000-loan booking, while the nonce changes only when a block
// commits (about once a second at the node's rate of creates). One
// goroutine instead polls the anonymous health endpoint, which carries the
// height and no proof, and a worker reads its account once per new block.
type heightWatch struct {
	mu     sync.Mutex
	height uint64
	err    error
	// moved is closed, and replaced, when the height moves or the watch
	// fails.
	moved chan struct{}
}

// watchHeight starts following c's node until ctx is done.
func watchHeight(ctx context.Context, c *client.Client) *heightWatch {
	hw := &heightWatch{moved: make(chan struct{})}
	go hw.follow(ctx, c)
	return hw
}

// heightPoll is how often the watch asks the node's height.
const heightPoll = 10 * time.Millisecond

func (hw *heightWatch) follow(ctx context.Context, c *client.Client) {
	for {
		h, err := c.Health(ctx)
		if ctx.Err() != nil {
			return
		}
		hw.mu.Lock()
		switch {
		case err != nil:
			hw.err = fmt.Errorf("bench: following the node's height: %w", err)
		case h.Height != hw.height:
			hw.height = h.Height
		default:
			hw.mu.Unlock()
			if !sleepCtx(ctx, heightPoll) {
				return
			}
			continue
		}
		close(hw.moved)
		hw.moved = make(chan struct{})
		failed := hw.err != nil
		hw.mu.Unlock()
		if failed || !sleepCtx(ctx, heightPoll) {
			return
		}
	}
}

// after waits until the height is above seen, or at most wait (a
// transaction the node dropped commits no block, and the caller must
// still look), and returns the height then. It fails once the watch has
// failed or ctx is done.
func (hw *heightWatch) after(ctx context.Context, seen uint64, wait time.Duration) (uint64, error) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		hw.mu.Lock()
		h, err, moved := hw.height, hw.err, hw.moved
		hw.mu.Unlock()
		if err != nil {
			return h, err
		}
		if h > seen {
			return h, nil
		}
		select {
		case <-moved:
		case <-t.C:
			return h, nil
		case <-ctx.Done():
			return h, ctx.Err()
		}
	}
}
