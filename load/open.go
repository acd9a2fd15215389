package load

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// The open model schedules task starts at the arrival rate, independent of
// how fast the target answers; latency counts from the scheduled start (no
// coordinated omission).
//
// Each user class gets its weight's share of the rate as its own numbered
// sequence of start slots. There is no central scheduler waking up for
// every start: the starts are handed along a relay. The user holding slot
// k sleeps until it is due, and when it wakes it finds a user for k+1
// before sending its own request: the user freed last, waiting on the
// class's idle stack (openidle.go), or, when every user is busy, a new
// one. So a start costs one wake-up (its user's own timer), and a stalled
// target meets a fresh user at every start, spawned one slot ahead rather
// than late. Once a class has as many users as its share of load.users,
// starts that nobody is free for are dropped.

// openClass is one user class's share of the arrival rate.
type openClass struct {
	cls           *class
	scale         float64      // total weight / this class's weight: class slot k is the run's start k*scale
	claimed       atomic.Int64 // slots taken by a user or dropped, in order
	spawned       atomic.Int64 // users started for this class
	cap           int64        // at most this many users
	theta         float64      // phase: the class's first start is at run start theta*scale
	closed        atomic.Bool  // a user could not take feed rows: start no more
	firstMeasured int64        // the first slot at or after the measured start
	lastMeasured  int64        // the last slot before the measured end

	starting atomic.Int64 // new users not yet past their on_start
	mu       sync.Mutex
	idle     []*idleUser // free users, the last freed on top (see openidle.go)
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
	before := 0
	for i, c := range e.plan.Classes {
		if c.weight <= 0 {
			continue
		}
		// Each class's starts sit in the middle of its share of every
		// round of tw starts, so classes interleave (1:1 at 100/s: A, B,
		// A, B every 5 ms) instead of starting together.
		oc := &openClass{cls: c, scale: float64(tw) / float64(c.weight), cap: int64(caps[i]),
			theta: (float64(before) + float64(c.weight)/2) / float64(tw)}
		before += c.weight
		oc.firstMeasured = e.slotsBy(oc, e.mStart.Add(-1)) + 1
		oc.lastMeasured = e.slotsBy(oc, e.mEnd.Add(-1))
		ocs = append(ocs, oc)
		if oc.reserve() {
			oc.starting.Add(1)
			oc.claimed.Store(1)
			e.spawnOpen(ctx, oc, 1)
		}
	}
	// This goroutine is the relay's safety net and the drop counter: every
	// 20 ms, a start overdue and unclaimed (the relay stalled: a new user
	// still logging in at a target that froze) gets a user of its own, or
	// when the class is at its limit is counted as dropped, so the progress
	// line shows drops during the run. At the end every start due before
	// it is taken care of the same way, so users freed later find none.
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
		final := !now.Before(e.mEnd)
		for _, oc := range ocs {
			due := e.slotsBy(oc, now.Add(-dropGrace))
			if final {
				due = oc.lastMeasured
			}
			e.fillOverdue(ctx, oc, due)
		}
		if final {
			return
		}
	}
}

// fillOverdue finds a user for every start of oc up to due that nobody
// took, or drops them once the class is at its limit with no user free.
func (e *engine) fillOverdue(ctx context.Context, oc *openClass, due int64) {
	for c := oc.claimed.Load(); c < due; c = oc.claimed.Load() {
		if oc.full() && !oc.anyIdle() {
			e.dropOverdue(oc, due)
			return
		}
		if oc.claimed.CompareAndSwap(c, c+1) {
			e.startFor(ctx, oc, c+1)
		}
	}
}

// startFor finds a user for slot k, already claimed: the user freed last,
// or a new one; at the limit the start is dropped.
func (e *engine) startFor(ctx context.Context, oc *openClass, k int64) {
	oc.mu.Lock()
	iu, spawn := oc.takeUser()
	oc.mu.Unlock()
	e.assign(ctx, oc, k, iu, spawn, false)
}

// full reports whether the class may start no more users.
func (oc *openClass) full() bool { return oc.closed.Load() || oc.spawned.Load() >= oc.cap }

// reserve counts one more user for the class unless it is at its limit.
func (oc *openClass) reserve() bool {
	for n := oc.spawned.Load(); n < oc.cap && !oc.closed.Load(); n = oc.spawned.Load() {
		if oc.spawned.CompareAndSwap(n, n+1) {
			return true
		}
	}
	return false
}

