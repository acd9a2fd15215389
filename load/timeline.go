package load

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

// interval collects one second of the measured run.
type interval struct {
	h     *atomicHist
	reqs  atomic.Int64
	fails atomic.Int64
}

// timeline keeps per-second summaries. Recording goes to the current
// interval through an atomic pointer; the ticker swaps in a clean interval
// each second and summarises the old one. Three intervals rotate, so a
// recorder that loaded the pointer just before a swap still writes into a
// buffer that is not reset until two seconds later.
type timeline struct {
	ring [3]*interval
	cur  atomic.Pointer[interval]
	idx  int

	mu  sync.Mutex
	pts []result.TimelinePt
}

func newTimeline() *timeline {
	t := &timeline{}
	for i := range t.ring {
		t.ring[i] = &interval{h: newAtomicHist()}
	}
	t.cur.Store(t.ring[0])
	return t
}

func (t *timeline) record(us int64, timed, failed bool) {
	iv := t.cur.Load()
	iv.reqs.Add(1)
	if timed {
		iv.h.record(us)
	}
	if failed {
		iv.fails.Add(1)
	}
}

// rotate closes the current second and returns its summary.
func (t *timeline) rotate(sec int, users int, elapsed time.Duration) result.TimelinePt {
	old := t.ring[t.idx]
	t.idx = (t.idx + 1) % len(t.ring)
	next := t.ring[t.idx]
	next.h.reset()
	next.reqs.Store(0)
	next.fails.Store(0)
	t.cur.Store(next)
	h := old.h.snapshot()
	pt := result.TimelinePt{T: sec, Users: users, Failures: old.fails.Load()}
	if secs := elapsed.Seconds(); secs > 0 {
		pt.RPS = result.Round3(float64(old.reqs.Load()) / secs)
	}
	if h.TotalCount() > 0 {
		pt.P50MS = result.Round3(float64(h.ValueAtQuantile(50)) / 1000)
		pt.P95MS = result.Round3(float64(h.ValueAtQuantile(95)) / 1000)
		pt.P99MS = result.Round3(float64(h.ValueAtQuantile(99)) / 1000)
	}
	return pt
}

func (t *timeline) add(pt result.TimelinePt) {
	t.mu.Lock()
	t.pts = append(t.pts, pt)
	t.mu.Unlock()
}

// partialEnd is the number OnSecond gives the measured end when the
// measured time does not end on a whole second (ceil of its seconds), or 0
// when the last tick already falls on the end. Without that reading, the
// app's CPU would be read up to the last whole second while the requests
// counted run to the end: a 2.5 s round would show 20 % too little CPU per
// request.
func (e *engine) partialEnd() int {
	d := e.mEnd.Sub(e.mStart)
	if e.opts.OnSecond == nil || d <= 0 || d%time.Second == 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// markEnd waits for the measured end and calls OnSecond(sec) there; false
// when the run was interrupted before it (the readings then end at the last
// whole second, and the requests counted with them too).
func (e *engine) markEnd(ctx context.Context, sec int) bool {
	tm := time.NewTimer(time.Until(e.mEnd))
	defer tm.Stop()
	select {
	case <-ctx.Done():
		if time.Now().Before(e.mEnd) {
			return false
		}
	case <-tm.C:
	}
	e.opts.OnSecond(sec)
	return true
}

func (t *timeline) points() []result.TimelinePt {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]result.TimelinePt(nil), t.pts...)
}

// tick runs once a second: it closes timeline intervals during the measured
// time and reports progress throughout.
func (e *engine) tick(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	total := e.mEnd.Sub(e.t0)
	// Align ticks to the measured start so every timeline point is a whole second.
	next := e.mStart
	for next.After(e.t0.Add(time.Second)) {
		next = next.Add(-time.Second)
	}
	if next.Before(e.t0) || next.Equal(e.t0) {
		next = next.Add(time.Second)
	}
	last := e.mStart
	sec := 0
	endMark := e.partialEnd()
	for {
		if endMark > 0 && e.mEnd.Before(next) {
			if !e.markEnd(ctx, endMark) {
				return
			}
			endMark = 0
		}
		tm := time.NewTimer(time.Until(next))
		cancelled := false
		select {
		case <-ctx.Done():
			tm.Stop()
			// The run ended as this tick fell due (the last second's
			// in-flight requests finished at once): close the second
			// anyway, or the timeline loses it.
			if time.Now().Before(next) {
				return
			}
			cancelled = true
		case <-tm.C:
		}
		now := next
		next = next.Add(time.Second)
		p := result.Progress{Elapsed: now.Sub(e.t0), Total: total, Users: int(e.active.Load()), Dropped: e.dropped.Load()}
		switch {
		case now.After(e.mStart) && !now.After(e.mEnd):
			sec++
			if e.opts.OnSecond != nil {
				e.opts.OnSecond(sec)
			}
			pt := e.tl.rotate(sec, p.Users, now.Sub(last))
			last = now
			e.tl.add(pt)
			p.Phase, p.RPS, p.P95MS, p.Point = "measure", pt.RPS, pt.P95MS, &pt
			if e.opts.Abort != nil {
				secs := now.Sub(e.mStart).Seconds()
				eps, total := e.rec.Stats(secs)
				if why := e.opts.Abort(&result.Result{DurationS: secs, Endpoints: eps, Total: total}); why != "" {
					e.stopTest(why)
				}
			}
		case !now.After(e.mStart):
			p.Phase = "warmup"
			if now.Equal(e.mStart) && e.opts.OnSecond != nil {
				e.opts.OnSecond(0)
			}
		default:
			p.Phase = "stopping"
		}
		p.Requests, p.Failures = e.rec.Totals()
		if e.opts.OnProgress != nil {
			e.opts.OnProgress(p)
		}
		if cancelled {
			return
		}
		if now.After(e.mEnd) && e.ending() {
			// Keep ticking through the graceful stop so progress shows it,
			// until the run's context ends.
			continue
		}
	}
}
