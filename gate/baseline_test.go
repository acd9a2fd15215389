package gate

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// fiveRuns is a baseline of five demo-like runs; factors (one per run)
// scale the items endpoint, as a machine that drifts between runs would.
func fiveRuns(t *testing.T, factors ...float64) *result.Baseline {
	if len(factors) == 0 {
		factors = []float64{1, 1, 1, 1, 1}
	}
	b := &result.Baseline{}
	for i, f := range factors {
		b.Append(demoRun(t, uint64(100+i), f), 10)
	}
	return b
}

func TestCompareBaselineAA(t *testing.T) {
	// Unchanged builds: thirty runs against a baseline of five never fail.
	b := fiveRuns(t)
	for seed := uint64(1); seed <= 30; seed++ {
		v, err := CompareBaseline(demoRun(t, seed, 1), b, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if f := Failed(v); len(f) > 0 {
			t.Errorf("seed %d: unchanged build failed: %s: %s", seed, Describe(f[0]), f[0].Reason)
		}
	}
}

func TestCompareBaselineDecisions(t *testing.T) {
	for _, c := range []struct {
		name          string
		base          *result.Baseline
		cur           *result.Result
		scope, metric string
		want          string
		reason        string
	}{
		{"items 30% slower fails", fiveRuns(t), demoRun(t, 1, 1.3), "/items/[item_id]", "p95", StatusFail, "beyond tolerance 10% and noise"},
		{"total p95 follows the items", fiveRuns(t), demoRun(t, 1, 1.3), "total", "p95", StatusFail, "p95 +"},
		{"3% slower passes", fiveRuns(t), demoRun(t, 1, 1.03), "/items/[item_id]", "p95", StatusPass, "within tolerance 10%"},
		{"a faster build passes", fiveRuns(t), demoRun(t, 1, 0.7), "/items/[item_id]", "p95", StatusPass, "p95 -"},
		{"15% inside ±15% run-to-run noise is inconclusive", fiveRuns(t, 0.8, 1.2, 0.9, 1.1, 1.0), demoRun(t, 1, 1.15),
			"/items/[item_id]", "p95", StatusInconclusive, "the 5 baseline runs vary by ±"},
		{"one baseline run: sampling noise only, a clear regression still fails", baselineOf(demoRun(t, 100, 1)), demoRun(t, 1, 1.3),
			"/items/[item_id]", "p95", StatusFail, "beyond tolerance"},
		{"throughput 28% down fails", fiveRuns(t),
			synth(t, 1, synthRun{seconds: 10, rps: 130, eps: demoEPs(1)}), "total", "rps", StatusFail, "rps -"},
		{"failures from 0% to 3% fail in points", fiveRuns(t),
			synth(t, 1, synthRun{seconds: 10, rps: 180, eps: withFailures(demoEPs(1), 0.03)}), "total", "failure_rate", StatusFail, "pts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := CompareBaseline(c.cur, c.base, Options{})
			if err != nil {
				t.Fatal(err)
			}
			ch := checkOf(t, v, c.scope, c.metric)
			if ch.Status != c.want || !strings.Contains(ch.Reason, c.reason) {
				t.Errorf("%s: %s (%s), want %s with %q", Describe(ch), ch.Status, ch.Reason, c.want, c.reason)
			}
			// A failure rate rising from zero has no relative change.
			if ch.Source != "baseline" || ch.Baseline == nil || (ch.DeltaPct == nil) != (*ch.Baseline == 0 && ch.Metric == "failure_rate") {
				t.Errorf("check lacks baseline fields: %+v", ch)
			}
			// Its op says which side of the limit is acceptable.
			wantOp := "<="
			if ch.Metric == "rps" {
				wantOp = ">="
			}
			if ch.Op != wantOp {
				t.Errorf("%s %s: op %q, want %q", ch.Scope, ch.Metric, ch.Op, wantOp)
			}
			if !strings.Contains(ch.Reason, "[") {
				t.Errorf("reason gives no interval: %s", ch.Reason)
			}
		})
	}
}

