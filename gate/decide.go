package gate

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// DefaultAlpha is the family-wise error rate of the baseline checks of one
// verdict: with m checks, each check's interval has confidence 1 − α/m
// (Bonferroni), so an unchanged build fails a verdict with probability at
// most α whatever the number of endpoints and metrics.
const DefaultAlpha = 0.05

// evidence is everything one baseline decision rests on: the measured
// change of a metric with its standard error, and the words that explain
// the noise behind it.
type evidence struct {
	scope, metric string
	tol           config.Tolerance
	measured, ref float64 // display values, in the metric's unit
	d             float64 // change on the comparison scale: log ratio or points
	se            float64 // standard error of d
	df            float64 // degrees of freedom of se; +Inf when known
	noise         string  // the dominant noise source, for an inconclusive reason
	unit          string
	// pairs are the per-pair changes of an A/B comparison (nil otherwise):
	// a fail then also needs a signed-rank test that they exceed the
	// tolerance, which does not rely on normality.
	pairs []float64
}

// limit returns the tolerance bound on the comparison scale in the worse
// direction, and the bound as a value in the metric's unit.
func (e evidence) limit() (scaledLimit, value float64) {
	t := e.tol.Pct
	switch {
	case !ratioMetric(e.metric):
		return t, e.ref + t
	case worseUp(e.metric):
		return math.Log1p(t / 100), e.ref * (1 + t/100)
	case t >= 100:
		return math.Inf(-1), 0
	}
	return math.Log1p(-t / 100), e.ref * (1 - t/100)
}

// PassLevel is the confidence of the interval a report shows and a pass
// needs: the conventional two-sided 95%.
const PassLevel = 0.95

// check decides one baseline check, one of m in the verdict:
//
//	pass          the 95% interval of the change lies within the tolerance
//	fail          the measured change exceeds the tolerance, and it is larger
//	              than the noise: the family-wise interval, of confidence
//	              1 − alpha/m, excludes no change (for A/B pairs a signed-rank
//	              test must agree)
//	inconclusive  neither: the noise allows both
//
// The asymmetry is deliberate. A false fail costs a team its trust in the
// gate, and m checks give m chances for one, so the evidence of a change
// must clear the Bonferroni bar; a pass is an ordinary 95% claim about one
// check. Requiring the whole interval beyond the tolerance for a fail would
// need changes of tolerance + 3 standard errors, which five kept runs
// rarely resolve.
func (e evidence) check(m int, alpha float64) result.Check {
	L, limitValue := e.limit()
	c := result.Check{Scope: e.scope, Metric: e.metric, Op: baselineOp(e.metric), Limit: limitValue,
		Measured: e.measured, Baseline: ptr(e.ref), Unit: e.unit, Source: "baseline"}
	c.DeltaPct = deltaPct(e.metric, e.measured, e.ref, e.d)
	if m < 1 {
		m = 1
	}
	c95 := studentQuantile(1-(1-PassLevel)/2, e.df)
	cFW := math.Max(c95, studentQuantile(1-alpha/(2*float64(m)), e.df))
	sign := 1.0
	if !worseUp(e.metric) {
		sign = -1
	}
	g, gl := sign*e.d, sign*L
	lo, hi := e.d-c95*e.se, e.d+c95*e.se
	change := e.changeText(e.d) + " [" + e.changeText(lo) + ", " + e.changeText(hi) + "]"
	tol := e.tolText()
	switch {
	case g+c95*e.se <= gl:
		c.Status = StatusPass
		c.Reason = fmt.Sprintf("%s %s within tolerance %s", e.metric, change, tol)
	case g > gl && g-cFW*e.se > 0:
		c.Status = StatusFail
		c.Reason = fmt.Sprintf("%s %s beyond tolerance %s and noise", e.metric, change, tol)
		if e.pairs == nil {
			break
		}
		// The pairs must agree without help from a normal model: a
		// signed-rank test that head is worse than base.
		worse := make([]float64, len(e.pairs))
		n := 0
		for i, p := range e.pairs {
			worse[i] = sign * p
			if worse[i] > 0 {
				n++
			}
		}
		w := wilcoxonSignedRank(worse)
		pairs := fmt.Sprintf("%d of %d pairs worse, Wilcoxon p=%s", n, len(e.pairs), fmtP(w.P))
		if w.P > alpha || n*2 <= len(e.pairs) {
			c.Status = StatusInconclusive
			c.Reason = fmt.Sprintf("%s %s exceeds tolerance %s, but only %s: cannot tell", e.metric, change, tol, pairs)
		} else {
			c.Reason += "; " + pairs
		}
	case g > gl:
		c.Status = StatusInconclusive
		c.Reason = fmt.Sprintf("%s %s exceeds tolerance %s, but %s: cannot tell", e.metric, change, tol, e.noise)
	default:
		c.Status = StatusInconclusive
		c.Reason = fmt.Sprintf("%s %s: cannot tell against tolerance %s (%s)", e.metric, change, tol, e.noise)
	}
	return c
}

// baselineOp is the operator of a baseline check of metric: the side of
// its limit, the tolerance bound, on which a value is acceptable. "<=" where
// higher is worse (latencies, failure_rate), ">=" for throughput. The
// decision itself also weighs the noise (check); Source "baseline", not
// Op, tells a baseline check from a threshold.
func baselineOp(metric string) string {
	if worseUp(metric) {
		return "<="
	}
	return ">="
}

// deltaPct is the relative change for the Delta column. For failure_rate,
// compared in points, a zero baseline has no relative change (the report
// shows "?") unless nothing failed in either.
func deltaPct(metric string, measured, ref, d float64) *float64 {
	if ratioMetric(metric) {
		return ptr(round3f(math.Expm1(d) * 100))
	}
	if ref == 0 {
		if measured == 0 {
			return ptr(0)
		}
		return nil
	}
	return ptr(round3f((measured - ref) / ref * 100))
}

// changeText renders a change on the comparison scale for a reason:
// "+18.2%" for ratios, "+0.12 pts" for points.
func (e evidence) changeText(d float64) string {
	if !ratioMetric(e.metric) {
		return signed(d, 2) + " pts"
	}
	p := math.Expm1(d) * 100
	if math.IsInf(d, 1) || p > 1e6 {
		return "+∞%"
	}
	dec := 1
	if math.Abs(p) >= 1000 {
		dec = 0
	}
	return signed(p, dec) + "%"
}

// tolText renders the tolerance: "10%" or "0.5 pts".
func (e evidence) tolText() string {
	if !ratioMetric(e.metric) {
		return FormatNumber(e.tol.Pct) + " pts"
	}
	return FormatNumber(e.tol.Pct) + "%"
}

// spreadText renders a standard deviation on the comparison scale as a
// typical variation: "±15%" or "±0.2 pts".
func spreadText(metric string, sd float64) string {
	if !ratioMetric(metric) {
		return "±" + strconv.FormatFloat(sd, 'f', 2, 64) + " pts"
	}
	p := math.Expm1(sd) * 100
	dec := 1
	if p >= 100 {
		dec = 0
	}
	return "±" + strconv.FormatFloat(p, 'f', dec, 64) + "%"
}

// signed formats v with dec decimals and an explicit sign; -0 is +0.
func signed(v float64, dec int) string {
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

// fmtP renders a p-value with two significant digits.
func fmtP(p float64) string {
	if p >= 0.1 {
		return strconv.FormatFloat(p, 'f', 2, 64)
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

func ptr(f float64) *float64 { return &f }

func round3f(f float64) float64 { return math.Round(f*1000) / 1000 }
