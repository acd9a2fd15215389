package load

import (
	"context"
	"math"
	"sync/atomic"
	"time"
)

// The open model schedules task starts at the arrival rate, independent of
// how fast the target answers; latency counts from the scheduled start (no
// coordinated omission).
//
// Each user class gets its weight's share of the rate as its own numbered
// sequence of start slots. There is no central scheduler handing starts to
// users: a free user claims its class's next slot with one atomic add and
// sleeps until it is due, so a start costs one wake-up (the user's own timer)
// instead of two (a scheduler's, then a hand-off). The pool grows by a
// relay: a user that wakes for slot k and finds slot k+1 unclaimed — every
// other user is busy — starts a new user for k+1 before sending its own
// request, so a stalled target meets a fresh user at every start, spawned
// one slot ahead rather than late. Once a class has as many users as its
// share of load.users, starts that nobody is free for are dropped.

// openClass is one user class's share of the arrival rate.
type openClass struct {
	cls           *class
	scale         float64      // total weight / this class's weight: class slot k is the run's start k*scale
	claimed       atomic.Int64 // slots taken by a user or dropped, in order
	spawned       atomic.Int64 // users started for this class
	cap           int64        // at most this many users
	firstMeasured int64        // the first slot at or after the measured start
	lastMeasured  int64        // the last slot before the measured end
}

// dropGrace is how late a free user may take a start when its class is at
// its pool limit; a start overdue by more found no user free when it fell
// due, and is dropped rather than sent late.
const dropGrace = time.Millisecond

func (e *engine) runOpen(ctx context.Context, maxUsers int, rate float64) {
	e.rate = rate
	weights := make([]int, len(e.plan.Classes))
	tw := 0
	for i, c := range e.plan.Classes {
		weights[i] = c.weight
		tw += c.weight
	}
	caps := SplitUsers(maxUsers, weights)
	ocs := make([]*openClass, 0, len(weights))
	for i, c := range e.plan.Classes {
		if c.weight <= 0 {
			continue
		}
		oc := &openClass{cls: c, scale: float64(tw) / float64(c.weight), cap: int64(caps[i])}
		oc.firstMeasured = e.slotsBy(oc, e.mStart) + 1
		oc.lastMeasured = e.slotsBy(oc, e.mEnd.Add(-1))
		ocs = append(ocs, oc)
		if oc.reserve() {
			oc.claimed.Store(1)
			e.spawnOpen(ctx, oc, 1)
		}
	}
	// This goroutine only accounts: starts that a class at its pool limit
	// could not serve are counted as dropped as they fall due, so the
	// progress line shows them during the run.
	tk := time.NewTimer(0)
	defer tk.Stop()
	for {
		tk.Reset(min(20*time.Millisecond, time.Until(e.mEnd)))
		var now time.Time
		select {
		case <-ctx.Done():
			return
		case now = <-tk.C:
		}
		if !now.Before(e.mEnd) {
			now = e.mEnd
		}
		for _, oc := range ocs {
			if oc.spawned.Load() >= oc.cap {
				e.dropOverdue(oc, now)
			}
		}
		if now.Equal(e.mEnd) {
			return
		}
	}
}

// reserve counts one more user for the class unless it is at its limit.
func (oc *openClass) reserve() bool {
	for n := oc.spawned.Load(); n < oc.cap; n = oc.spawned.Load() {
		if oc.spawned.CompareAndSwap(n, n+1) {
			return true
		}
	}
	return false
}

// spawnOpen starts a new user of class oc, already reserved, that holds
// slot k.
func (e *engine) spawnOpen(ctx context.Context, oc *openClass, k int64) {
	u := newUser(e, int(e.nextID.Add(1)-1), oc.cls)
	e.active.Add(1)
	e.wg.Add(1)
	go u.runOpen(ctx, oc, k)
}

func (u *vuser) runOpen(ctx context.Context, oc *openClass, slot int64) {
	e := u.e
	defer u.enter()()
	if !u.start(ctx) {
		return
	}
	// A new user's first task cannot begin before its on_start (a login)
	// is done; the login's own latency is recorded on its own, so the task
	// counts from whichever is later.
	ready := time.Now()
	for {
		sched := e.slotTime(oc, slot)
		if !sched.Before(e.mEnd) {
			return
		}
		if !u.sleepUntil(ctx, sched) {
			return
		}
		if ready.After(sched) {
			sched = ready
		}
		ready = time.Time{}
		e.noteLag(sched)
		// The relay: nobody holds the next slot, so every other user is
		// busy; start one for it now, while this user sends.
		if oc.claimed.Load() == slot && oc.reserve() {
			if oc.claimed.CompareAndSwap(slot, slot+1) {
				e.spawnOpen(ctx, oc, slot+1)
			} else {
				oc.spawned.Add(-1) // a user came free and took it
			}
		}
		if err := u.takeRows("iteration"); err != nil {
			u.feedStop(err)
			return
		}
		if u.runSteps(ctx, u.cls.pick().steps, sched) == stepAborted {
			return
		}
		slot = e.claimNext(oc)
	}
}

// claimNext takes the class's next start for a user that has just become
// free. At the pool limit, starts already overdue found no free user: they
// are dropped and the user takes the first one still on time.
func (e *engine) claimNext(oc *openClass) int64 {
	for {
		c := oc.claimed.Load()
		k := c + 1
		if oc.spawned.Load() >= oc.cap {
			k = max(k, e.slotsBy(oc, time.Now().Add(-dropGrace))+1)
		}
		if oc.claimed.CompareAndSwap(c, k) {
			e.countDropped(oc, c+1, k-1)
			return k
		}
	}
}

// dropOverdue counts as dropped the starts of a class at its pool limit
// that fell due (by more than dropGrace) before now with no user free.
func (e *engine) dropOverdue(oc *openClass, now time.Time) {
	for {
		c := oc.claimed.Load()
		due := e.slotsBy(oc, now.Add(-dropGrace))
		if due <= c {
			return
		}
		if oc.claimed.CompareAndSwap(c, due) {
			e.countDropped(oc, c+1, due)
			return
		}
	}
}

// countDropped counts slots from..to that lie in the measured window.
func (e *engine) countDropped(oc *openClass, from, to int64) {
	if n := min(to, oc.lastMeasured) - max(from, oc.firstMeasured) + 1; n > 0 {
		e.dropped.Add(n)
	}
}

// slotsBy is the number of the class's starts due at or before t.
func (e *engine) slotsBy(oc *openClass, t time.Time) int64 {
	if !t.After(e.t0) {
		return 0
	}
	return int64(math.Floor(e.cumStarts(t.Sub(e.t0), e.rate) / oc.scale))
}

// slotTime is when the class's k-th start is due.
func (e *engine) slotTime(oc *openClass, k int64) time.Time {
	return e.startTime(float64(k)*oc.scale, e.rate)
}

// noteLag keeps the worst lateness of a start behind its schedule.
func (e *engine) noteLag(sched time.Time) {
	lag := int64(time.Since(sched))
	for {
		cur := e.maxLag.Load()
		if lag <= cur || e.maxLag.CompareAndSwap(cur, lag) {
			return
		}
	}
}

// sleepUntil waits for a start; false when the run was cut short. Short
// waits are a plain sleep (no channel); long ones, which a user idling
// between rare starts has, can be interrupted.
func (u *vuser) sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	switch {
	case d <= 0:
	case d < 50*time.Millisecond:
		time.Sleep(d)
	default:
		select {
		case <-u.after(d):
		case <-u.e.stopping:
			return false
		case <-ctx.Done():
			return false
		}
	}
	return ctx.Err() == nil
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
