package gate

import (
	"fmt"
	"math"

	"github.com/loadgate/loadgate/load/result"
)

// appSE is the sampling noise of an app metric, from the run's per-second
// readings of the app: how much the seconds disagree, over the square root
// of their number (on the log scale for the ratio metrics, in bytes for
// app_rss_growth). Fewer than minSeconds seconds: 0, and the prior for
// run-to-run noise stands in.
func appSE(tl []result.TimelinePt, metric string) float64 {
	if metric == "app_instr_per_req" {
		return 0 // counted over the whole run only: the prior stands in
	}
	var xs, ys []float64
	var requests float64
	for _, p := range tl {
		if p.AppRSS == 0 && p.AppCPU == 0 {
			continue // a second without a reading
		}
		requests += p.RPS
		switch metric {
		case "app_cpu_per_req":
			if p.RPS >= minPerSecond {
				ys = append(ys, p.AppCPU/p.RPS)
			}
		case "app_cpu":
			ys = append(ys, p.AppCPU)
		default: // memory: the residuals around the growth line
			xs, ys = append(xs, requests), append(ys, float64(p.AppRSS))
		}
	}
	n := float64(len(ys))
	if len(ys) < minSeconds {
		return 0
	}
	switch metric {
	case "app_cpu_per_req", "app_cpu":
		m, v := meanVar(ys)
		if m <= 0 {
			return 0
		}
		return math.Sqrt(v) / m / math.Sqrt(n)
	}
	slope, ok := result.Slope(xs, ys)
	if !ok {
		return 0
	}
	var mx, my, sxx, rss float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx, my = mx/n, my/n
	for i := range xs {
		r := ys[i] - my - slope*(xs[i]-mx)
		rss += r * r
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	sd := math.Sqrt(rss / (n - 2))
	if metric == "app_rss_max" {
		if my <= 0 {
			return 0
		}
		return sd / my / math.Sqrt(n)
	}
	return sd / math.Sqrt(sxx) * result.GrowthPer
}

// appNoData is the check of an app metric that one side did not measure:
// a fail when this run could not read the app (a gate on its cost cannot
// pass blind), inconclusive when no kept run has it (a baseline saved
// before the app was measured). False when both sides have it.
func appNoData(scope, metric string, cur *result.Result, runs []*result.Result) (result.Check, bool) {
	m, _ := result.Lookup(metric)
	if !m.App {
		return result.Check{}, false
	}
	c := result.Check{Scope: scope, Metric: metric, Op: baselineOp(metric), Unit: m.Unit(), Source: "baseline"}
	if why := appOf(cur).NotMeasured(metric); why != "" {
		c.Status, c.Reason = StatusFail, ReasonNoData+": "+why
		return c, true
	}
	why := ""
	for _, r := range runs {
		if why = appOf(r).NotMeasured(metric); why == "" {
			return result.Check{}, false
		}
	}
	c.Status, c.Reason = StatusInconclusive, "no kept run has "+metric+": "+why
	if len(runs) == 0 {
		c.Reason = "no kept run to compare " + metric + " with"
	}
	return c, true
}

func appOf(r *result.Result) *result.AppStats {
	if r == nil || r.Total == nil {
		return nil
	}
	return r.Total.App
}

// abAppNoData is the failing check of an app metric that a round of an
// A/B comparison did not measure: every pair must have it.
func abAppNoData(scope, metric string, in ABInput) (result.Check, bool) {
	m, _ := result.Lookup(metric)
	if !m.App {
		return result.Check{}, false
	}
	for i := range in.Base {
		for side, r := range map[string]*result.Result{"base": in.Base[i], "head": in.Head[i]} {
			if why := appOf(r).NotMeasured(metric); why != "" {
				return result.Check{Scope: scope, Metric: metric, Op: baselineOp(metric), Unit: m.Unit(), Source: "baseline",
					Status: StatusFail, Reason: fmt.Sprintf("%s: round %d of the %s build: %s", ReasonNoData, i+1, side, why)}, true
			}
		}
	}
	return result.Check{}, false
}
