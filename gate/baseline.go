package gate

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// Options configure a baseline or A/B comparison.
type Options struct {
	// Tolerance maps a metric to how much worse than the baseline is still
	// a pass; empty means DefaultTolerance.
	Tolerance map[string]config.Tolerance
	// Force compares a baseline of another workload, with a warning,
	// instead of refusing it.
	Force bool
	// Alpha is the family-wise error rate; 0 means DefaultAlpha.
	Alpha float64
	// File names the baseline in messages.
	File string
}

// DefaultTolerance is used when the config sets no baseline.tolerance: the
// contract's example values. p99 gets twice p95's room because a tail
// percentile rests on a tenth as many requests.
func DefaultTolerance() map[string]config.Tolerance {
	return map[string]config.Tolerance{
		"p95":          {Pct: 10},
		"p99":          {Pct: 20},
		"rps":          {Pct: 10},
		"failure_rate": {Pct: 0.5, Absolute: true},
	}
}

// toleranceOrder is the order of baseline checks within a scope: the
// metric table's.
var toleranceOrder = result.MetricNames(true)

// unitOfMetric is the unit of a metric's checks ("ms", "/s", "%").
func unitOfMetric(name string) string { m, _ := result.Lookup(name); return m.Unit() }

// metrics returns the configured tolerances in check order.
func (o Options) metrics() []string {
	tol := o.tolerance()
	var out []string
	for _, m := range toleranceOrder {
		if _, ok := tol[m]; ok {
			out = append(out, m)
		}
	}
	return out
}

// metricsFor returns the metrics compared for a scope. Throughput is
// compared for the total only: an endpoint's request rate is its task
// weight's share of the total, so its own check would add nothing but the
// binomial noise of the weighted choice.
func (o Options) metricsFor(scope string) []string {
	var out []string
	for _, m := range o.metrics() {
		if row, _ := result.Lookup(m); scope != "total" && (m == "rps" || m == "requests" || row.App) {
			continue
		}
		out = append(out, m)
	}
	return out
}

func (o Options) tolerance() map[string]config.Tolerance {
	if len(o.Tolerance) == 0 {
		return DefaultTolerance()
	}
	return o.Tolerance
}

func (o Options) alpha() float64 {
	if o.Alpha <= 0 || o.Alpha >= 1 {
		return DefaultAlpha
	}
	return o.Alpha
}

// CompareBaseline compares a finished run with a baseline: for the total
// and each endpoint, one check per tolerance metric (Source "baseline"; Op
// "<=" or ">=", the acceptable side of Limit, the tolerance bound). The
// noise it allows for is the spread of the baseline's runs and each run's
// own sampling noise (docs/gate.md). A baseline of another workload is
// refused with a *PosError unless o.Force is set; a different machine is a
// warning.
func CompareBaseline(cur *result.Result, base *result.Baseline, o Options) (*result.Verdict, error) {
	runs, warns, err := usableRuns(cur, base, o)
	if err != nil {
		return nil, err
	}
	v := &result.Verdict{Status: StatusPass, Checks: []result.Check{}, Warnings: warns}
	curNoise := analyse(cur)
	baseNoise := make([]runNoise, len(runs))
	for i, r := range runs {
		baseNoise[i] = analyse(r)
	}
	if len(runs) < PriorRuns {
		v.Warnings = append(v.Warnings, fmt.Sprintf("the baseline holds %d %s, too few to measure the machine's run-to-run noise, "+
			"so loadgate's prior for it stands in (docs/gate.md); keep %d or more runs (baseline.keep) for a verdict of this machine's own noise",
			len(runs), plural(len(runs), "run"), PriorRuns))
	}
	// Each check is decided once the number of comparable checks, m, is
	// known: it sets every interval's confidence.
	type item struct {
		ev    *evidence
		check result.Check
	}
	var items []item
	m := 0
	noHist := false
	for _, scope := range scopes(cur) {
		if !hasData(cur, scope) || !anyData(runs, scope) {
			if c, ok := noDataCheck(cur, runs, scope); ok {
				items = append(items, item{check: c})
			}
			continue
		}
		for _, metric := range o.metricsFor(scope) {
			if c, ok := appNoData(scope, metric, cur, runs); ok {
				items = append(items, item{check: c})
				continue
			}
			x, ok := measure(cur, curNoise, scope, metric)
			samples := baselineSamples(runs, baseNoise, scope, metric)
			for _, s := range samples {
				noHist = noHist || s.noHist
			}
			if !ok || len(samples) == 0 || (ratioMetric(metric) && x.value <= 0) {
				items = append(items, item{check: zeroCheck(scope, metric, x.value, samples)})
				continue
			}
			noHist = noHist || x.noHist
			if c, ok := fewInTail(scope, metric, x, samples); ok {
				items = append(items, item{check: c})
				continue
			}
			ev := baselineEvidence(scope, metric, o.tolerance()[metric], x, samples)
			items = append(items, item{ev: &ev})
			m++
		}
	}
	for _, it := range items {
		if it.ev != nil {
			it.check = it.ev.check(m, o.alpha())
		}
		v.Checks = append(v.Checks, it.check)
	}
	if noHist {
		v.Warnings = append(v.Warnings, "some results carry no latency histogram, so their sampling noise is unknown; "+
			"the verdict allows only for the spread between runs")
	}
	v.Status = StatusOf(v.Checks)
	return v, nil
}

