package gate

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// withApp gives a synthetic run the app's readings: cpuMS of CPU per
// request with a per-second scatter of sd (relative), and memory that
// grows by leak bytes per request.
func withApp(r *result.Result, rng *rand.Rand, cpuMS, sd float64, leak int64) *result.Result {
	t0 := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	rd := []result.AppReading{{At: t0, RSS: 50 << 20, Procs: 1}}
	cpu, rss := 0.0, int64(50<<20)
	for _, p := range r.Timeline {
		cpu += p.RPS * cpuMS / 1000 * math.Exp(sd*rng.NormFloat64())
		rss += int64(p.RPS) * leak
		rd = append(rd, result.AppReading{Sec: p.T, At: t0.Add(time.Duration(p.T) * time.Second), CPU: cpu, RSS: rss, Procs: 1})
	}
	r.SetApp("cgroup", "", rd)
	return r
}

var appTol = map[string]config.Tolerance{"app_cpu_per_req": {Pct: 5}, "app_rss_growth": {Pct: 1 << 20, Absolute: true}}

func TestCompareBaselineAppMetrics(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var kept []*result.Result
	for i := range 5 {
		kept = append(kept, withApp(demoRun(t, uint64(100+i), 1), rng, 1.5, 0.05, 0))
	}
	base := baselineOf(kept...)
	for _, tc := range []struct {
		name   string
		cur    *result.Result
		metric string
		status string
		reason string
	}{
		{"unchanged", withApp(demoRun(t, 200, 1), rng, 1.5, 0.05, 0), "app_cpu_per_req", "not fail", ""},
		{"30% more CPU per request", withApp(demoRun(t, 201, 1), rng, 1.95, 0.05, 0), "app_cpu_per_req", StatusFail, "beyond tolerance"},
		{"a leak of 1 KiB per request", withApp(demoRun(t, 202, 1), rng, 1.5, 0.05, 1024), "app_rss_growth", StatusFail, "beyond tolerance"},
		{"no leak", withApp(demoRun(t, 203, 1), rng, 1.5, 0.05, 0), "app_rss_growth", "not fail", ""},
		{"this run did not measure the app", demoRun(t, 204, 1), "app_cpu_per_req", StatusFail, "no data: the app was not measured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := CompareBaseline(tc.cur, base, Options{Tolerance: appTol})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range v.Checks {
				if c.Scope != "total" && strings.HasPrefix(c.Metric, "app_") {
					t.Errorf("an app metric compared per endpoint: %+v", c)
				}
			}
			c := checkOf(t, v, "total", tc.metric)
			if tc.status == "not fail" && c.Status != StatusFail {
				return
			}
			if c.Status != tc.status || !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("%s: %s %q, want %s %q", tc.metric, c.Status, c.Reason, tc.status, tc.reason)
			}
		})
	}
	// Kept runs from before the app was measured: cannot tell, not a fail.
	v, err := CompareBaseline(withApp(demoRun(t, 205, 1), rng, 1.5, 0.05, 0), baselineOf(demoRun(t, 300, 1), demoRun(t, 301, 1)), Options{Tolerance: appTol})
	if err != nil {
		t.Fatal(err)
	}
	if c := checkOf(t, v, "total", "app_cpu_per_req"); c.Status != StatusInconclusive || !strings.Contains(c.Reason, "no kept run has app_cpu_per_req") {
		t.Errorf("old baseline: %+v", c)
	}
}

func TestCompareABAppCPU(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	pairs := func(seed uint64, factor float64, measureHead bool) ABInput {
		var in ABInput
		for i := range 6 {
			drift := 1 + 0.1*float64(i%3) // the machine's own drift, shared by a pair
			b := withApp(demoRun(t, seed+uint64(2*i), 1), rng, 1.5*drift, 0.05, 0)
			h := demoRun(t, seed+uint64(2*i+1), 1)
			if measureHead {
				h = withApp(h, rng, 1.5*drift*factor, 0.05, 0)
			}
			in.Base, in.Head = append(in.Base, b), append(in.Head, h)
		}
		return in
	}
	tol := Options{Tolerance: map[string]config.Tolerance{"app_cpu_per_req": {Pct: 3}}}
	caught := 0
	for seed := uint64(1); seed <= 5; seed++ {
		v, err := CompareAB(pairs(seed*1000, 1.10, true), tol)
		if err != nil {
			t.Fatal(err)
		}
		if c := checkOf(t, v, "total", "app_cpu_per_req"); c.Status == StatusFail {
			caught++
		}
		v, err = CompareAB(pairs(seed*1000+500, 1, true), tol)
		if err != nil {
			t.Fatal(err)
		}
		if c := checkOf(t, v, "total", "app_cpu_per_req"); c.Status == StatusFail {
			t.Errorf("seed %d: identical builds failed: %s", seed, c.Reason)
		}
	}
	if caught < 5 {
		t.Errorf("+10%% CPU per request caught in %d of 5", caught)
	}
	v, err := CompareAB(pairs(77, 1, false), tol)
	if err != nil {
		t.Fatal(err)
	}
	if c := checkOf(t, v, "total", "app_cpu_per_req"); c.Status != StatusFail || !strings.Contains(c.Reason, "round 1 of the head build") {
		t.Errorf("a round without the app: %+v", c)
	}
}
