package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// TestOpenModelFeedExhaustedKeepsFreeUsers: two unique rows, so a third
// user cannot start. The first request takes 12 ms, so at slot 2's relay
// (15 ms) user 1 is busy and a third user is spawned for slot 3 (25 ms);
// it finds no rows. Users 1 and 2, free before 25 ms, must go on sending
// the starts, not wait on the idle stack for a relay that nobody holds.
func TestOpenModelFeedExhaustedKeepsFreeUsers(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "a.csv")
	os.WriteFile(csv, []byte("user\nu1\nu2\n"), 0o644)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			time.Sleep(12 * time.Millisecond)
		}
	}))
	t.Cleanup(srv.Close)
	r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL}
load: {duration: 2s, arrival_rate: 100/s, users: 50}
data:
  acc: {csv: `+csv+`, order: unique, per: user}
tasks: [{get: "/{{ .acc.user }}"}]
`))
	t.Logf("%d sent, %d dropped", r.Total.Requests, r.Dropped)
	if r.Total.Requests < 150 {
		t.Errorf("%d sent, %d dropped: the two users with rows did not send the starts", r.Total.Requests, r.Dropped)
	}
}

// TestOpenModelLateRelayHolder: at the pool limit, the holder of the
// latest start wakes late and the 20 ms check finds the next start
// overdue while a user sits parked: the parked user takes it (late,
// counted in its latency), rather than the start being dropped as if
// nobody were free, and the relay goes on from it.
func TestOpenModelLateRelayHolder(t *testing.T) {
	now := time.Now()
	// 100/s, slot k due at t0 + (k-0.5)*10ms: slot 3 is due in 5 ms.
	e := &engine{plan: &Plan{Config: &Config{}}, t0: now.Add(-20 * time.Millisecond), rate: 100,
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