// baselineSamples are the kept runs' samples of metric in scope that a
// comparison can use: of the runs that made requests there, with a
// positive value where the metric is compared by ratio.
func baselineSamples(runs []*result.Result, noise []runNoise, scope, metric string) []sample {
	var out []sample
	for i, r := range runs {
		if s, ok := measure(r, noise[i], scope, metric); ok && (s.value > 0 || !ratioMetric(metric)) {
			out = append(out, s)
		}
	}
	return out
}

// reference is the baseline's value of a metric, the one its checks
// compare with: the median of the kept runs' samples, so that one
// disturbed run barely moves it; 0 without samples.
func reference(bs []sample) float64 {
	if len(bs) == 0 {
		return 0
	}
	raw := make([]float64, len(bs))
	for i, s := range bs {
		raw[i] = s.value
	}
	return median(raw)
}

// change is the change from ref to x on the metric's comparison scale: a
// log ratio, or a difference for failure_rate and failures.
func change(metric string, x, ref float64) float64 {
	return scaled(metric, x) - scaled(metric, ref)
}

// FillThresholdBaselines gives v's threshold checks the baseline and
// delta_pct of a comparison with base (docs/reports.md): the baseline's value
// of the check's metric in its scope, derived as for a baseline check of
// that metric (the median of the kept runs), and the change from it as a
// baseline check reports it. A check keeps null where no kept run made
// requests in its scope, and a null delta_pct where no change can be told
// (no data in this run, or a zero where the metric is compared by ratio).
// No check's status changes. A baseline CompareBaseline refuses gives
// nothing.
func FillThresholdBaselines(v *result.Verdict, cur *result.Result, base *result.Baseline, o Options) {
	if v == nil || cur == nil {
		return
	}
	runs, _, err := usableRuns(cur, base, o)
	if err != nil {
		return
	}
	var noise []runNoise
	for i := range v.Checks {
		c := &v.Checks[i]
		if c.Source != "threshold" || !anyData(runs, c.Scope) {
			continue
		}
		if noise == nil {
			noise = make([]runNoise, len(runs))
			for j, r := range runs {
				noise[j] = analyse(r)
			}
		}
		ref := reference(baselineSamples(runs, noise, c.Scope, c.Metric))
		c.Baseline, c.DeltaPct = ptr(ref), nil
		if NoData(*c) || (ratioMetric(c.Metric) && (c.Measured <= 0 || ref <= 0)) {
			continue
		}
		c.DeltaPct = deltaPct(c.Metric, c.Measured, ref, change(c.Metric, c.Measured, ref))
	}
}

