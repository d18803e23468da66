package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"golang.org/x/sync/errgroup"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// worker is one sender: its key, its loan, its pre-signed payments and
// how many of them are in flight.
type worker struct {
	key    *client.Key
	loanID string
	hashes []common.Hash
	bodies [][]byte // JSON wire form of each payment

	mu       sync.Mutex
	cond     *sync.Cond
	inflight int
}

// presign signs and encodes every payment, spread over the CPUs.
func presign(ws []*worker, loan common.Address, chainID uint64, cfg Config) error {
	per := (cfg.Count + len(ws) - 1) / len(ws)
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, w := range ws {
		w.cond = sync.NewCond(&w.mu)
		w.hashes, w.bodies = make([]common.Hash, per), make([][]byte, per)
		op := client.CallOp(loan, "pay", map[string]any{"id": w.loanID, "amount": 1}).WithGas(cfg.GasLimit)
		g.Go(func() error {
			for i := range per {
				t, err := op.Sign(w.key, chainID, uint64(i), cfg.GasLimit)
				if err != nil {
					return fmt.Errorf("bench: sign: %w", err)
				}
				w.hashes[i], w.bodies[i] = t.Hash(), t.EncodeJSON()
			}
			return nil
		})
	}
	return g.Wait()
}

// tracker matches committed blocks to sent transactions.
type tracker struct {
	mu         sync.Mutex
	sent       map[common.Hash]sentTx
	latencies  []time.Duration
	lastCommit time.Time
	blocks     int
}

type sentTx struct {
	w     *worker
	start time.Time
}

func (tr *tracker) add(w *worker, hashes []common.Hash, now time.Time) {
	tr.mu.Lock()
	for _, h := range hashes {
		tr.sent[h] = sentTx{w: w, start: now}
	}
	tr.mu.Unlock()
	w.mu.Lock()
	w.inflight += len(hashes)
	w.mu.Unlock()
}

// forget removes a refused transaction.
func (tr *tracker) forget(h common.Hash) {
	tr.mu.Lock()
	s, ok := tr.sent[h]
	delete(tr.sent, h)
	tr.mu.Unlock()
	if ok {
		s.w.done(1)
	}
}

func (tr *tracker) committed(b *api.BlockEvent, now time.Time) {
	done := map[*worker]int{}
	tr.mu.Lock()
	tr.blocks++
	for _, h := range b.TxHashes {
		s, ok := tr.sent[h]
		if !ok {
			continue
		}
		delete(tr.sent, h)
		tr.latencies = append(tr.latencies, now.Sub(s.start))
		tr.lastCommit = now
		done[s.w]++
	}
	tr.mu.Unlock()
	for w, n := range done {
		w.done(n)
	}
}

func (tr *tracker) outstanding() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.sent)
}

func (w *worker) done(n int) {
	w.mu.Lock()
	w.inflight -= n
	w.mu.Unlock()
	w.cond.Broadcast()
}

// reserve blocks until n more transactions fit in the worker's window.
func (w *worker) reserve(ctx context.Context, n, window int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.inflight+n > window {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.cond.Wait()
	}
	return nil
}

// pacer spaces sends to a target rate across all workers.
type pacer struct {
	mu       sync.Mutex
	next     time.Time
	interval time.Duration // per transaction
}

func (p *pacer) wait(ctx context.Context, n int) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(time.Duration(n) * p.interval)
	p.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// drive runs the timed phase.
