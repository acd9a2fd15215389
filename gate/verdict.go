package gate

import (
	"fmt"

	"github.com/loadgate/loadgate/load/result"
)

// Combine merges verdicts (thresholds, baseline, ...) into one. The checks
// keep their order; warnings are concatenated. The status is "fail" if any
// check fails, else "inconclusive" if any is inconclusive, else "pass". Nil
// verdicts are skipped; combining nothing is a pass with no checks.
func Combine(vs ...*result.Verdict) *result.Verdict {
	out := &result.Verdict{Status: StatusPass, Checks: []result.Check{}}
	for _, v := range vs {
		if v == nil {
			continue
		}
		out.Checks = append(out.Checks, v.Checks...)
		out.Warnings = append(out.Warnings, v.Warnings...)
	}
	out.Status = StatusOf(out.Checks)
	return out
}

// StatusOf derives a verdict status from checks: any failure fails, then any
// inconclusive check makes the whole inconclusive.
func StatusOf(checks []result.Check) string {
	st := StatusPass
	for _, c := range checks {
		switch c.Status {
		case StatusPass:
		case StatusInconclusive:
			if st == StatusPass {
				st = StatusInconclusive
			}
		default: // fail, or anything unknown: never pass by accident
			return StatusFail
		}
	}
	return st
}

// Counts tallies a verdict's checks by status. Statuses other than pass and
// inconclusive count as failed, matching StatusOf.
func Counts(v *result.Verdict) (passed, failed, inconclusive int) {
	if v == nil {
		return 0, 0, 0
	}
	for _, c := range v.Checks {
		switch c.Status {
		case StatusPass:
			passed++
		case StatusInconclusive:
			inconclusive++
		default:
			failed++
		}
	}
	return passed, failed, inconclusive
}

// Failed returns the checks that did not pass and were not inconclusive.
func Failed(v *result.Verdict) []result.Check {
	if v == nil {
		return nil
	}
	var out []result.Check
	for _, c := range v.Checks {
		if c.Status != StatusPass && c.Status != StatusInconclusive {
			out = append(out, c)
		}
	}
	return out
}

// Summary is a one-phrase account of a verdict for headlines: "5 of 5 checks
// passed", "2 of 5 checks failed", "1 of 5 checks inconclusive".
func Summary(v *result.Verdict) string {
	if v == nil {
		return "no checks"
	}
	n := len(v.Checks)
	if n == 0 {
		return "no checks configured"
	}
	p, f, i := Counts(v)
	switch {
	case f > 0:
		return fmt.Sprintf("%d of %d %s failed", f, n, plural(n, "check"))
	case i > 0:
		return fmt.Sprintf("%d of %d %s inconclusive", i, n, plural(n, "check"))
	}
	return fmt.Sprintf("%d of %d %s passed", p, n, plural(n, "check"))
}

// Describe names a check for a report line: "total p95 < 500ms" for a
// threshold, "total p95 vs baseline" for a baseline comparison.
func Describe(c result.Check) string {
	if VsBaseline(c) {
		return fmt.Sprintf("%s %s vs baseline", c.Scope, c.Metric)
	}
	switch c.Op {
	case "<", "<=", ">", ">=":
		return fmt.Sprintf("%s %s %s %s", c.Scope, c.Metric, c.Op, FormatValue(c.Limit, c.Unit))
	}
	return fmt.Sprintf("%s %s %s", c.Scope, c.Metric, c.Op)
}

// VsBaseline reports whether c compares a metric with a baseline (or, in
// an A/B comparison, with the base build): Source "baseline", except the
// check that the baseline file exists (Op "exists"). Its Op, "<=" or ">=",
// is a real operator, so Source, not Op, tells it from a threshold.
func VsBaseline(c result.Check) bool {
	return c.Source == "baseline" && c.Op != "exists"
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Unguarded is the warning for a run that passes only because nothing was
// checked: no threshold or baseline check, yet requests failed. The exit
// code stays 0 (every check passed, and there were none), as
// k6's does without thresholds; the warning, in every report, keeps a
// forgotten gate, or a target that refused every connection, from being
// read as a pass. "" when there are checks or no failures.
func Unguarded(r *result.Result) string {
	if r == nil || r.Total == nil || r.Total.Failures == 0 || (r.Verdict != nil && len(r.Verdict.Checks) > 0) {
		return ""
	}
	t := r.Total
	return fmt.Sprintf("no checks are configured, so this run passes although %d of %d requests failed (%s); "+
		"a threshold such as \"failure_rate < 1%%\" under thresholds.total fails the run on errors",
		t.Failures, t.Requests, FormatMeasured(100*float64(t.Failures)/float64(max(t.Requests, 1)), "%"))
}
