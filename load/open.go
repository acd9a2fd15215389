package load

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// runOpen schedules task starts at the arrival rate, independent of how fast
// the target answers, and hands each to a free virtual user of a class
// chosen by weight. Each class has its own pool, grown on demand up to its
// share of maxUsers; a start that finds its pool exhausted is dropped and
// counted. Latency counts from the scheduled start (no coordinated omission).
func (e *engine) runOpen(ctx context.Context, maxUsers int, rate float64) {
	classes := e.plan.Classes
	weights := make([]int, len(classes))
	cum := make([]int, len(classes))
	tw := 0
	for i, c := range classes {
		weights[i] = c.weight
		tw += c.weight
		cum[i] = tw
	}
	caps := SplitUsers(maxUsers, weights)
	type pool struct {
		starts  chan time.Time
		spawned int
	}
	pools := make([]*pool, len(classes))
	for i := range pools {
		pools[i] = &pool{starts: make(chan time.Time)}
	}
	nextID := 0
	var emitted float64
	for {
		now := time.Now()
		if !now.Before(e.mEnd) || ctx.Err() != nil {
			return
		}
		due := e.startsDue(now, rate)
		for emitted < due {
			emitted++
			sched := e.startTime(emitted, rate)
			if !sched.Before(e.mEnd) {
				return
			}
			if lag := now.Sub(sched); lag > time.Duration(e.maxLag.Load()) {
				e.maxLag.Store(int64(lag))
			}
			ci := sort.SearchInts(cum, rand.IntN(tw)+1)
			p := pools[ci]
			select {
			case p.starts <- sched:
				continue
			default:
			}
			if p.spawned < caps[ci] {
				p.spawned++
				u := newUser(e, nextID, classes[ci])
				nextID++
				e.active.Add(1)
				e.wg.Add(1)
				go u.runOpen(ctx, p.starts, sched)
				continue
			}
			if !sched.Before(e.mStart) {
				e.dropped.Add(1)
			}
		}
		// Sleep until the next start is due, at most 5 ms, so a rate change
		// along the stages and a cancelled run are followed closely. A plain
		// sleep: no timer or channel per wake-up, which at thousands of
		// starts per second is a visible share of the generator's CPU.
		if wait := min(e.startTime(emitted+1, rate).Sub(time.Now()), 5*time.Millisecond); wait > 0 {
			time.Sleep(wait)
		}
	}
}

func (u *vuser) runOpen(ctx context.Context, starts <-chan time.Time, first time.Time) {
	e := u.e
	defer u.enter()()
	if !u.start(ctx) {
		return
	}
	sched := first
	for {
		if err := u.takeRows("iteration"); err != nil {
			u.feedStop(err)
			return
		}
		if u.runSteps(ctx, u.cls.pick().steps, sched) == stepAborted {
			return
		}
		select {
		case sched = <-starts:
		case <-e.stopping:
			return
		case <-ctx.Done():
			return
		}
	}
}

// startsDue is the number of starts scheduled up to now: the integral of the
// rate over time since the load began.
func (e *engine) startsDue(now time.Time, rate float64) float64 {
	return math.Floor(e.cumStarts(now.Sub(e.t0), rate))
}

// cumStarts integrates the arrival rate over the first el of the run.
func (e *engine) cumStarts(el time.Duration, rate float64) float64 {
	l := e.plan.Config.Load
	if len(l.Stages) == 0 {
		return el.Seconds() * rate
	}
	scale := rate / math.Max(l.ArrivalRate, 1e-9) // shard share
	warm := l.Warmup
	prev := 0.0
	if warm > 0 {
		prev = l.Stages[0].Target
	}
	total := 0.0
	if el <= warm {
		return el.Seconds() * prev * scale
	}
	total += warm.Seconds() * prev
	el -= warm
	for _, s := range l.Stages {
		d := s.Duration.Seconds()
		t := math.Min(el.Seconds(), d)
		total += prev*t + (s.Target-prev)*t*t/(2*d)
		if el.Seconds() <= d {
			return total * scale
		}
		el -= s.Duration
		prev = s.Target
	}
	return (total + prev*el.Seconds()) * scale
}

// startTime inverts cumStarts: when the k-th start is due. A bisection keeps
// it exact for ramps as well as constant rates.
func (e *engine) startTime(k float64, rate float64) time.Time {
	if len(e.plan.Config.Load.Stages) == 0 {
		return e.t0.Add(time.Duration(k / rate * float64(time.Second)))
	}
	lo, hi := time.Duration(0), e.mEnd.Sub(e.t0)+time.Second
	if e.cumStarts(hi, rate) < k {
		return e.mEnd.Add(time.Second)
	}
	for hi-lo > 10*time.Microsecond {
		mid := (lo + hi) / 2
		if e.cumStarts(mid, rate) >= k {
			hi = mid
		} else {
			lo = mid
		}
	}
	return e.t0.Add(hi)
}
