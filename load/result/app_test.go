package result

import (
	"math"
	"testing"
	"time"
)

func TestRobustSlopeIgnoresOneStep(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8}
	for _, tc := range []struct {
		name string
		y    []float64
		want float64
	}{
		{"flat after an arena at the start", []float64{10, 20, 20, 20, 20, 20, 20, 20, 20}, 0},
		{"a steady leak", []float64{0, 5, 10, 15, 20, 25, 30, 35, 40}, 5},
		{"a leak after a step at the start", []float64{0, 105, 110, 115, 120, 125, 130, 135, 140}, 5},
		{"memory given back", []float64{40, 35, 30, 25, 20, 15, 10, 5, 0}, -5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, ok := RobustSlope(x, tc.y); !ok || got != tc.want {
				t.Errorf("RobustSlope = %v, %v; want %v", got, ok, tc.want)
			}
		})
	}
	// A step in the middle of a flat run is not a leak; a leak with a
	// step in it is still the leak.
	x12 := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	flat := []float64{10, 10, 10, 10, 10, 30, 30, 30, 30, 30, 30, 30}
	leak := []float64{0, 2, 4, 6, 8, 40, 42, 44, 46, 48, 50, 52}
	if got, _ := GrowthSlope(x12, flat); got != 0 {
		t.Errorf("GrowthSlope of a flat run with a step = %v", got)
	}
	if got, _ := GrowthSlope(x12, leak); got != 2 {
		t.Errorf("GrowthSlope of a leak with a step = %v", got)
	}
	if _, ok := RobustSlope([]float64{3, 3, 3}, []float64{1, 2, 3}); ok {
		t.Error("a slope over an x that does not vary")
	}
	// A long run is thinned, not squared: 86,400 seconds stay cheap.
	n := 86_400
	lx, ly := make([]float64, n), make([]float64, n)
	for i := range n {
		lx[i], ly[i] = float64(i), 3*float64(i)
	}
	if got, ok := RobustSlope(lx, ly); !ok || got != 3 {
		t.Errorf("long run: %v, %v", got, ok)
	}
}

