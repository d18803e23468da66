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

// worker is one sender: its key, its loans, its pre-signed payments and
// how many of them are in flight.
type worker struct {
	key *client.Key
	// c is the client of the node the worker sends to, and node its index
	// among the run's nodes: its payments count as committed when that
	// node commits them.
	c    *client.Client
	node int
	// loans are paid in turn, payment i on loans[i%len(loans)], unless
	// draws is set: then payment i pays loans[draws[i]] (a loan book).
	loans []string
	draws []int
	// nonce is the first payment's: the key's setup transactions (the pool
	// scenario's boarding) come before.
	nonce  uint64
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
		g.Go(func() error {
			for i := range per {
				t, err := payOp(loan, w.paid(i), cfg.GasLimit).Sign(w.key, chainID, w.nonce+uint64(i), cfg.GasLimit)
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

// payOp is a payment of paymentAmount on loan id.
func payOp(loan common.Address, id string, gas uint64) client.Op {
	return client.CallOp(loan, "pay", map[string]any{"id": id, "amount": paymentAmount}).WithGas(gas)
}

// paid is the loan payment i pays.
func (w *worker) paid(i int) string {
	if w.draws != nil {
		return w.loans[w.draws[i]]
	}
	return w.loans[i%len(w.loans)]
}

// paidLoans are the distinct loans the worker's payments pay, in the
// order first paid: what the read-back reads.
func (w *worker) paidLoans() []string {
	if w.draws == nil {
		return w.loans
	}
	seen := make(map[int]bool, len(w.draws))
	var out []string
	for _, j := range w.draws {
		if !seen[j] {
			seen[j] = true
			out = append(out, w.loans[j])
		}
	}
	return out
}

// paymentAmount is every payment's, in cents: far below any loan's
// interest due, so a run never pays a loan off or moves its balance, and
// the recorded total is exactly the committed count times this.
const paymentAmount = 1

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
	if d := time.Until(at); d > 0 && !sleepCtx(ctx, d) {
		return ctx.Err()
	}
	return nil
}

// drive runs the timed phase, then drains and reconciles. cs are the
// clients of the run's nodes, in the order of worker.node.
func drive(ctx context.Context, cs []*client.Client, ws []*worker, cfg Config) (*Result, error) {
	tr := newTracker(cfg.Count, len(cs))
	subCtx, stopSub := context.WithCancel(ctx)
	defer stopSub()
	subDone := make(chan error, len(cs))
	for k, c := range cs {
		latest, err := c.LatestBlock(ctx)
		if err != nil {
			return nil, err
		}
		go func() {
			// Only blocks matter here; filtering on an address with no
			// contract keeps every payment's event off the wire.
			none := common.Address{}
			for ev, err := range c.Events(subCtx, client.EventFilter{FromHeight: latest.Header.Header.Height + 1, Contract: &none}) {
				if err != nil {
					subDone <- err
					return
				}
				if ev.Block != nil {
					tr.committed(ev.Block, k, time.Now())
				}
			}
			subDone <- nil
		}()
	}
	// Let the streams connect before the clock starts.
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
		g.Go(func() error { return sendAll(sendCtx, tr, w, p, cfg, &counts[i]) })
	}
	sendErr := g.Wait()
	sendEnd := time.Now()
	for _, ct := range counts {
		res.Refused += ct.refused
	}
	drain(ctx, tr, cfg, len(cs) > 1)
	cpuEnd := cpuTime()
	// The read-back asks the first node: let it reach the blocks the
	// others have shown.
	awaitFirstNode(ctx, tr)
	stopSub()
	for range cs {
		<-subDone
	}
	// The streams are closed: the tracker no longer changes behind us.
	rec := reconcile(ctx, tr)
	res.SendTime = sendEnd.Sub(start)
	res.Blocks = tr.blocks
	if len(cs) > 1 {
		res.PerNode = tr.perNode
	}
	res.summarise(tr.latencies, start, tr.lastCommit)
	res.Sent = len(tr.admitted)
	res.Committed += len(rec.committed)
	res.committedHashes = append(tr.done, rec.committed...)
	res.Dropped = rec.dropped
	res.Stuck = len(rec.stuck)
	res.StuckSample = rec.stuck[:min(len(rec.stuck), stuckSample)]
	if rec.err != nil {
		fmt.Fprintf(cfg.Log, "reconcile: %v\n", rec.err)
	}
	if res.Committed > 0 && cpuStart > 0 {
		res.CPUTime = cpuEnd - cpuStart
		res.CPUPerTx = res.CPUTime / time.Duration(res.Committed)
	}
	if sendErr != nil && !errors.Is(sendErr, context.DeadlineExceeded) {
		return res, sendErr
	}
	return res, ctx.Err()
}

// drain waits for what was sent to commit: until nothing is outstanding,
// cfg.DrainTimeout passes, or none of it has committed for drainStall, or
// networkDrainStall on a network of several nodes (what is left then is
// stuck, typically behind a refused nonce).
func drain(ctx context.Context, tr *tracker, cfg Config, network bool) {
	begin := time.Now()
	by := begin.Add(cfg.DrainTimeout)
	stall := drainStall + 20*cfg.BlockInterval
	if network {
		stall = networkDrainStall
	}
	for tr.outstanding() > 0 && ctx.Err() == nil {
		now := time.Now()
		last := tr.lastProgress()
		if last.Before(begin) {
			last = begin
		}
		if now.After(by) || now.Sub(last) > stall {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// awaitFirstNode waits, at most firstNodeLag, until the first node has
// shown every block another node has.
func awaitFirstNode(ctx context.Context, tr *tracker) {
	by := time.Now().Add(firstNodeLag)
	for !tr.firstNodeCaughtUp() && time.Now().Before(by) && sleepCtx(ctx, 10*time.Millisecond) {
	}
}

// firstNodeLag bounds awaitFirstNode: validators commit a block within
// moments of each other.
const firstNodeLag = 10 * time.Second

// drainStall ends the drain when nothing sent has committed for this long
// (plus 20 block intervals).
const drainStall = 2 * time.Second

// networkDrainStall is drainStall on a BFT network, where a height can
// take several rounds: a loaded 2-core machine running four validators
// went more than 2 s between commits with payments pending, which then
// committed after the drain had given up on them.
const networkDrainStall = 10 * time.Second

// stuckSample bounds the stuck hashes listed in a Result.
const stuckSample = 10

type sendCounts struct{ refused int }

// sendAll sends the worker's payments in nonce order until they run out
// or ctx ends. Each item's outcome is taken from the node's answer for
// that item: admitted items are tracked until they commit; items refused
// for backpressure are sent again first in the next request; a refusal
// for another reason ends the worker, since every later nonce would wait
// on it forever. A request whose answer never came is sent again (the
// node answers a transaction it already holds with its status).
func sendAll(ctx context.Context, tr *tracker, w *worker, p *pacer, cfg Config, ct *sendCounts) error {
	step := 1
	if cfg.Mode == ModeBatch {
		step = cfg.BatchSize
	}
	var body bytes.Buffer
	var retry []int // indexes to send again, in nonce order
	next := 0
	var backoff time.Duration
	hashes := make([]common.Hash, 0, step)
	for len(retry) > 0 || next < len(w.bodies) {
		// Resends alone first: they fill the nonce gap the admitted
		// items after them wait on, and new nonces sent meanwhile would
		// only wait behind it too, taking the mempool's room for
		// transactions that cannot run yet.
		batch, resend := retry, len(retry) > 0
		retry = nil
		for !resend && len(batch) < step && next < len(w.bodies) {
			batch = append(batch, next)
			next++
		}
		hashes = hashes[:0]
		for _, i := range batch {
			hashes = append(hashes, w.hashes[i])
		}
		if err := w.reserve(ctx, tr.untracked(hashes), cfg.Window); err != nil {
			return nil
		}
		if err := p.wait(ctx, len(batch)); err != nil || ctx.Err() != nil {
			return nil
		}
		tr.add(w, hashes, time.Now())
		outcomes := send(ctx, w, batch, &body, cfg.Mode)
		var fatal error
		for k, o := range outcomes {
			i := batch[k]
			switch {
			case o.unknown:
				retry = append(retry, i) // still tracked
			case o.err == nil:
				tr.admit(w.hashes[i])
			case backpressure(o.err):
				tr.forget(w.hashes[i])
				retry = append(retry, i)
			default:
				tr.forget(w.hashes[i])
				ct.refused++
				if fatal == nil {
					fatal = fmt.Errorf("bench: worker %s: nonce %d: %w", w.key.Address().Hex(), i, o.err)
				}
			}
		}
		if fatal != nil {
			return fatal
		}
		if ctx.Err() != nil {
			return nil
		}
		if len(retry) == 0 {
			backoff = 0
			continue
		}
		// Back off while the node keeps refusing: every refused item
		// still costs it a signature check, CPU its block producer
		// needs (200 workers resending every 20 ms kept a 2-core node
		// from committing for seconds).
		backoff = min(max(2*backoff, minBackoff), maxBackoff)
		if !sleepCtx(ctx, backoff) {
			return nil
		}
	}
	return nil
}

// Resends after a refusal wait minBackoff, doubling while refusals go
// on, up to maxBackoff.
const (
	minBackoff = 20 * time.Millisecond
	maxBackoff = time.Second
)

// sleepCtx sleeps for d unless ctx ends first; it reports whether it slept.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// outcome is the node's answer for one transaction: admitted (err nil),
// refused (err), or unknown (no answer came).
type outcome struct {
	err     error
	unknown bool
}

// send sends the transactions at indexes batch and returns one outcome
// per transaction.
func send(ctx context.Context, w *worker, batch []int, body *bytes.Buffer, mode Mode) []outcome {
	out := make([]outcome, len(batch))
	var items []api.BatchItem
	var err error
	if mode == ModeSingle {
		items, err = w.c.SubmitRaw(ctx, w.bodies[batch[0]])
	} else {
		body.Reset()
		body.WriteByte('[')
		for k, i := range batch {
			if k > 0 {
				body.WriteByte(',')
			}
			body.Write(w.bodies[i])
		}
		body.WriteByte(']')
		items, err = w.c.SubmitRaw(ctx, body.Bytes())
	}
	if err != nil {
		// The node refused the request as a whole (nothing admitted),
		// or its answer never came (anything may have been admitted).
		var ae *client.APIError
		for k := range out {
			if errors.As(err, &ae) {
				out[k].err = err
			} else {
				out[k].unknown = true
			}
		}
		return out
	}
	if len(items) != len(batch) {
		for k := range out {
			out[k].unknown = true
		}
		return out
	}
	for k, it := range items {
		if it.Error != nil {
			out[k].err = &client.APIError{Status: it.HTTPStatus, Code: string(it.Error.Code), Message: it.Error.Message}
		}
	}
	return out
}

// backpressure reports a refusal that a later resend can fix.
func backpressure(err error) bool {
	for _, code := range []api.Code{api.CodeMempoolFull, api.CodeNonceTooHigh, api.CodeTooManyRequests, api.CodeUnavailable} {
		if client.IsCode(err, string(code)) {
			return true
		}
	}
	return false
}
