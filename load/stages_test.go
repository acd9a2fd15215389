package load

import (
	"strings"
	"testing"
	"time"
)

func TestClosedStagesRamp(t *testing.T) {
	srv, _ := countingServer(t, 5*time.Millisecond)
	r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL}
load:
  stages:
    - {duration: 2s, users: 10}
    - {duration: 1s, users: 10}
    - {duration: 1s, users: 2}
wait_time: constant 20ms
tasks: [{get: /}]
`))
	if len(r.Timeline) < 4 {
		t.Fatalf("timeline %+v", r.Timeline)
	}
	// A point shows the users the controller last set (every 20 ms), read
	// by the ticker at the whole second. The point at 3 s, the end of the
	// hold, is also the start of the ramp down (10 to 2 in 1 s): when the
	// test process is paused across it, the controller can run first after
	// the pause and set 9 (seen with 150 ms pauses); 9 holds for up to
	// 180 ms; a hold skipped, or a ramp down 200 ms early, sets fewer.
	u := func(i int) int { return r.Timeline[i].Users }
	if !(u(0) >= 3 && u(0) <= 7 && u(1) >= 9 && u(2) >= 9 && u(3) <= 4) {
		t.Errorf("users over time %d %d %d %d, want ~5, 10, 10, 2", u(0), u(1), u(2), u(3))
	}
	if r.DurationS != 4 {
		t.Errorf("duration %v, want the sum of the stages", r.DurationS)
	}
}

func TestOpenStagesRamp(t *testing.T) {
	srv, _ := countingServer(t, 0)
	r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL}
load:
  users: 50
  stages:
    - {duration: 2s, arrival_rate: 200/s}
    - {duration: 1s, arrival_rate: 200/s}
tasks: [{get: /}]
`))
	// Ramp 0→200/s over 2 s starts 200, then 200 more at the full rate.
	if n := r.Total.Requests + r.Dropped; n < 380 || n > 420 {
		t.Errorf("%d starts, want about 400", n)
	}
	if r.Load.Model != "open" {
		t.Errorf("model %s", r.Load.Model)
	}
}

func TestOpenModelDropsWhenPoolExhausted(t *testing.T) {
	srv, _ := countingServer(t, 200*time.Millisecond)
	r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL}
load: {duration: 1s, arrival_rate: 100/s, users: 5}
tasks: [{get: /}]
`))
	// 5 users each finishing a task per 200 ms serve 25 starts/s of 100.
	// Every report states r.Dropped (the golden fail.md and fail.txt show
	// it), so it is not repeated among the warnings.
	if r.Dropped < 50 {
		t.Errorf("dropped %d, want at least 50", r.Dropped)
	}
	for _, w := range r.Warnings {
		if strings.Contains(w, "dropped") {
			t.Errorf("dropped starts repeated as a warning: %q", w)
		}
	}
	// Every scheduled start is either sent or dropped: 100 in 1 s.
	if n := r.Total.Requests + r.Dropped; n < 97 || n > 101 {
		t.Errorf("%d sent + %d dropped = %d starts, want 100", r.Total.Requests, r.Dropped, n)
	}
}