// hasData reports whether a run made requests in scope.
func hasData(r *result.Result, scope string) bool {
	s := r.Endpoint(scope)
	return s != nil && s.Requests > 0
}

// anyData reports whether any run made requests in scope.
func anyData(runs []*result.Result, scope string) bool {
	for _, r := range runs {
		if hasData(r, scope) {
			return true
		}
	}
	return false
}

// MinTailRequests is how many requests beyond a percentile a comparison
// of it needs in the run and in a typical kept run: a p99 of 23 requests
// is their maximum, and says nothing about a change.
const MinTailRequests = 5

// fewInTail is the inconclusive check of a percentile that rests on too few
// requests on either side; false when both have enough.
func fewInTail(scope, metric string, x sample, bs []sample) (result.Check, bool) {
	q, ok := quantileOf(metric)
	if !ok {
		return result.Check{}, false
	}
	ns := make([]float64, len(bs))
	for i, b := range bs {
		ns[i] = float64(b.n)
	}
	nx, nb := float64(x.n), median(ns)
	if nx*(1-q) >= MinTailRequests && nb*(1-q) >= MinTailRequests {
		return result.Check{}, false
	}
	need := int64(math.Ceil(MinTailRequests / (1 - q)))
	return result.Check{Scope: scope, Metric: metric, Op: baselineOp(metric), Measured: x.value, Baseline: ptr(reference(bs)),
		Unit: unitOfMetric(metric), Status: StatusInconclusive, Source: "baseline",
		Reason: fmt.Sprintf("%s rests on too few requests (%d in this run, %d in a typical kept run; %d give %d beyond it): cannot tell",
			metric, x.n, int64(nb), need, MinTailRequests)}, true
}

// zeroCheck is the check of a metric whose value is zero on one side (a
// hand-made artifact: measured latencies are at least 1 µs), where no
// ratio exists; the report shows "?" for its change.
func zeroCheck(scope, metric string, x float64, bs []sample) result.Check {
	return result.Check{Scope: scope, Metric: metric, Op: baselineOp(metric), Measured: x, Baseline: ptr(reference(bs)),
		Unit: unitOfMetric(metric), Status: StatusInconclusive, Source: "baseline",
		Reason: fmt.Sprintf("%s is 0 in the run or the baseline, so there is no ratio to compare", metric)}
}

// SchedulerJitterMS is the scheduler delay a stored-baseline comparison
// allows for in every latency, in milliseconds. On a shared machine a
// request waits for a CPU whenever the machine is busy, for about one
// kernel time slice (Linux: 0.75 ms × (1 + log2 CPUs), 1.5 ms on a 2-core
// runner) and more; a busy hour can add several milliseconds to the tail
// of a sub-millisecond handler, which a few quiet kept runs need not show.
// Same-runner A/B needs no such allowance: a pair shares the conditions.
const SchedulerJitterMS = 1.0

