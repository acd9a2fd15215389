package load

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// stallServer answers at once, except that once every 5 s it freezes for
// 1 s: requests arriving in the freeze wait until it ends.
func stallServer(t *testing.T) *httptest.Server {
	start := time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		phase := time.Since(start) % (5 * time.Second)
		if phase < time.Second {
			time.Sleep(time.Second - phase)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestOpenModelSeesStalls is the coordinated-omission check: the open model
// counts latency from the scheduled start, so the frozen second shows in
// p99; the closed model, whose users simply wait, reports a far lower p99.
func TestOpenModelSeesStalls(t *testing.T) {
	if testing.Short() {
		t.Skip("10 s load test")
	}
	var open, closed *Result
	t.Run("group", func(t *testing.T) {
		t.Run("open", func(t *testing.T) {
			t.Parallel()
			open = runPlan(t, plan(t, stallServer(t).URL, `
target: {url: $URL}
load: {duration: 10s, arrival_rate: 200/s, users: 400}
tasks: [{get: /}]
`))
		})
		t.Run("closed", func(t *testing.T) {
			t.Parallel()
			closed = runPlan(t, plan(t, stallServer(t).URL, `
target: {url: $URL}
load: {duration: 10s, users: 20}
tasks: [{get: /}]
`))
		})
	})
	t.Logf("open: p99 %.1f ms (%d requests, %d dropped); closed: p99 %.1f ms (%d requests)",
		open.Total.LatencyMS.P99, open.Total.Requests, open.Dropped, closed.Total.LatencyMS.P99, closed.Total.Requests)
	if open.Total.LatencyMS.P99 < 900 {
		t.Errorf("open model p99 %.1f ms, want >= 900 ms", open.Total.LatencyMS.P99)
	}
	if closed.Total.LatencyMS.P99 >= open.Total.LatencyMS.P99/2 {
		t.Errorf("closed model p99 %.1f ms is not far below the open model's %.1f ms", closed.Total.LatencyMS.P99, open.Total.LatencyMS.P99)
	}
}
