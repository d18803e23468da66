package bench

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a long setup step is: a bar with the rate and
// the time left on a terminal, a plain line every progressEvery otherwise
// (a log file or a pipe), nothing when w is io.Discard. Safe for
// concurrent use.
type progress struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	w     io.Writer // plain lines; nil with a bar
	what  string
	total int
	done  int
	began time.Time
	last  time.Time
}

// progressEvery spaces the plain progress lines.
const progressEvery = 5 * time.Second

func newProgress(w io.Writer, what string, total int) *progress {
	p := &progress{what: what, total: total, began: time.Now()}
	p.last = p.began
	if w == io.Discard {
		return p
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription(what), progressbar.OptionShowCount(),
			progressbar.OptionShowIts(), progressbar.OptionSetItsString("tx"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish())
		return p
	}
	p.w = w
	return p
}

// add counts n more done.
func (p *progress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.bar != nil {
		_ = p.bar.Add(n)
		return
	}
	if now := time.Now(); p.w != nil && now.Sub(p.last) >= progressEvery {
		p.last = now
		fmt.Fprintf(p.w, "%s: %d of %d (%.0f/s)\n", p.what, p.done, p.total, float64(p.done)/now.Sub(p.began).Seconds())
	}
}

// finish ends the bar.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
