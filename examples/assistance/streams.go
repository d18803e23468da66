package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/meshledger/meshledger/sdk/api"
	"github.com/meshledger/meshledger/sdk/client"
)

// lockedWriter serialises the lines of the story and of the stream
// goroutines, so that lines interleave but never mix.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}

// streams follows one event stream per party, each read with the party's
// own key, so each prints only what the node lets that party receive.
type streams struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever an event arrives
	received map[string]int
	expected map[string]int
	seen     map[string][]string
	err      error
}

// eventFields are the fields printed of each event.
var eventFields = map[string][]string{
	"LoanBoarded":        {"id", "balance", "installment", "next_due"},
	"PaymentRecorded":    {"id", "amount", "balance", "next_due"},
	"PaymentMissed":      {"id", "due", "days_past_due", "amount_due"},
	"LoanDelinquent":     {"id", "from", "to", "days_past_due"},
	"LoanCured":          {"id", "from", "to"},
	"AssistanceOffered":  {"id", "arrears", "repayment_plan.installment"},
	"AssistanceAccepted": {"id", "plan.kind", "plan.installment"},
	"PlanCompleted":      {"id", "plan.kind"},
	"PlanDefaulted":      {"id", "plan.kind"},
	"PoolCreated":        {"id"},
	"DisclosureUpdated":  {"pool", "loans", "balance", "buckets.30.count", "in_assistance.count", "cures"},
	"PortfolioUpdated":   {"loans", "balance", "delinquent", "delinquency_rate_bps", "cures"},
}

// openStreams starts following the parties' streams from height from.
func (s *story) openStreams(ctx context.Context, from uint64, parties ...*party) {
	sctx, cancel := context.WithCancel(ctx)
	st := &streams{cancel: cancel, changed: make(chan struct{}),
		received: map[string]int{}, expected: map[string]int{}, seen: map[string][]string{}}
	s.streams = st
	for _, p := range parties {
		st.wg.Add(1)
		go func() {
			defer st.wg.Done()
			for ev, err := range p.c.Events(sctx, client.EventFilter{FromHeight: from}) {
				if err != nil {
					if sctx.Err() == nil {
						st.fail(fmt.Errorf("%s's event stream: %w", p.name, err))
					}
					return
				}
				if ev.Event != nil {
					s.onEvent(p, ev.Event)
				}
			}
		}()
	}
}

func (st *streams) fail(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err == nil {
		st.err = err
	}
	close(st.changed)
	st.changed = make(chan struct{})
}

// onEvent prints an event as party received it and keeps its figures.
func (s *story) onEvent(p *party, e *api.ContractEvent) {
	fs, err := pick(e.Data, eventFields[e.Name]...)
	if err != nil {
		s.streams.fail(fmt.Errorf("%s received %s: %w", p.name, e.Name, err))
		return
	}
	s.out.printf("    %-13s | %-18s %s\n", "["+p.name+"]", e.Name, format(fs))
	s.figs.add(shown{reader: p, what: p.name + "'s " + e.Name + " event", fields: fs,
		tx: e.TxHash, contract: e.Contract, event: e.Name, data: e.Data})
	st := s.streams
	st.mu.Lock()
	defer st.mu.Unlock()
	st.received[p.name]++
	st.seen[p.name] = append(st.seen[p.name], e.Name)
	close(st.changed)
	st.changed = make(chan struct{})
}

// expect counts the events of a committed receipt each streaming party is
// in the audience of: they are what its stream must deliver.
func (s *story) expect(r *api.Receipt) {
	st := s.streams
	if st == nil || r == nil {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, p := range s.streamed {
		for _, e := range r.Events {
			for _, a := range e.Audience {
				if strings.EqualFold(a, p.key.Address().Hex()) {
					st.expected[p.name]++
					break
				}
			}
		}
	}
}

// catchUp waits until every stream delivered the events expected so far,
// so that the story goes on only after each party printed what it
// learned.
func (s *story) catchUp(ctx context.Context) error {
	st := s.streams
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		st.mu.Lock()
		done, err, ch := true, st.err, st.changed
		for _, p := range s.streamed {
			if st.received[p.name] < st.expected[p.name] {
				done = false
			}
		}
		st.mu.Unlock()
		switch {
		case err != nil:
			return err
		case done:
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("event streams did not deliver the expected events within 30s")
		}
	}
}

// closeStreams stops the streams and returns what each party saw.
func (s *story) closeStreams() map[string][]string {
	st := s.streams
	if st == nil {
		return nil
	}
	st.cancel()
	st.wg.Wait()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.seen
}
