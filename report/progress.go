package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

// progressEvery is how often a non-TTY log gets a progress line: often
// enough to see a run is alive, rarely enough not to flood a CI log.
const progressEvery = 10 * time.Second

// ProgressPrinter shows live progress. On a terminal it rewrites one line
// in place; in a log (CI) it prints a full line at the first update, at
// every phase change, and then at most every 10 s of run time. It is safe
// for concurrent use.
type ProgressPrinter struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	printed bool          // something was written
	open    bool          // a TTY line is waiting for its newline
	last    time.Duration // Elapsed of the last line printed (non-TTY)
	phase   string
}

// NewProgressPrinter returns a printer writing to w; tty selects the
// refreshing single line.
func NewProgressPrinter(w io.Writer, tty bool) *ProgressPrinter {
	return &ProgressPrinter{w: w, tty: tty}
}

// Update shows a progress snapshot.
func (pp *ProgressPrinter) Update(p result.Progress) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	line := ProgressLine(p)
	if pp.tty {
		// \r returns to the line start, ESC[K clears what a longer previous
		// line left behind.
		fmt.Fprintf(pp.w, "\r%s\x1b[K", line)
		pp.printed, pp.open = true, true
		return
	}
	if pp.printed && p.Phase == pp.phase && p.Elapsed-pp.last < progressEvery {
		return
	}
	fmt.Fprintln(pp.w, line)
	pp.printed, pp.last, pp.phase = true, p.Elapsed, p.Phase
}

// Done ends the progress display: on a TTY it finishes the refreshing line
// so that the next output starts on a fresh one.
func (pp *ProgressPrinter) Done() {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.open {
		fmt.Fprintln(pp.w)
		pp.open = false
	}
}

// ProgressLine formats a snapshot:
// "[measure 12s/60s] users 50 | reqs 1234 | fails 0 | 45.2 req/s | p95 55ms".
func ProgressLine(p result.Progress) string {
	var b strings.Builder
	phase := p.Phase
	if phase == "" {
		phase = "run"
	}
	fmt.Fprintf(&b, "[%s %s/%s] users %d | reqs %d | fails %d | %s req/s | p95 %sms",
		phase, secs(p.Elapsed), secs(p.Total), p.Users, p.Requests, p.Failures,
		fmtRPS(p.RPS), progressMS(p.P95MS))
	if p.Dropped > 0 {
		fmt.Fprintf(&b, " | dropped %d", p.Dropped)
	}
	return b.String()
}

// secs renders a duration as whole seconds, "12s": a progress line that
// changes format at a minute is harder to scan.
func secs(d time.Duration) string {
	return fmt.Sprintf("%ds", int64(d.Round(time.Second)/time.Second))
}

// progressMS renders a latency compactly: one decimal below 10 ms, whole
// milliseconds above.
func progressMS(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}
