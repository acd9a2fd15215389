package load

import (
	"context"
	"testing"
	"time"

	"github.com/loadgate/loadgate/load/config"
)

// TestOpenModelLateRelayHolder: at the pool limit, the holder of the
// latest start wakes late and the 20 ms check finds the next start
// overdue while a user sits parked: the parked user takes it (late,
// counted in its latency), rather than the start being dropped as if
// nobody were free, and the relay goes on from it.
func TestOpenModelLateRelayHolder(t *testing.T) {
	now := time.Now()
	// 100/s, slot k due at t0 + (k-0.5)*10ms: slot 3 is due in 5 ms.
	e := &engine{plan: &Plan{Config: &config.Config{}}, t0: now.Add(-20 * time.Millisecond), rate: 100,
		stopping: make(chan struct{})}
	e.mStart, e.mEnd = e.t0, e.t0.Add(time.Hour)
	oc := &openClass{scale: 1, theta: 0.5, cap: 2, firstMeasured: 1, lastMeasured: 1 << 40}
	oc.spawned.Store(2) // H (holding slot 3) and A: at the limit
	a := &idleUser{next: make(chan int64, 1)}
	oc.claimed.Store(3)
	if !oc.pushIdle(a, now, e) {
		t.Fatal("A did not park")
	}
	// H's timer fires late; the check for slot 4 (1 ms overdue) comes first.
	e.fillOverdue(context.Background(), oc, 4)
	if e.dropped.Load() != 0 || len(a.next) == 0 {
		t.Errorf("slot 4 dropped (%d) while A is parked (waiting=%v, handed %d)", e.dropped.Load(), a.waiting, len(a.next))
	}
}