func drive(ctx context.Context, c *client.Client, ws []*worker, cfg Config) (*Result, error) {
	tr := &tracker{sent: make(map[common.Hash]sentTx, cfg.Count)}
	latest, err := c.LatestBlock(ctx)
	if err != nil {
		return nil, err
	}
	subCtx, stopSub := context.WithCancel(ctx)
	defer stopSub()
	subDone := make(chan error, 1)
	go func() {
		// Only blocks matter here; filtering on an address with no
		// contract keeps every payment's event off the wire.
		none := common.Address{}
		subDone <- c.Subscribe(subCtx, client.EventFilter{FromHeight: latest.Header.Header.Height + 1, Contract: &none},
			func(ev client.StreamEvent) error {
				if ev.Block != nil {
					tr.committed(ev.Block, time.Now())
				}
				return nil
			})
	}()
	// Let the stream connect before the clock starts.
	time.Sleep(100 * time.Millisecond)

	var p *pacer
	if cfg.Rate > 0 {
		p = &pacer{interval: time.Duration(float64(time.Second) / cfg.Rate)}
	}
	sendCtx, stopSend := context.WithTimeout(ctx, cfg.Duration)
	defer stopSend()
	// Wake workers blocked on their window when the phase ends.
	go func() {
		<-sendCtx.Done()
		for _, w := range ws {
			w.cond.Broadcast()
		}
	}()
	start, cpuStart := time.Now(), cpuTime()
	res := &Result{Mode: cfg.Mode, Workers: cfg.Workers, BatchSize: cfg.BatchSize, Rate: cfg.Rate}
	if cfg.Mode == ModeSingle {
		res.BatchSize = 1
	}
	counts := make([]sendCounts, len(ws))
	var g errgroup.Group
	for i, w := range ws {
		g.Go(func() error { return sendAll(sendCtx, c, tr, w, p, cfg, &counts[i]) })
	}
	sendErr := g.Wait()
	sendEnd := time.Now()
	for _, ct := range counts {
		res.Sent += ct.sent
		res.Refused += ct.refused
	}
	// Drain: wait for what was admitted to commit.
	drainBy := time.Now().Add(30*time.Second + 10*cfg.BlockInterval)
	for tr.outstanding() > 0 && time.Now().Before(drainBy) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	cpuEnd := cpuTime()
	stopSub()
	<-subDone
	tr.mu.Lock()
	defer tr.mu.Unlock()
	res.SendTime = sendEnd.Sub(start)
	res.Uncommitted = len(tr.sent)
	res.Blocks = tr.blocks
	res.summarise(tr.latencies, start, tr.lastCommit)
	if res.Committed > 0 && cpuStart > 0 {
		res.CPUTime = cpuEnd - cpuStart
		res.CPUPerTx = res.CPUTime / time.Duration(res.Committed)
	}
	if sendErr != nil && !errors.Is(sendErr, context.DeadlineExceeded) {
		return res, sendErr
	}
	return res, ctx.Err()
}

type sendCounts struct{ sent, refused int }

// sendAll sends the worker's payments in order until they run out or ctx
// ends. A transaction refused for a reason other than backpressure ends
// the worker: every later nonce would wait on it forever.
func sendAll(ctx context.Context, c *client.Client, tr *tracker, w *worker, p *pacer, cfg Config, ct *sendCounts) error {
	step := 1
	if cfg.Mode == ModeBatch {
		step = cfg.BatchSize
	}
	var body bytes.Buffer
	for lo := 0; lo < len(w.bodies); {
		hi := min(lo+step, len(w.bodies))
		n := hi - lo
		if err := w.reserve(ctx, n, cfg.Window); err != nil {
			return nil
		}
		if err := p.wait(ctx, n); err != nil {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		tr.add(w, w.hashes[lo:hi], time.Now())
		var refused int
		var err error
		if cfg.Mode == ModeSingle {
			_, err = c.SendRawTx(ctx, w.bodies[lo])
			if err != nil {
				refused = 1
			}
		} else {
			body.Reset()
			body.WriteByte('[')
			for i := lo; i < hi; i++ {
				if i > lo {
					body.WriteByte(',')
				}
				body.Write(w.bodies[i])
			}
			body.WriteByte(']')
			var items []api.BatchItem
			items, err = c.SendRawTxs(ctx, body.Bytes())
			if err != nil {
				refused = n
			}
			for i, it := range items {
				if it.Error != nil {
					// Resend from the first refused item on.
					err = fmt.Errorf("%s: %s", it.Error.Code, it.Error.Message)
					refused = n - i
					break
				}
			}
		}
		ct.sent += n - refused
		for i := hi - refused; i < hi; i++ {
			tr.forget(w.hashes[i])
		}
		if refused == 0 {
			lo = hi
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if !backpressure(err) {
			ct.refused += refused
			return fmt.Errorf("bench: worker %s: %w", w.key.Address().Hex(), err)
		}
		lo = hi - refused
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// backpressure reports a refusal that a later resend can fix.
func backpressure(err error) bool {
	for _, code := range []api.Code{api.CodeMempoolFull, api.CodeNonceTooHigh, api.CodeTooManyRequests, api.CodeUnavailable} {
		if client.IsCode(err, string(code)) || (err != nil && bytes.HasPrefix([]byte(err.Error()), []byte(string(code)+":"))) {
			return true
		}
	}
	return false
}
