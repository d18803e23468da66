package main

// The audit's block source: the stream read ahead of the replay, the
// block-signer check, the counting of what was verified and the progress
// shown (cmd_audit.go runs them).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/ledger/audit"
	"github.com/meshledger/meshledger/sdk/api"
)

// auditSource hands the export's blocks to Replay, counting what was
// verified: a block counts once the next is asked for, as Replay commits
// a block before it asks for the next.
type auditSource struct {
	src     ledger.BlockSource
	report  *auditProgress
	signers []common.Address // nil: any (a BFT chain's headers are unsigned)

	blocks, txs uint64
	pending     int
	handedOut   bool
}

func (s *auditSource) Next(ctx context.Context) (*ledger.SourceBlock, error) {
	if s.handedOut {
		s.blocks++
		s.txs += uint64(s.pending)
		s.handedOut = false
		s.report.add(1, s.pending)
	}
	sb, err := s.src.Next(ctx)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, err
	}
	if h := sb.Header.Header; s.signers != nil && !slices.Contains(s.signers, h.Proposer) {
		// The replay checks that the signature is the proposer's; which
		// proposers may sign is the auditor's to say.
		return nil, &audit.Mismatch{Height: h.Height, TxIndex: -1, What: audit.MismatchSignature,
			Expected: fmt.Sprintf("a block signed by %s", joinAddrs(s.signers)), Got: "a block signed by " + h.Proposer.Hex()}
	}
	s.handedOut, s.pending = true, len(sb.Txs)
	return sb, nil
}

func joinAddrs(as []common.Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.Hex()
	}
	return strings.Join(s, " or ")
}

// blockSigners is who may sign a solo chain's blocks: the --trust
// addresses, else the address the node advertises, trusted on first use
// and said so on stderr. A node that rewrote its history under a new key
// and advertises that key passes the latter; pin the signer with --trust,
// or resume from a checkpoint, to catch it.
func (r *auditRun) blockSigners(ch *api.Chain) ([]common.Address, error) {
	return r.a.signersOrNode(ch.NodeAddress)
}

// auditProgress shows progress on stderr: a bar with blocks/s, tx/s and
// ETA on a terminal, plain lines every interval otherwise.
type auditProgress struct {
	bar         *progressbar.ProgressBar
	w           io.Writer // plain lines; nil with a bar or quiet
	every       time.Duration
	total       uint64
	began, last time.Time
	blocks, txs uint64
}

func (r *auditRun) progress(total uint64) *auditProgress {
	p := &auditProgress{every: r.progressEvery, total: total, began: time.Now()}
	p.last = p.began
	if r.quiet {
		return p
	}
	if f, ok := r.a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(int64(total), progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription("audit"), progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("blocks"), progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish())
		return p
	}
	p.w = r.a.stderr
	return p
}

func (p *auditProgress) add(blocks, txs int) {
	p.blocks += uint64(blocks)
	p.txs += uint64(txs)
	now := time.Now()
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("audit (%.0f tx/s)", p.rate(p.txs, now)))
		_ = p.bar.Add(blocks)
		return
	}
	if p.w != nil && now.Sub(p.last) >= p.every {
		p.last = now
		p.line(now)
	}
}

func (p *auditProgress) rate(n uint64, now time.Time) float64 {
	if s := now.Sub(p.began).Seconds(); s > 0 {
		return float64(n) / s
	}
	return 0
}

func (p *auditProgress) line(now time.Time) {
	eta := "?"
	if br := p.rate(p.blocks, now); br > 0 && p.total >= p.blocks {
		eta = time.Duration(float64(p.total-p.blocks) / br * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "audit: %d/%d blocks  %d txs  %.0f blocks/s  %.0f tx/s  ETA %s\n",
		p.blocks, p.total, p.txs, p.rate(p.blocks, now), p.rate(p.txs, now), eta)
}

func (p *auditProgress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	if p.w != nil {
		p.line(time.Now())
	}
}

// auditReadAhead is how many decoded blocks the audit holds ahead of the
// replay: enough to keep the stream and its decoding off the replay's
// path, few enough that memory stays a handful of blocks.
const auditReadAhead = 4

// aheadSource reads a BlockSource in its own goroutine, up to n blocks
// ahead of its reader: reading and decoding the next blocks (and the node
// sending them) overlap the execution of this one.
type aheadSource struct {
	ch     chan aheadItem
	cancel context.CancelFunc
}

type aheadItem struct {
	sb  *ledger.SourceBlock
	err error
}

func readAhead(ctx context.Context, src ledger.BlockSource, n int) *aheadSource {
	ctx, cancel := context.WithCancel(ctx)
	a := &aheadSource{ch: make(chan aheadItem, n), cancel: cancel}
	go func() {
		for {
			sb, err := src.Next(ctx)
			select {
			case a.ch <- aheadItem{sb, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return // the error (io.EOF at the end) is the last item
			}
		}
	}()
	return a
}

func (a *aheadSource) Next(ctx context.Context) (*ledger.SourceBlock, error) {
	select {
	case it := <-a.ch:
		return it.sb, it.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// stop ends the reading goroutine: it returns at its next send, or when
// the caller closes the stream under a read in flight.
func (a *aheadSource) stop() {
	a.cancel()
}