// spawnOpen starts a new user of class oc, already reserved and counted
// as starting, that holds slot k.
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
		// Out of feed rows: no later user of the class could take rows
		// either. The start goes to a free user, who has rows, or is
		// dropped. closed is set before starting falls, so that a user
		// coming free sees one or the other and does not park.
		oc.closed.Store(true)
		oc.starting.Add(-1)
		if !oc.handIdle(slot) {
			e.countDropped(oc, slot, slot)
		}
		return
	}
	oc.starting.Add(-1)
	defer u.stopSteps(ctx)
	// A new user's first task cannot begin before its on_start (a login)
	// is done; the login's own latency is recorded on its own, so the task
	// counts from whichever is later.
	ready := time.Now()
	iu := &idleUser{next: make(chan int64, 1)}
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
			if !sched.Before(e.mEnd) {
				// The start fell due in time, but its new user's on_start
				// ran past the end: counted, so that every scheduled start
				// is sent, dropped or not sent.
				e.countNotSent(oc, slot)
				return
			}
		}
		ready = time.Time{}
		e.noteLag(sched)
		// The relay: nobody holds the next slot yet; find it a user now,
		// while this user sends.
		if oc.claimed.Load() == slot && oc.claimed.CompareAndSwap(slot, slot+1) {
			e.relay(ctx, oc, slot+1)
		}
		if err := u.takeRows("iteration"); err != nil {
			u.feedStop(err)
			oc.closed.Store(true)
			e.countDropped(oc, slot, slot)
			return
		}
		out := u.runSteps(ctx, u.cls.pick().steps, sched)
		if out == stepAborted || out == stepStopUser {
			return
		}
		var ok bool
		if slot, ok = e.nextStart(ctx, oc, iu); !ok {
			return
		}
	}
}

// relay finds a user for start k, just claimed by the relay: the user
// freed last, or a new one. At the limit the start is handed back for a
// user that comes free. The look at the stack, the reservation and the
// hand-back are one step under the stack's lock: a user coming free in
// between would park (k is not due yet, nobody is starting) just before
// the hand-back left no one to hand it a start.
func (e *engine) relay(ctx context.Context, oc *openClass, k int64) {
	oc.mu.Lock()
	iu, spawn := oc.takeUser()
	back := iu == nil && !spawn && oc.claimed.CompareAndSwap(k, k-1)
	oc.mu.Unlock()
	e.assign(ctx, oc, k, iu, spawn, back)
}

// assign sends start k to the user takeUser found, or to a new user; with
// neither, k is dropped unless it was handed back.
func (e *engine) assign(ctx context.Context, oc *openClass, k int64, iu *idleUser, spawn, back bool) {
	switch {
	case iu != nil:
		iu.next <- k
	case spawn:
		e.spawnOpen(ctx, oc, k)
	case !back:
		e.countDropped(oc, k, k) // taken past it already: nobody will send it
	}
}

// claimNext takes the class's next start for a user that has just become
// free. At the pool limit, starts already overdue found no free user: they
// are dropped and the user takes the first one still on time.
func (e *engine) claimNext(oc *openClass) int64 {
	for {
		c := oc.claimed.Load()
		k := c + 1
		if oc.full() {
			k = max(k, e.slotsBy(oc, time.Now().Add(-dropGrace))+1)
		}
		if oc.claimed.CompareAndSwap(c, k) {
			e.countDropped(oc, c+1, k-1)
			return k
		}
	}
}

// dropOverdue counts as dropped the starts of oc up to due that no user
// took.
func (e *engine) dropOverdue(oc *openClass, due int64) {
	for {
		c := oc.claimed.Load()
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

// countNotSent counts slot k as not sent if it lies in the measured window.
func (e *engine) countNotSent(oc *openClass, k int64) {
	if k >= oc.firstMeasured && k <= oc.lastMeasured {
		e.notSent.Add(1)
	}
}

// slotsBy is the number of the class's starts due at or before t: start
// k is the run's start (k-1+theta)*scale.
func (e *engine) slotsBy(oc *openClass, t time.Time) int64 {
	if !t.After(e.t0) {
		return 0
	}
	return max(0, int64(math.Floor(e.cumStarts(t.Sub(e.t0), e.rate)/oc.scale-oc.theta+1)))
}

// slotTime is when the class's k-th start is due.
func (e *engine) slotTime(oc *openClass, k int64) time.Time {
	return e.startTime((float64(k)-1+oc.theta)*oc.scale, e.rate)
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
