package load

import (
	"context"
	"time"
)

// Free users in the open model wait on their class's idle stack instead of
// each claiming a start of its own as soon as it is free. Claiming at once
// deals the starts round-robin over the whole pool: after a stall has grown
// the pool to 2,000 users at 2,000 starts/s, every user sends once a
// second, so every start wakes a cold goroutine over a cold connection
// (which, idle that long, also needs the client's idle check, one more
// system call). From the stack, the relay hands the next start to the
// user freed last: a pool of thousands still serves a fast target with
// the two or three users it needs, and the rest sit parked, holding no
// timer. Which user sends a start does not change the arrival process.

// idleUser is a user's place on its class's idle stack.
type idleUser struct {
	next    chan int64 // the start it is handed; buffered, so handing never blocks
	waiting bool       // on the stack (guarded by the class's mu)
}

// pushIdle parks iu on the class's stack, unless the relay may be broken
// and nobody would hand iu a start: the class's latest claimed start is
// due already (its user is late: it has woken and not yet passed the
// relay on, or the start was dropped), or it may be held by a new user
// whose on_start (a login) could outlast the starts after it, or fail for
// want of feed rows (closed). Then it returns false, and the user claims
// the next start itself.
func (oc *openClass) pushIdle(iu *idleUser, now time.Time, e *engine) bool {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	// claimed <= slotsBy(now): the latest claimed start is due (slotsBy
	// is one integral, where slotTime would invert it by bisection).
	if oc.starting.Load() > 0 || oc.closed.Load() || oc.claimed.Load() <= e.slotsBy(oc, now) {
		return false
	}
	iu.waiting = true
	oc.idle = append(oc.idle, iu)
	return true
}

// popIdle takes the user freed last off the stack, or nil.
func (oc *openClass) popIdle() *idleUser {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	return oc.popLocked()
}

// popLocked is popIdle with oc.mu held. Users that left at the end of the
// run are skipped here rather than searched for there.
func (oc *openClass) popLocked() *idleUser {
	for n := len(oc.idle); n > 0; n-- {
		iu := oc.idle[n-1]
		oc.idle[n-1] = nil
		oc.idle = oc.idle[:n-1]
		if iu.waiting {
			iu.waiting = false
			return iu
		}
	}
	return nil
}

// takeUser (oc.mu held) finds a user for a start: the user freed last, or
// a reservation for a new one (spawn), counted as starting; neither at the
// class's limit.
func (oc *openClass) takeUser() (iu *idleUser, spawn bool) {
	if iu = oc.popLocked(); iu != nil {
		return iu, false
	}
	if oc.reserve() {
		oc.starting.Add(1)
		return nil, true
	}
	return nil, false
}

// anyIdle reports whether a user may be parked on the stack.
func (oc *openClass) anyIdle() bool {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	return len(oc.idle) > 0
}

// leaveIdle takes iu off the stack at the end of the run; false when the
// relay popped it first, so a start is on its way to it.
func (oc *openClass) leaveIdle(iu *idleUser) bool {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	w := iu.waiting
	iu.waiting = false
	return w
}

// handIdle gives start k, already claimed, to the user freed last; false
// when no user is free.
func (oc *openClass) handIdle(k int64) bool {
	iu := oc.popIdle()
	if iu == nil {
		return false
	}
	iu.next <- k
	return true
}

// nextStart is the start a user that has just come free sends next: one
// handed to it from the stack, or, when the relay is broken, the next one
// it claims itself. ok is false when the run ended while it waited.
func (e *engine) nextStart(ctx context.Context, oc *openClass, iu *idleUser) (k int64, ok bool) {
	if !oc.pushIdle(iu, time.Now(), e) {
		return e.claimNext(oc), true
	}
	select {
	case k = <-iu.next:
		return k, true
	case <-e.stopping:
	case <-ctx.Done():
	}
	if oc.leaveIdle(iu) {
		return 0, false
	}
	return <-iu.next, true
}
