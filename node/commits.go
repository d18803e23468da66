package node

import "sync"

// commits wakes everyone waiting for the next block: each NextCommit
// channel is closed once, by the next notify.
type commits struct {
	mu sync.Mutex
	ch chan struct{}
}

func newCommits() *commits { return &commits{ch: make(chan struct{})} }

// NextCommit implements httpapi.Commits.
func (c *commits) NextCommit() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ch
}

func (c *commits) notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.ch)
	c.ch = make(chan struct{})
}
