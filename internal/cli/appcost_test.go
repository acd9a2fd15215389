package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/internal/testenv"
	"github.com/loadgate/loadgate/load/result"
)

// treeCPU is the test's own reading of a process group's CPU seconds:
// utime+stime+cutime+cstime of every process whose group is pgid, from
// /proc/PID/stat, independently of loadgate's meters.
func treeCPU(pgid int) (float64, int) {
	ents, _ := os.ReadDir("/proc")
	var ticks int64
	n := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 15 || f[2] != strconv.Itoa(pgid) {
			continue
		}
		for _, k := range []int{11, 12, 13, 14} {
			v, _ := strconv.ParseInt(f[k], 10, 64)
			ticks += v
		}
		n++
		_ = pid
	}
	return float64(ticks) / 100, n
}

type cpuPoint struct {
	at  time.Time
	cpu float64
}

// pollTree reads the group's CPU every 10 ms until stop is closed, once
// the pid file names the group.
func pollTree(pidFile string, stop <-chan struct{}) func() []cpuPoint {
	var mu sync.Mutex
	var pts []cpuPoint
	done := make(chan struct{})
	go func() {
		defer close(done)
		pgid := 0
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if pgid == 0 {
				b, err := os.ReadFile(pidFile)
				if err != nil {
					continue
				}
				if pgid, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
					pgid = 0
					continue
				}
			}
			if cpu, n := treeCPU(pgid); n > 0 {
				mu.Lock()
				pts = append(pts, cpuPoint{time.Now(), cpu})
				mu.Unlock()
			}
		}
	}()
	return func() []cpuPoint { <-done; mu.Lock(); defer mu.Unlock(); return pts }
}

// cpuAt interpolates the polled CPU at a moment.
func cpuAt(pts []cpuPoint, at time.Time) (float64, bool) {
	i := sort.Search(len(pts), func(i int) bool { return !pts[i].at.Before(at) })
	if i == 0 || i == len(pts) {
		return 0, false
	}
	a, b := pts[i-1], pts[i]
	f := float64(at.Sub(a.at)) / float64(b.at.Sub(a.at))
	return a.cpu + f*(b.cpu-a.cpu), true
}