func withFailures(eps []synthEP, p float64) []synthEP {
	for i := range eps {
		eps[i].failP = p
	}
	return eps
}

func TestCompareBaselineLimitsAndDelta(t *testing.T) {
	v, err := CompareBaseline(demoRun(t, 1, 1.3), fiveRuns(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p95 := checkOf(t, v, "/items/[item_id]", "p95")
	if want := *p95.Baseline * 1.1; math.Abs(p95.Limit-want) > 1e-9 {
		t.Errorf("p95 limit %g, want baseline × 1.1 = %g", p95.Limit, want)
	}
	if d := *p95.DeltaPct; d < 25 || d > 35 {
		t.Errorf("p95 delta %g%%, want about +30%%", d)
	}
	rps := checkOf(t, v, "total", "rps")
	if want := *rps.Baseline * 0.9; math.Abs(rps.Limit-want) > 1e-9 {
		t.Errorf("rps limit %g, want baseline × 0.9", rps.Limit)
	}
	fr := checkOf(t, v, "total", "failure_rate")
	if fr.Limit != *fr.Baseline+0.5 || fr.Unit != "%" {
		t.Errorf("failure_rate limit %g unit %q, want baseline + 0.5 points", fr.Limit, fr.Unit)
	}
	// Four default metrics for the total, three for each of the three
	// endpoints (throughput is the total's alone).
	if len(v.Checks) != 13 {
		t.Errorf("%d checks, want 13", len(v.Checks))
	}
	if v.Status != StatusFail {
		t.Errorf("status %s", v.Status)
	}
}

func TestCompareBaselineConfiguredTolerance(t *testing.T) {
	tol := map[string]config.Tolerance{"p50": {Pct: 5}, "avg": {Pct: 50}}
	v, err := CompareBaseline(demoRun(t, 1, 1), fiveRuns(t), Options{Tolerance: tol})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range v.Checks {
		if c.Metric != "p50" && c.Metric != "avg" {
			t.Errorf("unexpected metric %s", c.Metric)
		}
	}
	if len(v.Checks) != 8 {
		t.Errorf("%d checks, want 8", len(v.Checks))
	}
}

func TestCompareBaselineWorkload(t *testing.T) {
	cur := demoRun(t, 1, 1)
	other := synth(t, 2, synthRun{seconds: 10, rps: 180, eps: demoEPs(1), hash: "sha256:other"})
	_, err := CompareBaseline(cur, baselineOf(other), Options{File: "base.json"})
	var pe *PosError
	if !errors.As(err, &pe) || pe.File != "base.json" ||
		!strings.Contains(err.Error(), "another workload") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("want a located refusal naming --force, got %v", err)
	}
	v, err := CompareBaseline(cur, baselineOf(other), Options{File: "base.json", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(v, "--force") || len(v.Checks) == 0 {
		t.Errorf("forced comparison: warnings %q, %d checks", v.Warnings, len(v.Checks))
	}
}

func TestCompareBaselineWarnings(t *testing.T) {
	cur := demoRun(t, 1, 1)
	elsewhere := synth(t, 2, synthRun{seconds: 10, rps: 180, eps: demoEPs(1), cpu: "Other CPU"})
	elsewhere.Provenance.RunnerOS = "macOS"
	broken := demoRun(t, 3, 1)
	broken.Interrupted = true
	v, err := CompareBaseline(cur, baselineOf(elsewhere, broken), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"different CPU (Other CPU)", "runner OS (macOS)", "1 interrupted", "too few to measure the machine's run-to-run noise"} {
		if !hasWarning(v, w) {
			t.Errorf("no warning with %q in %q", w, v.Warnings)
		}
	}
	if _, err := CompareBaseline(cur, baselineOf(broken), Options{}); err == nil {
		t.Error("a baseline of interrupted runs only was accepted")
	}
}

func TestCompareBaselineNoData(t *testing.T) {
	cur := demoRun(t, 1, 1)
	cur.Endpoints = append(cur.Endpoints, &result.Stats{Name: "/new"})
	base := fiveRuns(t)
	for _, r := range base.Results {
		r.Endpoints = append(r.Endpoints, &result.Stats{Name: "/new", Requests: 40, RPS: 4})
	}
	v, err := CompareBaseline(cur, base, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := checkOf(t, v, "/new", "requests")
	if c.Status != StatusInconclusive || !strings.Contains(c.Reason, "no requests in this run") {
		t.Errorf("no-data check: %+v", c)
	}
}

func hasWarning(v *result.Verdict, sub string) bool {
	for _, w := range v.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// contended is a sub-millisecond handler on a busy machine: one request in
// eight waits 1–6 ms for a CPU.
func contended(median float64) func(r *rand.Rand) float64 {
	fast := lognormal(median, 0.25)
	return func(r *rand.Rand) float64 {
		v := fast(r)
		if r.IntN(8) == 0 {
			v += 1 + 5*r.Float64()
		}
		return v
	}
}

// TestCompareBaselineBusyMachine is the A/A run that a quiet baseline
// cannot explain: the whole run on a busy machine multiplies the fast
// handlers' p95 several times. Scheduler jitter, not the code: no fail.
func TestCompareBaselineBusyMachine(t *testing.T) {
	eps := demoEPs(1)
	eps[0].lat, eps[1].lat = contended(0.32), contended(0.28)
	cur := synth(t, 9, synthRun{seconds: 10, rps: 180, eps: eps})
	v, err := CompareBaseline(cur, fiveRuns(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := checkOf(t, v, "/hello_world", "p95")
	if *c.DeltaPct < 200 {
		t.Fatalf("the busy run's p95 is only %+.0f%%; the test needs a large shift", *c.DeltaPct)
	}
	if f := Failed(v); len(f) > 0 {
		t.Errorf("busy machine failed %s: %s", Describe(f[0]), f[0].Reason)
	}
	if !strings.Contains(c.Reason, "scheduler delay") {
		t.Errorf("reason does not name the jitter: %s", c.Reason)
	}
}

// TestCompareBaselineSlowHandler: a 20 ms handler twice as slow is far
// beyond any scheduler jitter and fails.
func TestCompareBaselineSlowHandler(t *testing.T) {
	run := func(seed uint64, f float64) *result.Result {
		return synth(t, seed, synthRun{seconds: 10, rps: 100, eps: []synthEP{
			{name: "/api", share: 1, lat: lognormal(20, 0.2), factor: f}}})
	}
	b := &result.Baseline{}
	for i := range 5 {
		b.Append(run(uint64(50+i), 1), 5)
	}
	v, err := CompareBaseline(run(1, 2), b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := checkOf(t, v, "/api", "p95"); c.Status != StatusFail {
		t.Errorf("2× slower 20 ms handler: %s: %s", c.Status, c.Reason)
	}
}

// TestThresholdChecksCarryBaseline: compared with a baseline, a threshold
// check carries the baseline's value of its metric and the change from
// it, the same as a baseline check of that metric shows; its status does
// not change; and every check's op is a real operator.
func TestThresholdChecksCarryBaseline(t *testing.T) {
	// Two of the five kept runs had failures: the median run had none.
	fail := func(seed uint64) *result.Result {
		return synth(t, seed, synthRun{seconds: 10, rps: 180, eps: withFailures(demoEPs(1), 0.03)})
	}
	b := baselineOf(demoRun(t, 100, 1), fail(101), demoRun(t, 102, 1), fail(103), demoRun(t, 104, 1))
	cur := demoRun(t, 1, 1.3)
	specs := []config.ThresholdSpec{
		{Scope: "total", Expr: "p95 < 500ms"},
		{Scope: "/items/[item_id]", Expr: "p95 < 60ms"}, // fails: 30% slower than 50 ms
		{Scope: "/items/[item_id]", Expr: "p90 < 1s"},   // a metric without a baseline check
		{Scope: "total", Expr: "rps > 1"},
		{Scope: "total", Expr: "failures < 1"},
		{Scope: "total", Expr: "failure_rate < 1%"},
	}
	ths, err := Compile(specs, []string{"/create_item", "/hello_world", "/items/[item_id]"}, "")
	if err != nil {
		t.Fatal(err)
	}
	// An endpoint the baseline never saw: its check keeps null.
	cur.Endpoints = append(cur.Endpoints, &result.Stats{Name: "/new"})
	ths = append(ths, Threshold{Scope: "/new", Metric: "p95", Op: "<", Limit: 500, Unit: "ms"})

	tv := Evaluate(cur, ths)
	before := make([]string, len(tv.Checks))
	for i, c := range tv.Checks {
		before[i] = c.Status
		if c.Baseline != nil || c.DeltaPct != nil {
			t.Fatalf("%s: baseline fields before any comparison", Describe(c))
		}
	}
	bv, err := CompareBaseline(cur, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	FillThresholdBaselines(tv, cur, b, Options{})
	for i, c := range tv.Checks {
		if c.Status != before[i] {
			t.Errorf("%s: status %s became %s", Describe(c), before[i], c.Status)
		}
	}
	if tv.Checks[1].Status != StatusFail {
		t.Errorf("%s: %s, want fail", Describe(tv.Checks[1]), tv.Checks[1].Status)
	}
	// Where a baseline check of the same metric exists, the values agree.
	for _, c := range tv.Checks[:6] {
		if c.Baseline == nil {
			t.Errorf("%s: no baseline", Describe(c))
			continue
		}
		for _, bc := range bv.Checks {
			if bc.Scope != c.Scope || bc.Metric != c.Metric {
				continue
			}
			if *bc.Baseline != *c.Baseline || (bc.DeltaPct == nil) != (c.DeltaPct == nil) ||
				(bc.DeltaPct != nil && *bc.DeltaPct != *c.DeltaPct) {
				t.Errorf("%s: baseline %v delta %v, but %s: baseline %v delta %v", Describe(c), *c.Baseline, c.DeltaPct,
					Describe(bc), *bc.Baseline, bc.DeltaPct)
			}
		}
	}
	// p90 has no baseline check: the median of the kept runs' p90.
	p90 := tv.Checks[2]
	var vals []float64
	for _, r := range b.Results {
		vals = append(vals, r.Endpoint("/items/[item_id]").LatencyMS.P90)
	}
	if want := median(vals); *p90.Baseline != want {
		t.Errorf("p90 baseline %g, want the runs' median %g", *p90.Baseline, want)
	} else if want := (p90.Measured/want - 1) * 100; p90.DeltaPct == nil || math.Abs(*p90.DeltaPct-want) > 1e-3 {
		t.Errorf("p90 delta %v, want %.3f", p90.DeltaPct, want)
	}
	if d := *tv.Checks[0].DeltaPct; d < 5 || d > 40 {
		t.Errorf("total p95 delta %g%%, want a rise from the slower items", d)
	}
	// failures: the median kept run had none, nor has this run.
	if f := tv.Checks[4]; *f.Baseline != 0 || f.DeltaPct == nil || *f.DeltaPct != 0 {
		t.Errorf("failures: baseline %v delta %v, want 0 and 0", *f.Baseline, f.DeltaPct)
	}
	if c := tv.Checks[6]; c.Baseline != nil || c.DeltaPct != nil {
		t.Errorf("%s: baseline %v delta %v for a scope the baseline lacks", Describe(c), c.Baseline, c.DeltaPct)
	}

	all := Combine(tv, bv, MissingBaseline("b.json", "fail"))
	for _, c := range all.Checks {
		switch {
		case c.Op == "<", c.Op == "<=", c.Op == ">", c.Op == ">=":
		case c.Op == "exists" && c.Scope == "baseline" && c.Metric == "file":
		default:
			t.Errorf("%s %s: op %q is not an operator", c.Scope, c.Metric, c.Op)
		}
	}
}
