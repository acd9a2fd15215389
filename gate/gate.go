package gate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// Check statuses, as stored in load.Check.Status and load.Verdict.Status.
const (
	StatusPass         = "pass"
	StatusFail         = "fail"
	StatusInconclusive = "inconclusive"
	// StatusInterrupted is the verdict of a run stopped before its end
	// (exit 130): its checks are evaluated on partial data, for
	// information, and claim neither pass nor fail.
	StatusInterrupted = "interrupted"
)

// ReasonNoData is the reason of a check whose endpoint made no requests. A
// latency or rate threshold on nothing is a misconfiguration or a broken
// run, so it fails instead of passing silently as k6 does.
const ReasonNoData = "no data"

// PosError is a config error at a place in a file ("FILE:LINE:COL: FIELD:
// MSG", the form editors and CI annotations link to): the config package's
// one type for it, so callers use errors.As on either name to choose exit
// code 2.
type PosError = config.ConfigError

// Compile parses every threshold spec of a config. endpoints are the
// endpoint names the workload can produce; a scope must be one of them or
// "total". All problems are returned at once (errors.Join of *PosError), so a
// user fixes a config in one round instead of one error per run.
func Compile(specs []config.ThresholdSpec, endpoints []string, file string) ([]Threshold, error) {
	known := make(map[string]bool, len(endpoints)+1)
	known["total"] = true
	for _, e := range endpoints {
		known[e] = true
	}
	var (
		out  []Threshold
		errs []error
	)
	for _, sp := range specs {
		fail := func(msg string) {
			errs = append(errs, &PosError{File: file, Line: sp.Pos.Line, Col: sp.Pos.Col,
				Field: "thresholds." + sp.Scope, Msg: msg})
		}
		th, err := ParseThreshold(sp.Expr)
		if err != nil {
			fail(err.Error())
			continue
		}
		if !known[sp.Scope] {
			fail(fmt.Sprintf("unknown endpoint %q in thresholds (known: %s)", sp.Scope, knownList(endpoints)))
			continue
		}
		if m, _ := result.Lookup(th.Metric); m.App && sp.Scope != "total" {
			fail(fmt.Sprintf("%s is measured for the whole app, not per endpoint: put it under total", th.Metric))
			continue
		}
		th.Scope, th.Pos = sp.Scope, sp.Pos
		out = append(out, th)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// DefaultFailureLimit is the failure rate (percent) a run may not reach
// when the config sets no failure check of its own.
const DefaultFailureLimit = 1

// WithDefaults adds the checks every run has: unless the config checks the
// total's failure_rate or failures itself, "failure_rate < 1%" for the
// total, as Locust exits 1 on failures. A config opts out explicitly with
// "failure_rate <= 100%".
func WithDefaults(ths []Threshold) []Threshold {
	for _, th := range ths {
		if th.Scope == "total" && (th.Metric == "failure_rate" || th.Metric == "failures") {
			return ths
		}
	}
	return append(ths[:len(ths):len(ths)], Threshold{Scope: "total", Metric: "failure_rate", Op: "<",
		Limit: DefaultFailureLimit, Unit: "%", Expr: "failure_rate < 1%", Default: true})
}

// knownList names the valid scopes, capped so that a workload with hundreds
// of endpoints does not produce a screen-long message.
func knownList(endpoints []string) string {
	const max = 20
	names := append([]string{"total"}, endpoints...)
	if len(names) > max {
		return strings.Join(names[:max], ", ") + fmt.Sprintf(", … %d more", len(names)-max)
	}
	return strings.Join(names, ", ")
}

// Evaluate checks a finished result against thresholds and returns the
// verdict: one check per threshold, in order, with Source "threshold".
func Evaluate(r *result.Result, ths []Threshold) *result.Verdict {
	v := &result.Verdict{Status: StatusPass, Checks: make([]result.Check, 0, len(ths))}
	for _, th := range ths {
		c := evaluate(r, th)
		if c.Status != StatusPass {
			v.Status = StatusFail
		}
		v.Checks = append(v.Checks, c)
	}
	if c, ok := nothingCompleted(r); ok {
		v.Status = StatusFail
		v.Checks = append(v.Checks, c)
	}
	if r != nil && r.Aborted != "" {
		// A step with on_failure: stop_test failed: the run ended early on
		// purpose, and never passes.
		v.Status = StatusFail
		v.Checks = append(v.Checks, result.Check{Scope: "total", Metric: "requests", Op: "completed", Status: StatusFail,
			Source: "threshold", Default: true, Reason: "the run was stopped: " + r.Aborted})
	}
	return v
}

// nothingCompleted is the failing check of a run in which no request got a
// response: whatever its thresholds say, a run that measured nothing of the
// target never passes.
func nothingCompleted(r *result.Result) (result.Check, bool) {
	if r == nil || r.Total == nil || r.Interrupted {
		return result.Check{}, false
	}
	t := r.Total
	answered := t.Requests - t.StatusCodes["none"]
	if answered > 0 {
		return result.Check{}, false
	}
	reason := "no request was sent"
	if t.Requests > 0 {
		reason = fmt.Sprintf("none of %d requests got a response", t.Requests)
	}
	return result.Check{Scope: "total", Metric: "requests", Op: ">", Limit: 0, Measured: float64(answered),
		Status: StatusFail, Reason: reason + ": a run that measured nothing of the target cannot pass",
		Source: "threshold", Default: true}, true
}

// evaluate measures one threshold.
func evaluate(r *result.Result, th Threshold) result.Check {
	c := result.Check{
		Scope: th.Scope, Metric: th.Metric, Op: th.Op, Limit: th.Limit,
		Unit: th.Unit, Source: "threshold", Default: th.Default,
	}
	var s *result.Stats
	if r != nil {
		s = r.Endpoint(th.Scope)
	}
	m, _ := result.Lookup(th.Metric)
	counted := m.Kind == result.Count
	switch {
	case m.App:
		// The app's own cost has no data when it could not be read; a
		// gate on it must then fail, not pass on a zero.
		why := "no total"
		if s != nil {
			why = s.App.NotMeasured(m.Name)
		}
		if why != "" {
			c.Status, c.Reason = StatusFail, ReasonNoData+": "+why
			return c
		}
	case (s == nil || s.Requests == 0) && !counted || m.Kind == result.Duration && s.Timed() == 0:
		// A latency of requests that got no response does not exist: a
		// target that refused every connection has no p95 to pass with.
		c.Status, c.Reason = StatusFail, ReasonNoData
		return c
	}
	if s != nil {
		c.Measured, _ = s.Metric(th.Metric)
	}
	if Compare(c.Measured, th.Op, th.Limit) {
		c.Status = StatusPass
		return c
	}
	c.Status = StatusFail
	c.Reason = fmt.Sprintf("%s %s is not %s %s", th.Metric,
		FormatMeasured(c.Measured, th.Unit), th.Op, FormatValue(th.Limit, th.Unit))
	return c
}

// Compare reports whether "measured OP limit" holds. An unknown operator
// never holds, so a corrupted check fails instead of passing.
func Compare(measured float64, op string, limit float64) bool {
	switch op {
	case "<":
		return measured < limit
	case "<=":
		return measured <= limit
	case ">":
		return measured > limit
	case ">=":
		return measured >= limit
	}
	return false
}

// NoData reports whether a check failed for want of data: its endpoint
// made no requests, or the app it measures could not be read (the reason
// then says why, after "no data: ").
func NoData(c result.Check) bool { return strings.HasPrefix(c.Reason, ReasonNoData) }
