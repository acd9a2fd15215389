package report

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

// sseReader reads the "state" events of a dashboard's event stream.
type sseReader struct {
	t    *testing.T
	body io.ReadCloser
	br   *bufio.Reader
}

func openEvents(t *testing.T, d *Dashboard) *sseReader {
	t.Helper()
	resp, err := http.Get(d.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sseReader{t, resp.Body, bufio.NewReader(resp.Body)}
}

// next returns the next state event, decoded; ok is false at the stream's end.
func (s *sseReader) next() (map[string]any, bool) {
	s.t.Helper()
	var data string
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			return nil, false
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		case line == "" && data != "":
			var m map[string]any
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				s.t.Fatalf("event data %q: %v", data, err)
			}
			return m, true
		}
	}
}

func progressAt(sec int, rps float64) result.Progress {
	return result.Progress{Phase: "measure", Elapsed: time.Duration(sec) * time.Second, Total: 10 * time.Second,
		Users: 5, Requests: int64(sec) * 10, RPS: rps, P95MS: 12,
		Point: &result.TimelinePt{T: sec, Users: 5, RPS: rps, P50MS: 3, P95MS: 12, P99MS: 20}}
}

func TestDashboardStreams(t *testing.T) {
	d, err := StartDashboard("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	resp, err := http.Get(d.URL())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`id="box-chart-rps"`, `id="chart-latency"`, "connect-src &#39;self&#39;", `id="v-rps"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %s", want)
		}
	}

	ev := openEvents(t, d)
	first, ok := ev.next()
	if !ok || first["phase"] != "starting" {
		t.Fatalf("first event %v", first)
	}
	d.Update(progressAt(1, 40))
	e1, _ := ev.next()
	d.Update(progressAt(2, 55.5))
	e2, _ := ev.next()
	if e1["rps"] != "40.0" || e2["rps"] != "55.5" {
		t.Errorf("rps %v then %v", e1["rps"], e2["rps"])
	}
	svg := e2["charts"].(map[string]any)[idRPS].(string)
	if !strings.Contains(svg, "<polyline") {
		t.Errorf("RPS chart has no line: %s", svg)
	}

	r := &result.Result{Total: &result.Stats{Name: "total", Requests: 20, RPS: 47.7},
		Timeline: []result.TimelinePt{{T: 1, RPS: 40}, {T: 2, RPS: 55.5}},
		Verdict:  &result.Verdict{Status: "pass", Checks: []result.Check{{Status: "pass"}}}}
	d.Finish(r)
	last, _ := ev.next()
	if last["done"] != true || !strings.Contains(last["status"].(string), "PASS") {
		t.Errorf("final event %v", last)
	}
	if _, more := ev.next(); more {
		t.Error("the stream goes on after the final state")
	}
}

func TestDashboardRefusesForeignHost(t *testing.T) {
	d, err := StartDashboard("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for host, want := range map[string]int{"evil.example": 421, "localhost": 200, "127.0.0.1:1": 200} {
		req, _ := http.NewRequest("GET", d.URL(), nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: status %d, want %d", host, resp.StatusCode, want)
		}
	}
}

// TestDashboardCloseEndsStreams: a browser left open must not keep
// loadgate from exiting.
func TestDashboardCloseEndsStreams(t *testing.T) {
	d, err := StartDashboard("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	ev := openEvents(t, d)
	ev.next()
	start := time.Now()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v with a stream open", took)
	}
	if _, more := ev.next(); more {
		t.Error("stream still open after Close")
	}
	if _, err := http.Get(d.URL()); err == nil {
		t.Error("server still answers after Close")
	}
}

// TestDashboardKeep: a kept dashboard turns into the full report.
func TestDashboardKeep(t *testing.T) {
	d, err := StartDashboard("127.0.0.1:0", true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Finish(passResult(t))
	resp, err := http.Get(d.URL())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `id="chart-percentiles"`) {
		t.Error("kept dashboard does not serve the report")
	}
}

func TestLiveStateBoundsPoints(t *testing.T) {
	var s liveState
	for i := 1; i <= 3*maxLivePoints; i++ {
		s.progress(progressAt(i, float64(i)))
	}
	if len(s.points) > maxLivePoints {
		t.Errorf("%d points kept", len(s.points))
	}
	if s.points[len(s.points)-1].T != 3*maxLivePoints {
		t.Errorf("latest second lost: %d", s.points[len(s.points)-1].T)
	}
}