// baselineEvidence combines a run's sample with the baseline runs' samples.
//
// With K ≥ 2 runs, s² is the variance of the baseline values on the
// comparison scale. One new run varies by max(s², its sampling variance)
// plus the scheduler jitter j² = ln(1 + J/b̃)² for latencies; the
// baseline's median by max(s², their median sampling variance)·(π/2)/K
// (for failure_rate, the sampling variance of the pooled counts). The
// parts estimated from s² carry K−1 degrees of freedom, the others are
// known; Welch–Satterthwaite gives the degrees of freedom of the sum. With
// one run, only the sampling variances and the jitter are known.
func baselineEvidence(scope, metric string, tol config.Tolerance, x sample, bs []sample) evidence {
	k := len(bs)
	vals := make([]float64, k)
	ses := make([]float64, k)
	for i, b := range bs {
		vals[i] = scaled(metric, b.value)
		ses[i] = b.se * b.se
	}
	// A typical kept run's sampling variance: the median, because the
	// reference is the median run, which one disturbed run barely moves.
	sb2 := median(ses)
	ref := reference(bs)
	ev := evidence{scope: scope, metric: metric, tol: tol, measured: x.value, ref: ref,
		d: change(metric, x.value, ref), unit: unitOfMetric(metric)}
	sx2 := x.se * x.se
	var j2 float64
	if m, _ := result.Lookup(metric); m.Kind == result.Duration && !m.App { // a latency, not CPU time
		j := math.Log1p(SchedulerJitterMS / ref)
		j2 = j * j
	}
	jitter := fmt.Sprintf("a %s ms scheduler delay is %s of this latency", FormatNumber(SchedulerJitterMS), spreadText(metric, math.Sqrt(j2)))
	// The spread between runs: measured from the kept runs, and while
	// fewer than PriorRuns are kept, pooled with the prior, which counts
	// as PriorDF degrees of freedom. One run shows no spread at all.
	var s2, dfS float64
	if k >= 2 {
		_, s2 = meanVar(vals)
		dfS = float64(k - 1)
	}
	prior := k < PriorRuns
	if prior {
		v0 := priorVariance(metric, math.Max(sx2, sb2))
		s2 = (PriorDF*v0 + dfS*s2) / (PriorDF + dfS)
		dfS += PriorDF
	}
	f := math.Pi / 2 / float64(k)
	switch k {
	case 1:
		f = 1
	case 2:
		f = 1.0 / 2 // the median of two is their mean
	}
	// The baseline's sampling noise: of its median, or for failure_rate of
	// its pooled counts.
	sbRef := sb2 * f
	if metric == "failure_rate" {
		sbRef = math.Pow(pooledFailureSE(bs), 2)
	}
	vNew, vRef := math.Max(s2, sx2)+j2, math.Max(s2*f, sbRef)
	var est float64
	if s2 >= sx2 {
		est += s2
	}
	if s2*f >= sbRef {
		est += s2 * f
	}
	total := vNew + vRef
	ev.se, ev.df = math.Sqrt(total), math.Inf(1)
	if est > 0 {
		ev.df = total * total / (est * est / dfS)
	}
	// Name the largest part of the noise, per run.
	switch perRun := sbRef / f; {
	case j2 >= s2 && j2 >= sx2 && j2 >= perRun:
		ev.noise = jitter
	case prior && s2 >= sx2 && s2 >= perRun:
		ev.noise = fmt.Sprintf("with %d kept %s, runs are taken to vary by %s (loadgate's prior for run-to-run noise; keep %d runs to measure it)",
			k, plural(k, "run"), spreadText(metric, math.Sqrt(s2)), PriorRuns)
	case s2 >= sx2 && s2 >= perRun:
		ev.noise = fmt.Sprintf("the %d baseline runs vary by %s", k, spreadText(metric, math.Sqrt(s2)))
	case sx2 >= perRun:
		ev.noise = fmt.Sprintf("this run's sampling noise is %s: %d requests, %d effective", spreadText(metric, x.se), x.n, int64(x.neff))
	default:
		ev.noise = fmt.Sprintf("the baseline runs' own sampling noise is %s", spreadText(metric, math.Sqrt(perRun)))
	}
	return ev
}

