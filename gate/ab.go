package gate

import (
	"fmt"
	"math"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// ABInput holds the rounds of a same-runner A/B comparison. Base[i] and
// Head[i] ran back to back on the same machine: pair i. The pooled
// results (all rounds of a build merged), when given, supply the values
// the report shows; without them the rounds' medians are shown.
type ABInput struct {
	Base, Head             []*result.Result
	BasePooled, HeadPooled *result.Result
}

// CompareAB compares the head build with the base build from paired
// rounds (docs/gate.md, "Same-runner A/B"). For each pair the change is
// ln(head/base) (points for failure_rate): slow drift of the machine moves
// both halves of a pair alike and cancels, so the pairs' spread is the
// noise the comparison has to beat. Their mean, with a Student t interval
// on k−1 degrees of freedom (never narrower than the rounds' own sampling
// noise), is decided like a baseline check; a fail also needs a Wilcoxon
// signed-rank test, at the family-wise α, that the pairs exceed the
// tolerance — with 6 pairs that means all 6 (p = 0.031).
func CompareAB(in ABInput, o Options) (*result.Verdict, error) {
	k := len(in.Base)
	if k != len(in.Head) {
		return nil, fmt.Errorf("a/b: %d base rounds but %d head rounds", k, len(in.Head))
	}
	if k < 2 {
		return nil, fmt.Errorf("a/b: %d pairs of rounds; at least 2 are needed, 6 or more for a verdict that can fail", k)
	}
	for i := range k {
		if in.Base[i] == nil || in.Head[i] == nil || in.Base[i].Total == nil || in.Head[i].Total == nil {
			return nil, fmt.Errorf("a/b: round pair %d is incomplete", i+1)
		}
	}
	bn := make([]runNoise, k)
	hn := make([]runNoise, k)
	for i := range k {
		bn[i], hn[i] = analyse(in.Base[i]), analyse(in.Head[i])
	}
	v := &result.Verdict{Status: StatusPass, Checks: []result.Check{}}
	if k < 6 {
		v.Warnings = append(v.Warnings, fmt.Sprintf("only %d round pairs: the signed-rank test cannot reach p ≤ %s "+
			"with fewer than 6, so no check can fail; use --rounds 6 or more", k, fmtP(o.alpha())))
	}
	var evs []*evidence
	var checks []result.Check
	for _, scope := range scopes(in.Head[0]) {
		for _, metric := range o.metricsFor(scope) {
			if c, ok := abAppNoData(scope, metric, in); ok {
				v.Checks = append(v.Checks, c)
				continue
			}
			ev, ok := abEvidence(in, bn, hn, scope, metric, o.tolerance()[metric])
			if !ok {
				continue
			}
			evs = append(evs, ev)
			checks = append(checks, result.Check{})
		}
	}
	for i, ev := range evs {
		checks[i] = ev.check(len(evs), o.alpha())
	}
	v.Checks = append(v.Checks, checks...)
	v.Status = StatusOf(v.Checks)
	return v, nil
}

// abEvidence builds the evidence of one metric from the pairs that have
// data on both sides; false when fewer than two do.
func abEvidence(in ABInput, bn, hn []runNoise, scope, metric string, tol config.Tolerance) (*evidence, bool) {
	var d, hv, bv, sp []float64
	var hs, bs []sample
	for i := range in.Base {
		h, okh := measure(in.Head[i], hn[i], scope, metric)
		b, okb := measure(in.Base[i], bn[i], scope, metric)
		if !okh || !okb || (ratioMetric(metric) && (h.value <= 0 || b.value <= 0)) {
			continue
		}
		d = append(d, scaled(metric, h.value)-scaled(metric, b.value))
		hv, bv = append(hv, h.value), append(bv, b.value)
		sp = append(sp, h.se*h.se+b.se*b.se)
		hs, bs = append(hs, h), append(bs, b)
	}
	k := len(d)
	if k < 2 {
		return nil, false
	}
	// The floor under the pairs' spread is a typical pair's sampling
	// noise: the median, so that one disturbed round, already visible in
	// the spread, does not also blow up the floor.
	sp2 := median(sp)
	mean, s2 := meanVar(d)
	ev := &evidence{scope: scope, metric: metric, tol: tol, d: mean, pairs: d, unit: unitOfMetric(metric),
		measured: pooledValue(in.HeadPooled, scope, metric, hv), ref: pooledValue(in.BasePooled, scope, metric, bv)}
	ev.se, ev.df = math.Sqrt(math.Max(s2, sp2)/float64(k)), math.Inf(1)
	if metric == "failure_rate" {
		// Failures are rare events: a round of a few hundred requests
		// without one says little, so the builds' failures are pooled over
		// all rounds and compared as two proportions. The pairs still vote
		// in the signed-rank test.
		fh, nh := rate(hs)
		fb, nb := rate(bs)
		ev.d = 100 * (fh/nh - fb/nb)
		ev.se = math.Hypot(pooledFailureSE(hs), pooledFailureSE(bs))
		ev.noise = fmt.Sprintf("%d of %d head and %d of %d base requests failed", int64(fh), int64(nh), int64(fb), int64(nb))
		return ev, true
	}
	if s2 >= sp2 {
		ev.df = float64(k - 1)
		ev.noise = fmt.Sprintf("the %d round pairs vary by %s", k, spreadText(metric, math.Sqrt(s2)))
	} else {
		ev.noise = fmt.Sprintf("the rounds' sampling noise is %s", spreadText(metric, math.Sqrt(sp2)))
	}
	return ev, true
}

// pooledValue is a metric of the pooled result, or the median of the
// rounds' values when there is none.
func pooledValue(r *result.Result, scope, metric string, rounds []float64) float64 {
	if r != nil {
		if s := r.Endpoint(scope); s != nil && s.Requests > 0 {
			if v, ok := s.Metric(metric); ok {
				return v
			}
		}
	}
	return median(rounds)
}

// rate sums the failures and requests of samples.
func rate(ss []sample) (fails, n float64) {
	for _, s := range ss {
		fails += float64(s.fails)
		n += float64(s.n)
	}
	return fails, math.Max(n, 1)
}
