package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func needLazy(t *testing.T) {
	t.Helper()
	if !canLazy {
		t.Skip("lazy reads need Linux and a build without the race detector")
	}
}

// TestFastClientLazyRead: a request sent with a ReadAt is read no sooner
// than ReadAt, and its latency comes from when the response arrived, not
// from when it was read.
func TestFastClientLazyRead(t *testing.T) {
	needLazy(t)
	url, u := lazyUser(t, 5*time.Second, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) })
	for i := range 3 {
		req := reqFor(t, url+"/", "GET")
		req.Sent = time.Now()
		req.ReadAt = req.Sent.Add(60 * time.Millisecond)
		resp, err := u.Do(context.Background(), req, true)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		done := time.Now()
		if resp.Status != 200 || string(resp.Body) != "hello" {
			t.Fatalf("request %d: %d %q", i, resp.Status, resp.Body)
		}
		if done.Before(req.ReadAt) {
			t.Errorf("request %d: read %v before its ReadAt", i, req.ReadAt.Sub(done))
		}
		if resp.Arrived.IsZero() {
			t.Fatalf("request %d: no arrival time", i)
		}
		// The server answers at once: the response arrived long before
		// it was read, and the latency must say so.
		if lat := resp.Arrived.Sub(req.Sent); lat < 0 || lat > 40*time.Millisecond {
			t.Errorf("request %d: arrived %v after it was sent, want well under the 60 ms it waited unread", i, lat)
		}
	}
}

// lazyUser serves h and returns its URL and a user of a fast client with
// timeout whose connection reads lazily (see warmLazy).
func lazyUser(t *testing.T, timeout time.Duration, h http.HandlerFunc) (string, Client) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	fc := NewFastClient(timeout, false)
	t.Cleanup(fc.CloseIdle)
	u := fc.ForUser()
	warmLazy(t, u, srv.URL+"/")
	return srv.URL, u
}

// warmLazy sends requests with a ReadAt until one comes back with its
// arrival time: a connection reads lazily only once the kernel has
// timestamped a response on it (see lazyPrep).
func warmLazy(t *testing.T, u Client, url string) {
	t.Helper()
	for range 100 {
		req := reqFor(t, url, "GET")
		req.Sent = time.Now()
		req.ReadAt = req.Sent.Add(time.Millisecond)
		resp, err := u.Do(context.Background(), req, false)
		if err != nil {
			t.Fatal(err)
		}
		if !resp.Arrived.IsZero() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no response came with its arrival time")
}

// TestFastClientLazySlowResponse: a response that has not arrived by
// ReadAt wakes its reader when it comes (the low-water mark goes back to
// one byte); the connection then serves ordinary and lazy requests alike,
// and a silent server still meets the timeout.
func TestFastClientLazySlowResponse(t *testing.T) {
	needLazy(t)
	url, u := lazyUser(t, 400*time.Millisecond, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			time.Sleep(150 * time.Millisecond)
		case "/silent":
			time.Sleep(700 * time.Millisecond)
		}
		w.Write([]byte("ok"))
	})
	do := func(path string, lazy bool) (*Response, time.Duration, error) {
		req := reqFor(t, url+path, "GET")
		req.Sent = time.Now()
		if lazy {
			req.ReadAt = req.Sent.Add(10 * time.Millisecond)
		}
		resp, err := u.Do(context.Background(), req, true)
		return resp, time.Since(req.Sent), err
	}
	ordinary := func(when string) {
		t.Helper()
		// They are woken as before: they would wait out the timeout if
		// the mark stayed high.
		for i := range 3 {
			if _, took, err := do("/", false); err != nil || took > 300*time.Millisecond {
				t.Fatalf("ordinary request %d %s: %v after %v", i, when, err, took)
			}
		}
	}
	if resp, _, err := do("/", true); err != nil || resp.Arrived.IsZero() {
		t.Fatalf("lazy: %v %v", resp, err)
	}
	ordinary("after a lazy one")
	resp, took, err := do("/slow", true)
	if err != nil || resp.Status != 200 {
		t.Fatalf("slow: %v %v", resp, err)
	}
	if took < 150*time.Millisecond || took > 450*time.Millisecond {
		t.Errorf("slow response read after %v, want soon after the server's 150 ms", took)
	}
	if lat := resp.Arrived.Sub(time.Now().Add(-took)); lat < 140*time.Millisecond {
		t.Errorf("slow response arrived %v after it was sent, want about 150 ms", lat)
	}
	ordinary("after a slow lazy one")
	_, took, err = do("/silent", true)
	if err == nil || Reason(err) != "timeout" {
		t.Fatalf("silent server: err %v (reason %q), want a timeout", err, Reason(err))
	}
	if took < 380*time.Millisecond || took > 1200*time.Millisecond {
		t.Errorf("timeout after %v, want the 400 ms target.timeout", took)
	}
}

