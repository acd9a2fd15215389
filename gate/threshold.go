// Package gate turns the thresholds of a loadgate config into checks and
// decides a run's verdict from them. It is pure: no files, no clock, no
// network; the caller hands it parsed specs and a finished result.
package gate

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// Threshold is one parsed threshold line: "METRIC OP VALUE" under a scope.
// Limit is in the metric's unit: milliseconds for durations, requests per
// second for rps, percent for failure_rate, a count otherwise.
type Threshold struct {
	Scope  string     // "total" or an endpoint name
	Metric string     // p95, rps, failure_rate, ...
	Op     string     // < <= > >=
	Limit  float64    // in Unit
	Unit   string     // "ms", "/s", "%" or "" for counts
	Expr   string     // as written, for messages
	Pos    config.Pos // where it was written, zero when unknown
	// Default marks the failure check loadgate adds (WithDefaults).
	Default bool
	// Abort, when set, ends the run as soon as the threshold fails on the
	// data so far, after this much measured time.
	Abort *time.Duration
}

// AbortCheck returns the reason to end a run early, or "": the first
// threshold with abort that fails on the result so far, once its grace
// time is over. A threshold without data yet does not abort.
func AbortCheck(ths []Threshold) func(*result.Result) string {
	var abort []Threshold
	for _, th := range ths {
		if th.Abort != nil {
			abort = append(abort, th)
		}
	}
	if len(abort) == 0 {
		return nil
	}
	return func(r *result.Result) string {
		for _, th := range abort {
			if r.DurationS < th.Abort.Seconds() {
				continue
			}
			c := evaluate(r, th)
			if c.Status == StatusFail && !strings.HasPrefix(c.Reason, ReasonNoData) {
				return fmt.Sprintf("threshold %s %s failed after %ss of measured time (measured %s) and has abort",
					th.Scope, th.Expr, FormatNumber(r.DurationS), FormatMeasured(c.Measured, th.Unit))
			}
		}
		return ""
	}
}

// ParseThreshold parses "METRIC OP VALUE", e.g. "p95 < 500ms", "rps >= 30",
// "failure_rate < 1%". Whitespace is optional around the operator. The
// returned threshold has no Scope or Pos; Compile fills them in.
func ParseThreshold(expr string) (Threshold, error) {
	s := strings.TrimSpace(expr)
	if s == "" {
		return Threshold{}, errors.New(`empty threshold; write "METRIC OP VALUE", e.g. "p95 < 500ms"`)
	}
	// The metric is the leading run of name characters; whatever follows up
	// to the value is the operator.
	i := strings.IndexFunc(s, func(r rune) bool {
		return !(r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r))
	})
	if i < 0 {
		return Threshold{}, fmt.Errorf("%q has no operator; write \"METRIC OP VALUE\", e.g. \"p95 < 500ms\"", s)
	}
	m, ok := result.Lookup(s[:i])
	if !ok {
		known := strings.Join(result.MetricNames(false), ", ")
		if i == 0 {
			return Threshold{}, fmt.Errorf("%q does not start with a metric (known: %s)", s, known)
		}
		return Threshold{}, fmt.Errorf("unknown metric %q (known: %s)", s[:i], known)
	}
	name := m.Name
	rest := strings.TrimLeftFunc(s[i:], unicode.IsSpace)
	var abort *time.Duration
	if mm := abortSuffix.FindStringSubmatchIndex(rest); mm != nil {
		grace := DefaultAbortGrace
		if mm[2] >= 0 {
			g, err := time.ParseDuration(rest[mm[2]:mm[3]])
			if err != nil || g < 0 {
				return Threshold{}, fmt.Errorf("%q: abort after needs a duration such as 10s", s)
			}
			grace = g
		}
		abort, rest = &grace, rest[:mm[0]]
	}
	op, value, err := splitOp(rest)
	if err != nil {
		return Threshold{}, err
	}
	if value == "" {
		return Threshold{}, fmt.Errorf("%q has no value after %q", s, op)
	}
	limit, err := parseValue(name, m.Kind, value)
	if err != nil {
		return Threshold{}, err
	}
	return Threshold{Metric: name, Op: op, Limit: limit, Unit: m.Unit(), Expr: s, Abort: abort}, nil
}

// abortSuffix is a threshold's "abort" or "abort after 10s": end the run
// as soon as it fails on the data so far, once the grace time of measured
// time has passed (k6's abortOnFail and delayAbortEval).
var abortSuffix = regexp.MustCompile(`(?i)\s*,?\s*\babort(?:\s+after\s+(\S+))?\s*$`)

// DefaultAbortGrace is how much measured time an abort threshold waits
// before it may end the run: percentiles of the first seconds are noise.
const DefaultAbortGrace = 10 * time.Second