// costConfig is the FastAPI app under a shell that writes the group's id
// first: exec keeps the pid, which is the process group loadgate makes.
func costConfig(t *testing.T, port, workers int, metrics bool, pidFile string) string {
	app, err := filepath.Abs("testdata/fastapi")
	if err != nil {
		t.Fatal(err)
	}
	m := ""
	if metrics {
		m = fmt.Sprintf("  metrics: http://127.0.0.1:%d/metrics\n", port)
	}
	cfg := fmt.Sprintf(`version: 1
target:
  url: http://127.0.0.1:%[1]d
%[4]s  start:
    command: sh -c 'echo $$$$ > %[3]s; exec uvicorn main:app --host 127.0.0.1 --port %[1]d --workers %[2]d --log-level warning'
    dir: %[5]s
    env: {APP_WORK: "500"}
    ready: {url: "http://127.0.0.1:%[1]d/hello", timeout: 30s}
    stop_timeout: 5s
load: {warmup: 1s, duration: 5s, arrival_rate: 120, users: 30}
tasks: [{get: /hello}]
thresholds:
  total: [app_cpu_per_req < 1s, app_rss_max < 2GiB]
`, port, workers, pidFile, m, app)
	p := filepath.Join(t.TempDir(), "cost.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAppCPUMatchesAnIndependentReading: the app's CPU seconds over the
// measured time, as loadgate reads them (its cgroup, /proc, or the app's
// Prometheus metrics), against the test's own /proc readings of the
// process group interpolated at the same moments: within 2 % (5 % for a
// scrape, which lands a few milliseconds after its second's cut).
func TestAppCPUMatchesAnIndependentReading(t *testing.T) {
	needUvicorn(t)
	for _, tc := range []struct {
		name    string
		workers int
		env     []string
		metrics bool
		source  []string
		within  float64
	}{
		{"one process", 1, nil, false, []string{"cgroup", "proc"}, 0.02},
		{"two forked workers", 2, nil, false, []string{"cgroup", "proc"}, 0.02},
		{"one process from /proc", 1, []string{"LOADGATE_APP_METER=proc"}, false, []string{"proc"}, 0.02},
		{"two workers from /proc", 2, []string{"LOADGATE_APP_METER=proc"}, false, []string{"proc"}, 0.02},
		{"prometheus metrics", 1, nil, true, []string{"prometheus"}, 0.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// In parallel: both readings count the same CPU, so the
			// cases' load on each other does not move the comparison.
			t.Parallel()
			port := freePort(t)
			pidFile := filepath.Join(t.TempDir(), "app.pid")
			cfg := costConfig(t, port, tc.workers, tc.metrics, pidFile)
			out := filepath.Join(t.TempDir(), "r.json")
			stop := make(chan struct{})
			polled := pollTree(pidFile, stop)
			code, stdout, stderr := runBin(t, ".", tc.env, "-c", cfg, "-q", "--out", out)
			close(stop)
			pts := polled()
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("exit %d: %v\n%s%s", code, err, stdout, stderr)
			}
			var r result.Result
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			a := r.Total.App
			if code != 0 || a == nil || a.Unavailable != "" {
				t.Fatalf("exit %d, app %+v\n%s%s", code, a, stdout, stderr)
			}
			if !contains(tc.source, a.Source) {
				t.Errorf("source %q, want one of %v", a.Source, tc.source)
			}
			from, ok1 := cpuAt(pts, a.From)
			to, ok2 := cpuAt(pts, a.To)
			if !ok1 || !ok2 {
				t.Fatalf("the test's readings (%d) do not span %s–%s", len(pts), a.From, a.To)
			}
			want := to - from
			diff := math.Abs(a.CPUSeconds-want) / want
			t.Logf("%s: loadgate %s %.3f CPU-s (%.3f ms/request, %d processes), /proc %.3f CPU-s: %.2f %% apart",
				tc.name, a.Source, a.CPUSeconds, a.CPUPerReqMS, a.Processes, want, 100*diff)
			if want < 0.5 || diff > tc.within {
				t.Errorf("loadgate read %.3f CPU-s, the test %.3f: %.1f %% apart (at most %.0f %%)", a.CPUSeconds, want, 100*diff, 100*tc.within)
			}
			if tc.workers > 1 && !tc.metrics && a.Processes < tc.workers+1 {
				t.Errorf("%d processes seen; the master and %d workers run", a.Processes, tc.workers)
			}
		})
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestAppRSSGrowthCatchesALeak: the app keeping 50 KiB per request fails
// app_rss_growth < 64MiB (per 10,000 requests it grows by about 490 MiB);
// the same app without the leak passes it. The limit leaves room for a
// test suite's contention, under which a starved app queues requests and
// takes memory once; bench/appcost.sh leak shows 1MiB separating them on
// a quiet machine.
func TestAppRSSGrowthCatchesALeak(t *testing.T) {
	for _, tc := range []struct {
		leak string
		code int
	}{{"50", 1}, {"0", 0}} {
		t.Run("leak "+tc.leak+" KiB", func(t *testing.T) {
			t.Parallel()
			code, r, out := runExample(t, "examples/fastapi/cost.yml", "APP_LEAK_KB="+tc.leak, "DURATION=10s", "WARMUP=1s", "RATE=100", "GROWTH=64MiB")
			a := r.Total.App
			if code != tc.code || a == nil || a.RSSGrowthBytes == nil {
				t.Fatalf("exit %d (want %d), app %+v\n%s", code, tc.code, a, out)
			}
			var growth result.Check
			for _, c := range r.Verdict.Checks {
				if c.Metric == "app_rss_growth" {
					growth = c
				}
			}
			t.Logf("leak %s KiB/request: app_rss_growth %.0f bytes per 10,000 requests, rss max %d, %s", tc.leak, *a.RSSGrowthBytes, a.RSSMaxBytes, growth.Status)
			if want := map[int]string{0: "pass", 1: "fail"}[tc.code]; growth.Status != want {
				t.Errorf("app_rss_growth check %+v, want %s", growth, want)
			}
		})
	}
}

// TestAppMetricWithoutAMeasurementFails: a gate on the app's cost fails
// when nothing could be measured, and says why: no app started and no
// metrics named; metrics that cannot be reached; metrics that are not
// process metrics; metrics that need credentials the config lacks. Each
// run ends in its measured time (the meter never holds the run).
func TestAppMetricWithoutAMeasurementFails(t *testing.T) {
	url := demoApp(t)
	notMetrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html></html>") }))
	defer notMetrics.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	for _, tc := range []struct {
		name, metrics, why string
	}{
		{"nothing to measure", "", "no data: the app was not measured: loadgate measures an app it starts (target.start) or one that exports its process metrics (target.metrics)"},
		{"metrics refused", "http://" + testenv.RefusedAddr + "/metrics", "no data: the app was not measured: prometheus: target.metrics:"},
		{"not process metrics", notMetrics.URL + "/metrics", "has no process_cpu_seconds_total"},
		{"metrics too slow", slow.URL + "/metrics", "deadline exceeded"},
		{"metrics answer 401", url + "/protected_data", "answered 40"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m := ""
			if tc.metrics != "" {
				m = ", metrics: " + tc.metrics
			}
			cfg := filepath.Join(dir, "l.yml")
			yml := fmt.Sprintf("target: {url: %s%s}\nload: {duration: 2s, users: 2}\nwait_time: between 5ms 20ms\ntasks: [{get: /hello}]\nthresholds: {total: [app_cpu < 80%%, p95 < 1s]}\n", url, m)
			if err := os.WriteFile(cfg, []byte(yml), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "r.json")
			start := time.Now()
			code, stdout, stderr := runLG(t, "-q", "-c", cfg, "--out", out)
			if took := time.Since(start); took > 6*time.Second {
				t.Errorf("the run took %s", took)
			}
			r := readResult(t, out)
			c := r.Verdict.Checks[0]
			if code != 1 || c.Metric != "app_cpu" || c.Status != "fail" || !strings.Contains(c.Reason, tc.why) {
				t.Fatalf("exit %d, check %+v, want a fail saying %q\n%s%s", code, c, tc.why, stdout, stderr)
			}
			if p95 := r.Verdict.Checks[1]; p95.Status != "pass" {
				t.Errorf("the latency check: %+v", p95)
			}
			if !strings.Contains(stdout+stderr, "no data") {
				t.Errorf("the output does not say the app had no data:\n%s%s", stdout, stderr)
			}
		})
	}
}
