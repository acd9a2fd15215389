// Package report renders a load.Result for people: a terminal table, a
// Markdown job summary, live progress lines, and the JSON artifact itself.
// It decides nothing; the verdict comes from package gate.
package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/load/secret"
)

// Length caps for text that users or servers control. A failure reason is
// often a response body; without a cap one chatty server fills the report.
const (
	maxReasonLen = 200
	maxNameLen   = 200
	maxLineLen   = 500
)

// fmtMS renders milliseconds with precision that suits the magnitude, so
// that 0.35 ms and 1234 ms are both readable in one column.
func fmtMS(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// latencyCells are a row's median, p90, p95, p99 and max, or dashes when
// none of its requests has a latency (all refused, or none sent): 0.00
// would read as a very fast endpoint.
func latencyCells(s *result.Stats) [5]string {
	if s.Timed() == 0 {
		return [5]string{"–", "–", "–", "–", "–"}
	}
	l := s.LatencyMS
	return [5]string{fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P95), fmtMS(l.P99), fmtMS(l.Max)}
}

// fmtRPS renders a request rate with one decimal.
func fmtRPS(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// fmtPct renders a percentage with at most two decimals: 0.25%, 0%, 12.5%.
func fmtPct(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

// fmtSigned renders a relative change with its sign: +9.8%, -3%.
func fmtSigned(v float64) string {
	if v >= 0 {
		return "+" + fmtPct(v)
	}
	return fmtPct(v)
}

// fmtSeconds renders a duration given in seconds: 60s, 90s, 2m30s, 1.5s.
// Minutes start at two, as "1m30s" is slower to read than "90s".
func fmtSeconds(s float64) string {
	if s >= 120 && s == math.Trunc(s) {
		m, sec := int64(s)/60, int64(s)%60
		if sec == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%ds", m, sec)
	}
	return gate.FormatNumber(s) + "s"
}

// measuredValue is checkValue for measurements, at four significant digits.
func measuredValue(v float64, unit string) string {
	if unit == "B" {
		return result.FormatBytes(v)
	}
	s := gate.FormatMeasured(v, "")
	if unit == "" {
		return s
	}
	return s + " " + unit
}

// checkValue renders a check's limit, measurement or baseline with the
// check's unit, spaced for tables: "500 ms", "30 /s", "1 %", "1200".
func checkValue(v float64, unit string) string {
	if unit == "B" {
		return result.FormatBytes(v)
	}
	if unit == "" {
		return gate.FormatNumber(v)
	}
	return gate.FormatNumber(v) + " " + unit
}

// cleanText makes untrusted text one printable line: ANSI escape sequences
// are dropped, other control characters (newlines included) become spaces,
// runs of spaces collapse, and the result is cut to max runes with "…".
func cleanText(s string, max int) string { return cleanLine(s, max, true) }

// cleanLine is cleanText with a choice: log lines keep their indentation
// (collapse false), labels and reasons do not.
func cleanLine(s string, max int, collapse bool) string {
	s = secret.Redact(s) // every text of a report passes here: secrets never reach one
	var b strings.Builder
	space := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0x1b { // ESC: skip a CSI sequence (ESC [ ... final byte) or the lone ESC
			i += size
			if i < len(s) && s[i] == '[' {
				i++
				for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
					i++
				}
				i++
			}
			continue
		}
		i += size
		if r == utf8.RuneError && size == 1 {
			r = '\uFFFD'
		}
		if isBidi(r) { // could reorder the text around it on screen
			continue
		}
		if r == '\t' && !collapse {
			b.WriteString("    ")
			continue
		}
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			if !collapse || (!space && b.Len() > 0) {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return truncate(strings.TrimRight(b.String(), " "), max)
}

// isBidi reports the invisible bidirectional controls of "Trojan Source"
// fame, which can make displayed text differ from its bytes.
func isBidi(r rune) bool {
	return r == '\u061c' || r == '\u200e' || r == '\u200f' ||
		(r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// truncate cuts s to at most max runes, marking the cut with "…".
func truncate(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// mdReplacer escapes every character that could start Markdown or HTML
// syntax, or end a table cell. Backslash comes first in meaning: it is
// escaped itself so that a trailing "\" cannot un-escape our "\|".
var mdReplacer = strings.NewReplacer(
	`\`, `\\`,
	"|", `\|`,
	"<", "&lt;",
	">", "&gt;",
	"&", "&amp;",
	"`", "\\`",
	"*", `\*`,
	"_", `\_`,
	"[", `\[`,
	"]", `\]`,
	"#", `\#`,
	"~", `\~`,
	"!", `\!`,
	"$", `\$`, // GitHub renders $…$ as math
	// GFM turns bare URLs into links; an escaped slash or dot reads the
	// same but is no longer a URL.
	"://", `:\/\/`,
	"www.", `www\.`,
)

// md makes untrusted text (endpoint names, failure reasons, server output)
// safe inside a Markdown table cell or list item: one line, at most max
// runes, every syntax character escaped.
func md(s string, max int) string {
	out := mdReplacer.Replace(cleanText(s, max))
	// A leading "- ", "+ " or "1. " would start a nested list in a list item.
	marker := func(i int) bool { return i+1 == len(out) || out[i+1] == ' ' }
	if (strings.HasPrefix(out, "-") || strings.HasPrefix(out, "+")) && marker(0) {
		return `\` + out
	}
	if i := strings.IndexFunc(out, func(r rune) bool { return r < '0' || r > '9' }); i > 0 &&
		(out[i] == '.' || out[i] == ')') && marker(i) {
		return out[:i] + `\` + out[i:]
	}
	return out
}

// endpointRows returns the endpoints sorted by name, then method, so every
// report lists them in the same order whatever order load produced.
func endpointRows(r *result.Result) []*result.Stats {
	out := make([]*result.Stats, 0, len(r.Endpoints))
	for _, e := range r.Endpoints {
		if e != nil {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// total returns the aggregate stats, or an empty row when a result (for
// example a hand-edited file) has none.
func total(r *result.Result) *result.Stats {
	if r.Total != nil {
		return r.Total
	}
	return &result.Stats{Name: "total"}
}

// reasonCount is one failure reason of one endpoint.
type reasonCount struct {
	endpoint, method, reason string
	count                    int64
}

// failureReasons lists failure reasons per endpoint, sorted by endpoint,
// then by count (most first), then by reason. If no endpoint carries reasons
// the total's are used, so a result with only aggregate stats still shows them.
func failureReasons(r *result.Result) []reasonCount {
	var out []reasonCount
	for _, e := range endpointRows(r) {
		for reason, n := range e.FailureReasons {
			out = append(out, reasonCount{e.Name, e.Method, withSample(reason, e.FailureSamples), n})
		}
	}
	if len(out) == 0 {
		t := total(r)
		for reason, n := range t.FailureReasons {
			out = append(out, reasonCount{"total", "", withSample(reason, t.FailureSamples), n})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.endpoint != b.endpoint {
			return a.endpoint < b.endpoint
		}
		if a.method != b.method {
			return a.method < b.method
		}
		if a.count != b.count {
			return a.count > b.count
		}
		return a.reason < b.reason
	})
	return out
}

// hasMethod reports whether any endpoint records an HTTP method, so tables
// can leave out a column that would be empty.
func hasMethod(rows []*result.Stats) bool {
	for _, e := range rows {
		if e.Method != "" {
			return true
		}
	}
	return false
}

// warnings collects the result's and the verdict's warnings, in order.
func warnings(r *result.Result) []string {
	out := append([]string(nil), r.Warnings...)
	if r.Verdict != nil {
		out = append(out, r.Verdict.Warnings...)
	}
	return out
}

// verdictWord is the upper-case headline word of a verdict status.
func verdictWord(v *result.Verdict) string {
	if v == nil {
		return "NO VERDICT"
	}
	return strings.ToUpper(v.Status)
}

// outcome is the headline's account of a run: that the target failed (its
// command and the error, which ends with what it printed last), else the
// checks' summary.
func outcome(r *result.Result) string {
	if t := r.Target; t != nil && t.Error != "" {
		return "the target failed: " + t.Error
	}
	if r.Aborted != "" {
		return "stopped early: " + r.Aborted
	}
	return gate.Summary(r.Verdict)
}

// withSample shows a reason with what the first failed response said,
// when loadgate kept its start: "status 500 — {"detail":"db down"}".
func withSample(reason string, samples map[string]string) string {
	if s := samples[reason]; s != "" && !strings.Contains(reason, s) {
		return reason + " — " + s
	}
	return reason
}