// The prior for run-to-run noise, which stands in for the spread of the
// kept runs while fewer than PriorRuns are kept (docs/gate.md, "Few kept
// runs"). Measured with bench/aa.sh on the demo app and the FastAPI test
// app (13 runs each of 8 s, one runner): between runs, a latency varied by
// at least a few percent however precisely each run measured it (the
// demo's 51 ms p95: 0.2–1.2 % against a sampling error of 0.1 %), and a
// tail percentile by up to 3 times its sampling error (the FastAPI app's
// p99, queueing behind a blocking sleep: 17–21 % against 5–7 %).
const (
	// PriorRuns is how many kept runs measure the spread without the prior.
	PriorRuns = 5
	// PriorRunNoise is the smallest run-to-run variation assumed, on the
	// log scale (3 %).
	PriorRunNoise = 0.03
	// PriorFailurePoints is the same for failure_rate, in points.
	PriorFailurePoints = 0.1
	// PriorGrowthBytes is the same for app_rss_growth: the allocator
	// returns and takes memory in pages and arenas, so an app that keeps
	// nothing still moves by some KiB per 10,000 requests.
	PriorGrowthBytes = 64 << 10
	// PriorSamplingFactor is how many times a run's sampling error its
	// run-to-run variation is assumed to be, at most.
	PriorSamplingFactor = 3
	// PriorDF is the weight of the prior, in degrees of freedom: the A/A
	// runs behind it, less one.
	PriorDF = 12
)

// priorVariance is the prior's run-to-run variance of a metric whose runs
// have a sampling variance of se2 (on the comparison scale).
func priorVariance(metric string, se2 float64) float64 {
	floor := PriorRunNoise
	switch {
	case metric == "app_rss_growth":
		floor = PriorGrowthBytes
	case !ratioMetric(metric):
		floor = PriorFailurePoints
	}
	return math.Max(floor*floor, PriorSamplingFactor*PriorSamplingFactor*se2)
}

// noDataCheck is the single check of a scope that cannot be compared
// because one side made no requests; false when neither side did.
func noDataCheck(cur *result.Result, runs []*result.Result, scope string) (result.Check, bool) {
	var n float64
	if s := cur.Endpoint(scope); s != nil {
		n = float64(s.Requests)
	}
	var bn []float64
	for _, r := range runs {
		if s := r.Endpoint(scope); s != nil {
			bn = append(bn, float64(s.Requests))
		}
	}
	b := 0.0
	if len(bn) > 0 {
		b = median(bn)
	}
	if n == 0 && b == 0 {
		return result.Check{}, false
	}
	c := result.Check{Scope: scope, Metric: "requests", Op: baselineOp("requests"), Limit: 1, Measured: n, Baseline: ptr(b),
		Status: StatusInconclusive, Source: "baseline"}
	c.DeltaPct = deltaPct("failure_rate", n, b, 0) // a plain relative change
	if n == 0 {
		c.Reason = fmt.Sprintf("no requests in this run (the baseline has %s): nothing to compare", FormatNumber(b))
	} else {
		c.Reason = fmt.Sprintf("no requests in the baseline (this run has %s): nothing to compare", FormatNumber(n))
	}
	return c, true
}

// scopes lists the total and the run's endpoints, in report order.
func scopes(r *result.Result) []string {
	out := []string{"total"}
	var eps []string
	for _, e := range r.Endpoints {
		if e != nil && e.Name != "total" && !slices.Contains(eps, e.Name) {
			eps = append(eps, e.Name)
		}
	}
	sort.Strings(eps)
	return append(out, eps...)
}

// MissingBaseline is the verdict part for a baseline file that does not
// exist (baseline.missing). Under "fail" it is one failing check, "baseline
// file exists"; under "pass" (the default: a first run has no baseline yet)
// it is a note that no comparison was made and how to start one.
func MissingBaseline(file, policy string) *result.Verdict {
	if policy == "fail" {
		c := result.Check{Scope: "baseline", Metric: "file", Op: "exists", Source: "baseline", Status: StatusFail,
			Reason: file + " does not exist, and baseline.missing is fail"}
		return &result.Verdict{Status: StatusFail, Checks: []result.Check{c}}
	}
	return &result.Verdict{Status: StatusPass, Checks: []result.Check{}, Warnings: []string{
		"no baseline yet: " + file + " does not exist, so no baseline comparison was made (baseline.missing: pass); " +
			"--save-baseline " + file + " starts one"}}
}
