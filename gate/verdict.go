package gate

import (
	"fmt"
	"sort"
	"strings"

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
	var s string
	switch {
	case VsBaseline(c):
		s = fmt.Sprintf("%s %s vs baseline", c.Scope, c.Metric)
	case c.Op == "<" || c.Op == "<=" || c.Op == ">" || c.Op == ">=":
		s = fmt.Sprintf("%s %s %s %s", c.Scope, c.Metric, c.Op, FormatValue(c.Limit, c.Unit))
	default:
		s = fmt.Sprintf("%s %s %s", c.Scope, c.Metric, c.Op)
	}
	if c.Default {
		s += " (default)"
	}
	return s
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

// generatorPrefix starts the failure reasons that are loadgate's own
// (load/httpc.GeneratorPrefix; gate does not import the client).
const generatorPrefix = "loadgate: "

// FailureWarnings are what every report says about a run's failures
// beyond the checks: requests that failed inside loadgate itself (the run
// measured the generator, not the target), and requests that got no
// response, which count as failures but have no latency.
func FailureWarnings(r *result.Result) []string {
	if r == nil || r.Total == nil || r.Total.Failures == 0 {
		return nil
	}
	t := r.Total
	var out []string
	var own int64
	var ownReasons []string
	for _, k := range sortedReasons(t.FailureReasons) {
		if strings.HasPrefix(k, generatorPrefix) {
			own += t.FailureReasons[k]
			ownReasons = append(ownReasons, strings.TrimPrefix(k, generatorPrefix))
		}
	}
	if own > 0 {
		out = append(out, fmt.Sprintf("%d of %d requests failed inside loadgate, not at the target (%s): "+
			"these figures describe the generator; fix that and run again", own, t.Requests, strings.Join(ownReasons, "; ")))
	}
	if none := t.StatusCodes["none"]; none > 0 {
		out = append(out, fmt.Sprintf("%d of %d requests got no response (refused, reset, closed, malformed or timed out): "+
			"they count as failures; latencies cover responses of any status, and timeouts at the time they were given up",
			none, t.Requests))
	}
	return out
}

func sortedReasons(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
