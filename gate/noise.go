package gate

import (
	"math"

	"github.com/loadgate/loadgate/load/result"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The within-run half of the noise model (docs/gate.md, "Sampling noise"):
// how uncertain is one run's value of a metric, given the requests it
// measured? The run-to-run half lives in baseline.go and ab.go, which
// combine these standard errors with the spread of several runs.

// z95 is the normal quantile of a two-sided 95% interval. Order-statistic
// intervals are computed at this level and converted to a standard error,
// which is more stable in a skewed tail than a one-sigma interval.
const z95 = 1.959963984540054

// Correlation estimates need enough timeline seconds, and enough requests
// in each, to mean anything; below these the requests are taken as
// independent (and the docs say so).
const (
	minSeconds   = 5
	minPerSecond = 5
)

// ratioMetric reports whether a metric is compared by ratio (latencies and
// throughput, on a log scale) rather than by difference (failure_rate, in
// percentage points; failures, a count that is often zero, which only a
// threshold names, so only its delta_pct uses this).
func ratioMetric(metric string) bool { m, _ := result.Lookup(metric); return !m.ByDifference }

// worseUp reports whether a larger value is worse: true for latencies and
// failures, false for throughput.
func worseUp(metric string) bool { m, _ := result.Lookup(metric); return !m.HigherIsBetter }

// quantileOf maps a percentile metric to its quantile in (0, 1).
func quantileOf(metric string) (float64, bool) {
	m, _ := result.Lookup(metric)
	return m.Quantile, m.Quantile > 0
}

// runNoise is what one run's timeline says about the correlation between
// its requests.
type runNoise struct {
	deff     float64    // largest design effect of the latency quantiles, ≥ 1
	deffs    [3]float64 // design effects of the total's p50, p95, p99
	levels   [3]float64 // the total's p50, p95, p99 in ms: the regimes they describe
	rpsRel   float64    // relative standard error of the total request count
	failDeff float64    // design effect of the failure rate, ≥ 1
	total    int64      // requests in the run
}

// sample is one run's value of one metric with its sampling noise.
type sample struct {
	value  float64 // in the metric's unit: ms, /s or %
	se     float64 // standard error on the comparison scale (log or points)
	n      int64   // requests behind the value
	fails  int64   // failed requests among them
	neff   float64 // effective requests after the design effect
	deff   float64 // the design effect that applies to this metric
	noHist bool    // the artifact had no histogram: se is a lower bound
}

// analyse estimates a run's correlation from its per-second timeline.
//
// Design effect: each second's p50/p95/p99 would, if requests were
// independent draws from the run's own distribution, scatter like the
// quantile of m draws: the order-statistic interval of m requests read
// from the run's histogram. The observed variance of the per-second values
// divided by that expectation is Kish's design effect; the run's requests
// count as n/deff independent ones. Bursts (a GC pause, a noisy neighbour)
// show up as seconds that disagree, so a disturbed run gets wider
// intervals.
//
// A workload mixes regimes — sub-millisecond handlers that only CPU
// contention slows, and handlers that wait 50 ms on purpose — and a burst
// moves the first far more than the second. So a metric takes the design
// effect of the total's quantile (p50, p95 or p99) whose latency is
// nearest its own value: /hello's p95 of 0.4 ms that of the total's p50 of
// 0.3 ms, not that of the total's p95 of 51 ms.
func analyse(r *result.Result) runNoise {
	rn := runNoise{deff: 1, failDeff: 1}
	if r == nil || r.Total == nil {
		return rn
	}
	rn.total = r.Total.Requests
	if rn.total > 0 {
		rn.rpsRel = 1 / math.Sqrt(float64(rn.total)) // Poisson, when the timeline cannot tell
	}
	var pts []result.TimelinePt
	for _, p := range r.Timeline {
		if p.RPS >= minPerSecond {
			pts = append(pts, p)
		}
	}
	if len(pts) < minSeconds {
		return rn
	}
	counts := make([]float64, len(pts))
	for i, p := range pts {
		counts[i] = p.RPS
	}
	if m, v := meanVar(counts); m > 0 {
		rn.rpsRel = math.Sqrt(v) / m / math.Sqrt(float64(len(pts)))
	}
	if h, err := r.Total.Hist(); err == nil && h.TotalCount() > 0 {
		for i, q := range timelineQuantiles {
			rn.deffs[i] = math.Min(quantileDeff(h, pts, q), math.Max(1, float64(rn.total)))
			rn.levels[i] = valueAt(h, q) / 1000
			rn.deff = math.Max(rn.deff, rn.deffs[i])
		}
	}
	rn.failDeff = failureDeff(pts)
	if n := float64(rn.total); n > 0 {
		rn.failDeff = math.Min(rn.failDeff, n)
	}
	return rn
}

// timelineQuantiles are the quantiles the timeline keeps per second.
var timelineQuantiles = [3]float64{0.50, 0.95, 0.99}

// deffFor is the design effect for a latency of v ms: that of the total's
// timeline quantile nearest v on a log scale (1 when none was estimated).
func (rn runNoise) deffFor(v float64) float64 {
	best, dist := 1.0, math.Inf(1)
	for i, l := range rn.levels {
		if l <= 0 || rn.deffs[i] < 1 || v <= 0 {
			continue
		}
		if d := math.Abs(math.Log(v / l)); d < dist {
			best, dist = rn.deffs[i], d
		}
	}
	return best
}

// quantileDeff is the design effect of the q-quantile: observed variance of
// the per-second values over the variance independent requests would give.
func quantileDeff(h *hdrhistogram.Histogram, pts []result.TimelinePt, q float64) float64 {
	vals := make([]float64, len(pts))
	var iid float64
	for i, p := range pts {
		switch q {
		case timelineQuantiles[0]:
			vals[i] = p.P50MS
		case timelineQuantiles[1]:
			vals[i] = p.P95MS
		default:
			vals[i] = p.P99MS
		}
		w := math.Sqrt(q * (1 - q) / p.RPS) // one sigma, in probability
		lo := valueAt(h, q-w)
		hi := valueAt(h, q+w)
		half := (hi - lo) / 2 / 1000 // µs → ms
		iid += half * half
	}
	iid /= float64(len(pts))
	_, obs := meanVar(vals)
	switch {
	case obs <= 0:
		return 1
	case iid <= 0:
		// Every request fell in one histogram bucket, yet the seconds
		// differ: the run is not stationary; distrust it fully.
		return math.Inf(1)
	}
	return math.Max(1, obs/iid)
}

// failureDeff compares the per-second failure fractions' variance with
// the binomial variance: failures that come in bursts (a restart, a full
// queue) are fewer independent events than their count suggests.
func failureDeff(pts []result.TimelinePt) float64 {
	var f, m float64
	for _, p := range pts {
		f += float64(p.Failures)
		m += p.RPS
	}
	if m <= 0 || f <= 0 || f >= m {
		return 1
	}
	p := f / m
	fr := make([]float64, len(pts))
	var iid float64
	for i, pt := range pts {
		fr[i] = float64(pt.Failures) / pt.RPS
		iid += p * (1 - p) / pt.RPS
	}
	iid /= float64(len(pts))
	_, obs := meanVar(fr)
	return math.Max(1, obs/iid)
}

// valueAt reads the histogram at quantile q in [0, 1] (hdrhistogram-go
// takes a percentage), never below the smallest recorded value.
func valueAt(h *hdrhistogram.Histogram, q float64) float64 {
	q = math.Min(1, math.Max(0, q))
	v := h.ValueAtQuantile(100 * q)
	return float64(max(v, h.Min(), 1))
}

// quantileSE is the standard error of ln(q-quantile) from n independent
// requests: the distribution-free interval between the order statistics
// of ranks n·q ∓ z·sqrt(n·q·(1−q)), read from the histogram, divided by
// 2z. In the far tail the upper rank passes n and the interval ends at the
// maximum: the interval is then as wide as the data allow, never narrower.
func quantileSE(h *hdrhistogram.Histogram, q, n float64) float64 {
	w := z95 * math.Sqrt(q*(1-q)/n)
	lo, hi := valueAt(h, q-w), valueAt(h, q+w)
	return (math.Log(hi) - math.Log(lo)) / (2 * z95)
}

// measure returns a run's value of metric for scope with its sampling
// standard error, or false when the scope made no requests.
func measure(r *result.Result, rn runNoise, scope, metric string) (sample, bool) {
	if r == nil {
		return sample{}, false
	}
	s := r.Endpoint(scope)
	if s == nil || s.Requests == 0 {
		return sample{}, false
	}
	v, ok := s.Metric(metric)
	if !ok {
		return sample{}, false
	}
	if m, _ := result.Lookup(metric); m.App {
		return sample{value: v, n: s.Requests, neff: float64(s.Requests), deff: 1, se: appSE(r.Timeline, metric)}, true
	}
	deff := 1.0
	if worseUp(metric) && metric != "failure_rate" {
		deff = rn.deffFor(v)
	}
	out := sample{value: v, n: s.Requests, fails: s.Failures, neff: math.Max(1, float64(s.Requests)/deff), deff: deff}
	h, err := s.Hist()
	hasHist := err == nil && h.TotalCount() > 0
	n := float64(s.Requests)
	switch metric {
	case "rps", "requests":
		// The total's count varies as its per-second counts do; an
		// endpoint's count adds the binomial noise of the weighted task
		// choice: its share w of n requests.
		out.se = rn.rpsRel
		if scope != "total" && rn.total > 0 {
			w := math.Min(1, n/float64(rn.total))
			out.se = math.Sqrt(rn.rpsRel*rn.rpsRel + (1-w)/n)
		}
	case "failure_rate":
		// Agresti–Coull: a sensible interval also when no request failed.
		f := float64(s.Failures)
		z2 := z95 * z95
		p := (f + z2/2) / (n + z2)
		out.se = 100 * math.Sqrt(p*(1-p)/(n+z2)) * math.Sqrt(rn.failDeff)
		out.deff = rn.failDeff
	case "avg":
		if hasHist && h.Mean() > 0 {
			out.se = h.StdDev() / math.Sqrt(out.neff) / h.Mean()
		}
	case "min", "max":
		if hasHist {
			q := 1 / (n + 1)
			if metric == "max" {
				q = n / (n + 1)
			}
			out.se = quantileSE(h, q, out.neff)
		}
	default:
		if q, ok := quantileOf(metric); ok && hasHist {
			out.se = quantileSE(h, q, out.neff)
		}
	}
	if !hasHist && metric != "rps" && metric != "requests" && metric != "failure_rate" {
		out.noHist = true
	}
	if math.IsNaN(out.se) || math.IsInf(out.se, 0) {
		out.se = 0
	}
	return out, true
}

// pooledFailureSE is the standard error (points) of the failure rate of
// several runs taken together: their counts are summed, so a baseline of
// five runs without a failure is five times as sure as one run.
func pooledFailureSE(bs []sample) float64 {
	var f, n, deff float64
	for _, b := range bs {
		f += float64(b.fails)
		n += float64(b.n)
		deff += math.Max(1, b.deff)
	}
	if n == 0 {
		return 0
	}
	deff /= float64(len(bs))
	z2 := z95 * z95
	p := (f + z2/2) / (n + z2)
	return 100 * math.Sqrt(p*(1-p)/(n+z2)*deff)
}

// scaled returns a value on the comparison scale: the log for ratio
// metrics, the value itself (percentage points) for failure_rate.
func scaled(metric string, v float64) float64 {
	if ratioMetric(metric) {
		return math.Log(v)
	}
	return v
}