// TestFastClientLazyClosed: a server that closes the connection instead of
// answering is seen at ReadAt as a closed connection, as it would be
// without the lazy read.
func TestFastClientLazyClosed(t *testing.T) {
	needLazy(t)
	url, u := lazyUser(t, 2*time.Second, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/close" {
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close() // no answer
			}
			return
		}
		w.Write([]byte("ok"))
	})
	req := reqFor(t, url+"/close", "GET")
	req.Sent = time.Now()
	req.ReadAt = req.Sent.Add(20 * time.Millisecond)
	_, err := u.Do(context.Background(), req, false)
	if err == nil || !strings.Contains(Reason(err), "closed") {
		t.Fatalf("got %v (reason %q), want the connection closed by the server", err, Reason(err))
	}
	if took := time.Since(req.Sent); took > time.Second {
		t.Errorf("closed connection seen after %v", took)
	}
}

// TestReadHint: the open model reads a task's last response at the class's
// next start when that start is at most lazyMax away (on a ramp too), and
// not when the rate is low or the run is ending.
func TestReadHint(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	mk := func(rate float64, stages bool) (*engine, *openClass) {
		cfg := &Config{}
		cfg.Load.ArrivalRate = rate
		if stages {
			cfg.Load.Stages = []Stage{{Duration: 10 * time.Second, Target: rate}}
		}
		e := &engine{plan: &Plan{Config: cfg}, t0: t0, mEnd: t0.Add(10 * time.Second), rate: rate}
		return e, &openClass{scale: 1, theta: 0.5}
	}
	cases := []struct {
		name   string
		rate   float64
		stages bool
		slot   int64
		late   time.Duration // now, after the slot's start
		want   time.Duration // the hint, after the slot's start; 0: none
		tol    time.Duration // a ramp's start times are exact to 10 µs
	}{
		{"2000/s: the next start", 2000, false, 10, 0, 500 * time.Microsecond, 0},
		{"2000/s, woken late: the first start still to come", 2000, false, 10, 1200 * time.Microsecond, 1500 * time.Microsecond, 0},
		{"500/s: 2 ms away", 500, false, 10, 0, 2 * time.Millisecond, 0},
		{"100/s: too far", 100, false, 10, 0, 0, 0},
		{"a ramp from 0 to 2,000/s, at its start: too far", 2000, true, 10, 0, 0, 0},
		{"a ramp from 0 to 2,000/s, at 1,000/s", 2000, true, 2500, 0, time.Millisecond, 20 * time.Microsecond},
		{"the last start", 2000, false, 20_000, 0, 0, 0},
	}
	for _, c := range cases {
		e, oc := mk(c.rate, c.stages)
		at := e.slotTime(oc, c.slot)
		got := e.readHint(oc, c.slot, at.Add(c.late))
		switch {
		case c.want == 0 && !got.IsZero():
			t.Errorf("%s: hint %v after the start, want none", c.name, got.Sub(at))
		case c.want != 0 && (got.IsZero() || got.Sub(at) < c.want-c.tol-time.Microsecond || got.Sub(at) > c.want+c.tol+time.Microsecond):
			t.Errorf("%s: hint %v after the start (zero %v), want %v", c.name, got.Sub(at), got.IsZero(), c.want)
		}
	}
}

// TestFastClientLazyOpenModel: at 600 starts/s every task's response is
// read at the next start, 1.7 ms later, yet the latencies are the
// server's: a fast server's median stays far below that wait, and a server
// that takes 5 ms (read after waking, past the next start) is never
// reported faster than it was.
func TestFastClientLazyOpenModel(t *testing.T) {
	needLazy(t)
	for _, c := range []struct {
		delay    time.Duration
		min, p50 float64 // ms: at least, at most
	}{
		{0, 0, 1},
		{5 * time.Millisecond, 5, 40},
	} {
		srv, n := countingServer(t, c.delay)
		r := runPlan(t, plan(t, srv.URL, `
target: {url: $URL}
load: {duration: 1s, arrival_rate: 600/s, users: 200}
tasks: [{get: /}]
`))
		l := r.Total.LatencyMS
		t.Logf("server delay %v: %d requests, min %.3f ms, p50 %.3f ms, p99 %.3f ms", c.delay, r.Total.Requests, l.Min, l.P50, l.P99)
		if r.Total.Requests < 590 || r.Total.Failures != 0 || n.Load() != int64(r.Total.Requests) {
			t.Errorf("delay %v: %d requests (%d failed), server saw %d; want 600", c.delay, r.Total.Requests, r.Total.Failures, n.Load())
		}
		if l.Min < c.min || l.P50 > c.p50 {
			t.Errorf("delay %v: min %.3f ms, p50 %.3f ms; want min >= %.0f ms and p50 <= %.0f ms", c.delay, l.Min, l.P50, c.min, c.p50)
		}
	}
}