func TestSetApp(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	rd := func(sec int, cpu float64, rss int64) AppReading {
		return AppReading{Sec: sec, At: t0.Add(time.Duration(sec) * time.Second), CPU: cpu, RSS: rss, Procs: 2}
	}
	mk := func() *Result {
		r := &Result{Total: &Stats{Name: "total", Requests: 400}}
		for s := 1; s <= 4; s++ {
			r.Timeline = append(r.Timeline, TimelinePt{T: s, RPS: 100})
		}
		return r
	}
	r := mk()
	r.SetApp("proc", "", []AppReading{rd(0, 10, 100<<20), rd(1, 10.5, 101<<20), rd(2, 11, 102<<20), rd(3, 11.5, 103<<20), rd(4, 12, 104<<20)})
	a := r.Total.App
	if a.CPUSeconds != 2 || a.CPUPerReqMS != 5 || a.CPUPct != 50 || a.RSSMaxBytes != 104<<20 || a.Processes != 2 || a.Seconds != 4 {
		t.Errorf("app %+v", a)
	}
	if a.RSSGrowthBytes == nil || *a.RSSGrowthBytes != float64(100<<20) { // 1 MiB per 100 requests
		t.Errorf("growth %v", a.RSSGrowthBytes)
	}
	if p := r.Timeline[1]; p.AppCPU != 50 || p.AppRSS != 102<<20 {
		t.Errorf("timeline %+v", p)
	}
	if v, ok := r.Total.Metric("app_cpu_per_req"); !ok || v != 5 {
		t.Errorf("app_cpu_per_req %v %v", v, ok)
	}

	if a.InstrPerReq != nil {
		t.Errorf("instructions per request %v from readings without a count", *a.InstrPerReq)
	}
	if why := a.NotMeasured("app_instr_per_req"); !contains(why, "instructions were not counted") {
		t.Errorf("NotMeasured(app_instr_per_req) = %q", why)
	}

	// Counted instructions: 2e6 per second at 100 requests a second.
	r = mk()
	var counted []AppReading
	for s := 0; s <= 4; s++ {
		x := rd(s, 10+0.5*float64(s), 100<<20)
		x.Instr, x.InstrOK = 7e9+2e6*float64(s), true
		counted = append(counted, x)
	}
	r.SetApp("cgroup", "", counted)
	if v, ok := r.Total.Metric("app_instr_per_req"); !ok || v != 20000 {
		t.Errorf("app_instr_per_req %v %v", v, ok)
	}
	pooled := poolApp([]*Result{r, r})
	if pooled.InstrPerReq == nil || *pooled.InstrPerReq != 20000 {
		t.Errorf("pooled %+v", pooled)
	}
	uncounted := mk()
	uncounted.SetApp("cgroup", "", []AppReading{rd(0, 10, 1), rd(4, 12, 1)})
	uncounted.Total.App.InstrUnavailable = "no PMU"
	if pooled = poolApp([]*Result{r, uncounted}); pooled.InstrPerReq != nil || pooled.InstrUnavailable != "no PMU" {
		t.Errorf("pooled with a run whose instructions were not counted: %+v", pooled)
	}

	// The start was not read: the CPU is set against the requests of the
	// seconds the readings span, not all of the run's.
	r = mk()
	r.SetApp("prometheus", "", []AppReading{rd(1, 10, 1), rd(2, 10.5, 1), rd(4, 11.5, 1)})
	if a := r.Total.App; math.Abs(a.CPUPerReqMS-5) > 1e-9 {
		t.Errorf("partial readings: %+v", a)
	}

	// A measured time of 4.5 s: the last reading is numbered 5, at the end,
	// and covers the requests of the partial second too (450).
	r = mk()
	r.DurationS, r.Total.Requests = 4.5, 450
	end := rd(5, 12.25, 104<<20)
	end.At = t0.Add(4500 * time.Millisecond)
	r.SetApp("cgroup", "", []AppReading{rd(0, 10, 100<<20), rd(1, 10.5, 101<<20), rd(2, 11, 102<<20), rd(3, 11.5, 103<<20), rd(4, 12, 104<<20), end})
	if a := r.Total.App; math.Abs(a.CPUPerReqMS-5) > 1e-9 || a.Seconds != 4.5 {
		t.Errorf("partial last second read at the end: %+v", a)
	}
	// Interrupted at 4.5 s without a reading at the end: the CPU up to the
	// last whole second against that second's requests, not all 450.
	r = mk()
	r.DurationS, r.Total.Requests = 4.5, 450
	r.SetApp("cgroup", "", []AppReading{rd(0, 10, 100<<20), rd(1, 10.5, 101<<20), rd(2, 11, 102<<20), rd(3, 11.5, 103<<20), rd(4, 12, 104<<20)})
	if a := r.Total.App; math.Abs(a.CPUPerReqMS-5) > 1e-9 {
		t.Errorf("partial last second not read: %+v", a)
	}

	for _, tc := range []struct {
		name        string
		unavailable string
		readings    []AppReading
		metric      string
		why         string
	}{
		{"unavailable", "cgroup: gone", nil, "app_cpu", "the app was not measured: cgroup: gone"},
		{"one reading", "", []AppReading{rd(0, 1, 1)}, "app_cpu", "1 readings"},
		{"two readings: no growth", "", []AppReading{rd(0, 1, 1), rd(1, 2, 1)}, "app_rss_growth", "at least 3 seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mk()
			r.SetApp("proc", tc.unavailable, tc.readings)
			why := r.Total.App.NotMeasured(tc.metric)
			if why == "" || !contains(why, tc.why) {
				t.Errorf("NotMeasured = %q, want %q", why, tc.why)
			}
			if _, ok := r.Total.Metric(tc.metric); ok {
				t.Errorf("%s has a value without a measurement", tc.metric)
			}
		})
	}
	var none *AppStats
	if none.NotMeasured("app_cpu") == "" {
		t.Error("an app never read has a value")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestSizes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		err  bool
	}{
		{"300MiB", 300 << 20, false}, {"1.5GiB", 1.5 * (1 << 30), false}, {"512KiB", 512 << 10, false},
		{"2MB", 2 << 20, false}, {"-1MiB", -(1 << 20), false}, {"300", 0, true}, {"MiB", 0, true},
		{"1TiB", 0, true}, {"NaNMiB", 0, true}, {"1e400MiB", 0, true},
	} {
		got, err := ParseBytes("app_rss_growth", tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseBytes(%q) = %v, %v", tc.in, got, err)
		}
	}
	if _, err := ParseBytes("app_rss_max", "-1MiB"); err == nil {
		t.Error("a negative peak")
	}
	for v, want := range map[float64]string{0: "0B", math.Copysign(0, -1): "0B", -512: "-512B", 512: "512B", 1536: "1.5KiB", 300 << 20: "300MiB", -(2 << 20): "-2MiB", 212.44 * (1 << 20): "212.4MiB"} {
		if got := FormatBytes(v); got != want {
			t.Errorf("FormatBytes(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestHistoryEntryKeepsTheAppsCost(t *testing.T) {
	g := 2048.0
	r := &Result{Total: &Stats{Name: "total", Requests: 10, App: &AppStats{Source: "proc", CPUPerReqMS: 1.5, RSSMaxBytes: 1 << 20, RSSGrowthBytes: &g}},
		Endpoints: []*Stats{{Name: "/a", Requests: 10}}}
	e := r.Entry()
	if m := e.Metrics["total"]; m["app_cpu_per_req"] != 1.5 || m["app_rss_max"] != 1<<20 || m["app_rss_growth"] != 2048 {
		t.Errorf("total %v", m)
	}
	if _, ok := e.Metrics["/a"]["app_cpu_per_req"]; ok {
		t.Error("an endpoint with the app's cost")
	}
	r.Total.App = &AppStats{Unavailable: "gone"}
	if _, ok := r.Entry().Metrics["total"]["app_cpu_per_req"]; ok {
		t.Error("an unmeasured app in the history")
	}
}