// splitOp takes the comparison operator off the front of s and returns the
// value with all whitespace removed ("500 ms" is "500ms").
func splitOp(s string) (op, value string, err error) {
	for _, o := range []string{"<=", ">=", "<", ">"} {
		if strings.HasPrefix(s, o) {
			v := strings.Join(strings.Fields(s[len(o):]), "")
			return o, v, nil
		}
	}
	// Name the operator the user wrote: everything up to the value.
	j := strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsDigit(r) || unicode.IsSpace(r) || r == '.'
	})
	bad := s
	if j >= 0 {
		bad = s[:j]
	}
	if bad == "" {
		return "", "", errors.New("missing operator; use one of < <= > >=")
	}
	hint := ""
	switch bad {
	case "=", "==":
		hint = "; equality is not a useful gate for a measurement, use <= or >="
	case "=<", "≤":
		hint = "; did you mean <=?"
	case "=>", "≥":
		hint = "; did you mean >=?"
	}
	return "", "", fmt.Errorf("unknown operator %q (use one of < <= > >=)%s", bad, hint)
}

// parseValue reads a limit according to the metric's kind and converts it
// to the metric's unit.
func parseValue(metric string, kind result.Kind, v string) (float64, error) {
	switch kind {
	case result.Duration:
		return parseDurationMS(metric, v)
	case result.Rate:
		n, err := parseNumber(strings.TrimSuffix(v, "/s"))
		if err != nil {
			return 0, fmt.Errorf("%s needs requests per second, e.g. 30 or 30/s; got %q", metric, v)
		}
		if n < 0 {
			return 0, fmt.Errorf("%s cannot be negative, got %s", metric, v)
		}
		return n, nil
	case result.Count:
		if strings.HasPrefix(v, "-") {
			return 0, fmt.Errorf("%s cannot be negative, got %s", metric, v)
		}
		n, ok := parseCount(v)
		if !ok {
			return 0, fmt.Errorf("%s needs a whole number, e.g. 1000 or 2.5M; got %q", metric, v)
		}
		return n, nil
	case result.Utilization:
		n, err := parseNumber(strings.TrimSuffix(v, "%"))
		if err != nil {
			return 0, fmt.Errorf("%s needs a percentage of one CPU core, e.g. 80%% (200%% is two cores); got %q", metric, v)
		}
		if n < 0 {
			return 0, fmt.Errorf("%s cannot be negative, got %s", metric, v)
		}
		return n, nil
	case result.Bytes:
		return result.ParseBytes(metric, v)
	case result.Percent:
		n, err := parseNumber(strings.TrimSuffix(v, "%"))
		if err != nil {
			return 0, fmt.Errorf("%s needs a percentage, e.g. 1%% or 0.5%%; got %q", metric, v)
		}
		if n < 0 {
			return 0, fmt.Errorf("%s cannot be negative, got %s", metric, v)
		}
		if n > 100 {
			return 0, fmt.Errorf("%s is a percentage between 0 and 100, got %s", metric, v)
		}
		return n, nil
	}
	return 0, fmt.Errorf("unknown metric %q", metric)
}

// parseDurationMS reads a duration with a unit and returns milliseconds. A
// bare number is refused: "p95 < 500" is ambiguous (ms? s?) and a silent
// guess would make a gate that never fails.
func parseDurationMS(metric, v string) (float64, error) {
	if strings.HasPrefix(v, "-") {
		return 0, fmt.Errorf("%s cannot be negative, got %s", metric, v)
	}
	if _, err := parseNumber(v); err == nil {
		return 0, fmt.Errorf("%s: duration needs a unit, e.g. %sms", metric, v)
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s needs a duration such as 500ms, 1.5s or 250us; got %q", metric, v)
	}
	return float64(d) / float64(time.Millisecond), nil
}

// parseNumber is strconv.ParseFloat without the spellings that make no sense
// in a config: NaN, infinities, hex floats and digit separators.
func parseNumber(s string) (float64, error) {
	if s == "" || strings.ContainsAny(s, "xXpP_") {
		return 0, errors.New("not a number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("not a number")
	}
	return f, nil
}

// FormatValue renders a metric value with its unit and at most three
// decimals, without trailing zeros: 55.1ms, 30/s, 1%, 1200, 300MiB.
func FormatValue(v float64, unit string) string {
	if unit == "B" {
		return result.FormatBytes(v)
	}
	return FormatNumber(v) + unit
}

// FormatMeasured renders a measured value with its unit at four
// significant digits (597.5ms, 57.7ms, 1.875%, 3600): a histogram
// percentile's last decimals are noise, and a limit keeps FormatValue.
func FormatMeasured(v float64, unit string) string {
	if unit == "B" {
		return result.FormatBytes(v)
	}
	return result.Sig4(v) + unit
}

// FormatNumber renders v with at most three decimals and no trailing zeros.
func FormatNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// parseCount reads a whole number, written out or with a decimal suffix
// (k, M, G: 2.5M is 2,500,000), as counts of instructions are.
func parseCount(v string) (float64, bool) {
	mult := 1.0
	if v != "" {
		switch v[len(v)-1] {
		case 'k':
			mult = 1e3
		case 'M':
			mult = 1e6
		case 'G':
			mult = 1e9
		}
	}
	if mult == 1 {
		n, err := strconv.ParseInt(v, 10, 64)
		return float64(n), err == nil
	}
	n, err := parseNumber(v[:len(v)-1])
	n *= mult
	r := math.Round(n) // 1.1k is 1100.0000000000002 in floating point
	return r, err == nil && n >= 0 && math.Abs(n-r) <= 1e-9*n && n < 1e18
}
