package report

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

// Size limits of the Markdown report. GitHub refuses a job summary over
// 1 MiB; staying under 900 KiB leaves room for other steps' summaries and
// for the fixed parts written after the size-dependent ones.
const (
	maxMarkdown     = 900 * 1024
	softMarkdown    = 760 * 1024 // stop adding optional rows past this
	mainTableRows   = 50         // endpoints in the main table before the cut
	maxFailureRows  = 200
	maxWarningItems = 50
	maxLogLines     = 50
	maxLogLineLen   = 300
)

// full reports whether the report has used its budget for optional rows.
func full(b *bytes.Buffer) bool { return b.Len() > softMarkdown }

// Markdown writes the report as GitHub-flavoured Markdown, suitable for
// $GITHUB_STEP_SUMMARY: the verdict first, then checks,
// warnings, endpoints, failures, the timeline and the application's log.
// Everything that came from users or the server is escaped. The output is
// deterministic for a given result.
func Markdown(w io.Writer, r *result.Result) error {
	var b bytes.Buffer
	writeHeadline(&b, r)
	writeChecks(&b, r.Verdict)
	writeWarnings(&b, r)
	writeEndpoints(&b, r)
	writeAppMarkdown(&b, r)
	writeFailures(&b, r)
	writeTimeline(&b, r)
	writeTarget(&b, r.Target)
	if b.Len() > maxMarkdown { // the budgets above should make this unreachable
		cut := bytes.LastIndexByte(b.Bytes()[:maxMarkdown-200], '\n')
		b.Truncate(cut + 1)
		b.WriteString("\n_The report was cut to stay under GitHub's summary size limit; see the result JSON._\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeHeadline writes the verdict heading, the load description and the
// provenance line.
func writeHeadline(b *bytes.Buffer, r *result.Result) {
	v := r.Verdict
	switch {
	case v == nil:
		fmt.Fprintf(b, "## loadgate: no verdict\n\n")
	case v.Status == gate.StatusPass:
		fmt.Fprintf(b, "## ✅ loadgate: PASS\n\n")
	case v.Status == gate.StatusInconclusive:
		fmt.Fprintf(b, "## ❔ loadgate: INCONCLUSIVE — %s\n\n", gate.Summary(v))
	case v.Status == gate.StatusInterrupted:
		fmt.Fprintf(b, "## ⏹️ loadgate: INTERRUPTED — partial results, %s\n\n", gate.Summary(v))
	default:
		fmt.Fprintf(b, "## ❌ loadgate: %s — %s\n\n", md(verdictWord(v), 40), md(outcome(r), maxLineLen))
	}
	fmt.Fprintf(b, "%s\n\n", loadLine(r))
	if p := provenanceLine(r); p != "" {
		fmt.Fprintf(b, "<sub>%s</sub>\n\n", p)
	}
	if r.Interrupted {
		fmt.Fprintf(b, "> **Interrupted:** the run was stopped before its end; these are partial results.\n\n")
	}
}

// loadLine describes the load in one line: model, users or rate, duration,
// requests, throughput and failure rate.
func loadLine(r *result.Result) string {
	t := total(r)
	var parts []string
	l := r.Load
	if l.Model == "open" || (l.Model == "" && l.ArrivalRate > 0) {
		parts = append(parts, fmt.Sprintf("Open model, %s starts/s", gate.FormatNumber(l.ArrivalRate)))
	} else {
		s := fmt.Sprintf("Closed model, %d users", l.Users)
		if l.SpawnRate > 0 {
			s += fmt.Sprintf(" (spawn %s/s)", gate.FormatNumber(l.SpawnRate))
		}
		parts = append(parts, s)
	}
	d := fmtSeconds(r.DurationS)
	if l.WarmupS > 0 {
		d += " after " + fmtSeconds(l.WarmupS) + " warmup"
	}
	parts = append(parts, d,
		fmt.Sprintf("%d requests", t.Requests),
		fmt.Sprintf("%s req/s", fmtRPS(t.RPS)),
		fmt.Sprintf("%d failed (%s)", t.Failures, fmtPct(t.FailureRate)))
	if r.Dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d starts dropped", r.Dropped))
	}
	if r.NotSent > 0 {
		parts = append(parts, fmt.Sprintf("%d starts not sent", r.NotSent))
	}
	return strings.Join(parts, " · ")
}

// provenanceLine names commit, runner and version; these come from the
// environment, so they are escaped like any other outside text.
func provenanceLine(r *result.Result) string {
	return strings.Join(provenanceParts(r, md), " · ")
}

// writeChecks writes the checks table and, below it, why each failing or
// inconclusive baseline check came out as it did, and the verdict's
// warnings as footnotes of the Baseline column (they qualify the
// comparison: another CPU, a forced workload, a single kept run).
func writeChecks(b *bytes.Buffer, v *result.Verdict) {
	fmt.Fprintf(b, "### Checks\n\n")
	var notes []string
	if v != nil {
		notes = v.Warnings
	}
	if v == nil || len(v.Checks) == 0 {
		fmt.Fprintf(b, "_No thresholds or baseline checks were configured._\n\n")
		writeFootnotes(b, notes)
		return
	}
	fmt.Fprintf(b, "| Check | Limit | Measured | Baseline%s | Delta | Result |\n", footnoteMarks(len(notes)))
	fmt.Fprintf(b, "|---|---:|---:|---:|---:|---|\n")
	var why []string
	for i, c := range v.Checks {
		if full(b) {
			fmt.Fprintf(b, "\n_%d more checks were left out to keep the report under GitHub's size limit; see the result JSON._\n", len(v.Checks)-i)
			break
		}
		limit := md(limitOp(c), 2) + " " + checkValue(c.Limit, c.Unit)
		if gate.VsBaseline(c) { // derived from a measurement, not written by the user
			limit = md(limitOp(c), 2) + " " + measuredValue(c.Limit, c.Unit)
		}
		measured := measuredValue(c.Measured, c.Unit)
		if gate.NoData(c) {
			measured = "no data"
		}
		name := md(c.Scope, maxNameLen) + " " + md(c.Metric, 20)
		switch {
		case gate.VsBaseline(c):
			name += " vs baseline"
		case c.Op == "exists": // the baseline file itself (baseline.missing: fail)
			name += " exists"
			limit, measured = "–", "missing"
		}
		if c.Default {
			name += " (default)"
		}
		base, delta := "–", "–"
		if c.Baseline != nil {
			base = measuredValue(*c.Baseline, c.Unit)
		}
		switch {
		case isPoints(c.Metric) && c.Baseline != nil:
			// A baseline check's tolerance is in points, so is its change;
			// a threshold on the same metric shows the same change.
			delta = fmtSignedPoints(c.Measured - *c.Baseline)
		case c.DeltaPct != nil:
			delta = fmtSigned(*c.DeltaPct)
		case c.Baseline != nil && *c.Baseline == 0:
			delta = "?" // no relative change from zero
		}
		if c.Status == gate.StatusInconclusive {
			delta = "~" // benchstat's mark for "no significant change"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", name, limit, measured, base, delta, resultMark(c.Status))
		// A threshold's reason only restates its row; a baseline check's
		// reason (change, interval, tolerance, noise) adds to it.
		if c.Status != gate.StatusPass && ((c.Source != "threshold" || c.Default) && c.Reason != "" && c.Reason != gate.ReasonNoData || strings.HasPrefix(c.Reason, gate.ReasonNoData+": ")) {
			why = append(why, fmt.Sprintf("- %s: %s", name, md(c.Reason, maxReasonLen)))
		}
	}
	b.WriteString("\n")
	if len(why) > 0 {
		b.WriteString(strings.Join(why, "\n"))
		b.WriteString("\n\n")
	}
	writeFootnotes(b, notes)
}

// footnoteMarks are the superscript marks the Baseline header carries for
// n footnotes: "¹", "¹ ²", "¹⁻⁵".
func footnoteMarks(n int) string {
	switch {
	case n == 0:
		return ""
	case n == 1:
		return " " + superscript(1)
	case n == 2:
		return " " + superscript(1) + " " + superscript(2)
	}
	return " " + superscript(1) + "⁻" + superscript(min(n, maxWarningItems))
}

// writeFootnotes writes the verdict's warnings under the checks table, a
// paragraph each: as list items they would merge with the list above.
func writeFootnotes(b *bytes.Buffer, notes []string) {
	for i, n := range notes {
		if i == maxWarningItems {
			fmt.Fprintf(b, "_… %d more notes in the result JSON._\n\n", len(notes)-i)
			break
		}
		fmt.Fprintf(b, "%s ⚠️ %s\n\n", superscript(i+1), md(n, maxLineLen))
	}
}

// superscript renders n in superscript digits.
func superscript(n int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	sup := []rune(digits)
	var out []rune
	for _, d := range fmt.Sprint(n) {
		out = append(out, sup[d-'0'])
	}
	return string(out)
}

// limitOp is the comparison shown before a check's limit. A baseline
// check's limit is the worst value its tolerance allows: a floor for
// throughput (">="), a ceiling for latency and failures ("<="), as its Op
// says. Results written before baseline checks had real operators carry
// Op "baseline", whose direction is the metric's.
func limitOp(c result.Check) string {
	if c.Op == "baseline" {
		if c.Metric == "rps" || c.Metric == "requests" {
			return ">="
		}
		return "<="
	}
	return c.Op
}

// resultMark is the Result cell of a check.
func resultMark(status string) string {
	switch status {
	case gate.StatusPass:
		return "✅ pass"
	case gate.StatusInconclusive:
		return "❔ inconclusive"
	}
	return "❌ " + md(status, 20)
}

// writeWarnings lists the run's warnings, and the dropped starts of an
// open-model run (a sign the target fell behind). The verdict's warnings
// are footnotes of the checks table (writeChecks).
func writeWarnings(b *bytes.Buffer, r *result.Result) {
	ws := append([]string(nil), r.Warnings...)
	if r.Dropped > 0 {
		ws = append(ws, fmt.Sprintf("%d scheduled starts were dropped because no virtual user was free; "+
			"the target could not keep up with the arrival rate (or raise load.users, the pool size).", r.Dropped))
	}
	if len(ws) == 0 {
		return
	}
	fmt.Fprintf(b, "### Warnings\n\n")
	for i, w := range ws {
		if i == maxWarningItems {
			fmt.Fprintf(b, "- … %d more warnings in the result JSON\n", len(ws)-i)
			break
		}
		fmt.Fprintf(b, "- ⚠️ %s\n", md(w, maxLineLen))
	}
	b.WriteString("\n")
}

// writeEndpoints writes the endpoint table. Past mainTableRows endpoints the
// busiest ones stay in the main table and the rest go into a collapsed one,
// so a workload with hundreds of names keeps a readable summary.
func writeEndpoints(b *bytes.Buffer, r *result.Result) {
	rows := endpointRows(r)
	fmt.Fprintf(b, "### Endpoints\n\n")
	main, rest := rows, []*result.Stats(nil)
	if len(rows) > mainTableRows {
		busy := append([]*result.Stats(nil), rows...)
		sort.SliceStable(busy, func(i, j int) bool { return busy[i].Requests > busy[j].Requests })
		keep := make(map[*result.Stats]bool, mainTableRows)
		for _, e := range busy[:mainTableRows] {
			keep[e] = true
		}
		main, rest = nil, nil
		for _, e := range rows { // both parts stay in name order
			if keep[e] {
				main = append(main, e)
			} else {
				rest = append(rest, e)
			}
		}
		fmt.Fprintf(b, "_The table was cut: the %d busiest of %d endpoints are shown; the other %d are below._\n\n",
			len(main), len(rows), len(rest))
	}
	endpointTable(b, main, total(r), true)
	if len(rest) > 0 {
		fmt.Fprintf(b, "<details><summary>%d more endpoints</summary>\n\n", len(rest))
		endpointTable(b, rest, total(r), false)
		fmt.Fprintf(b, "</details>\n\n")
	}
}

// endpointTable writes one endpoint table, with the aggregate row when
// withTotal is set. It stops adding rows when the report nears its size
// limit and says how many it left out.
func endpointTable(b *bytes.Buffer, rows []*result.Stats, t *result.Stats, withTotal bool) {
	b.WriteString("| Name | Method | Requests | Failures | Fail % | Median (ms) | p90 (ms) | p95 (ms) | p99 (ms) | Max (ms) | RPS |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(name, method string, s *result.Stats) {
		l := latencyCells(s)
		fmt.Fprintf(b, "| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n",
			name, method, s.Requests, s.Failures, fmtPct(s.FailureRate), l[0], l[1], l[2], l[3], l[4], fmtRPS(s.RPS))
	}
	for i, e := range rows {
		if full(b) {
			fmt.Fprintf(b, "\n_%d more endpoints were left out to keep the report under GitHub's size limit; see the result JSON._\n", len(rows)-i)
			break
		}
		row(md(e.Name, maxNameLen), md(e.Method, 20), e)
	}
	if withTotal {
		row("**Aggregated**", "", t)
	}
	b.WriteString("\n")
}

// writeFailures writes failure counts by reason per endpoint, when any
// request failed.
func writeFailures(b *bytes.Buffer, r *result.Result) {
	reasons := failureReasons(r)
	if len(reasons) == 0 {
		return
	}
	fmt.Fprintf(b, "### Failures\n\n")
	fmt.Fprintf(b, "| Endpoint | Method | Reason | Count |\n|---|---|---|---:|\n")
	for i, rc := range reasons {
		if i == maxFailureRows || full(b) {
			fmt.Fprintf(b, "\n_%d more failure reasons are in the result JSON._\n", len(reasons)-i)
			break
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d |\n",
			md(rc.endpoint, maxNameLen), md(rc.method, 20), md(rc.reason, maxReasonLen), rc.count)
	}
	b.WriteString("\n")
}

// writeTarget describes the application loadgate started: its command, its
// error if it failed, and the tail of its log in a collapsed code block.
func writeTarget(b *bytes.Buffer, t *result.TargetReport) {
	if t == nil {
		return
	}
	fmt.Fprintf(b, "### Application under test\n\n")
	fmt.Fprintf(b, "Command: %s\n\n", md(t.Command, maxLineLen))
	if t.Error != "" {
		fmt.Fprintf(b, "**Error:** %s\n\n", md(t.Error, maxLineLen))
	}
	if t.LogFile != "" {
		fmt.Fprintf(b, "Log file: %s\n\n", md(t.LogFile, maxLineLen))
	}
	if len(t.LogTail) == 0 {
		return
	}
	lines := t.LogTail
	if len(lines) > maxLogLines {
		lines = lines[len(lines)-maxLogLines:]
	}
	clean := make([]string, len(lines))
	for i, l := range lines {
		clean[i] = cleanLine(l, maxLogLineLen, false)
	}
	text := strings.Join(clean, "\n")
	// A fence longer than any backtick run in the log cannot be closed by it;
	// inside a code block, HTML such as </details> is plain text.
	fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
	fmt.Fprintf(b, "<details><summary>Last %d lines of the application log</summary>\n\n", len(lines))
	fmt.Fprintf(b, "%stext\n%s\n%s\n\n</details>\n\n", fence, text, fence)
}

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// fmtSignedPoints renders a change in percentage points: +0.12 pts, -1 pts.
func fmtSignedPoints(v float64) string {
	s := strings.TrimSuffix(fmtSigned(v), "%")
	if s == "-0" {
		s = "+0"
	}
	return s + " pts"
}

// isPoints: a rate compared by difference, whose change is in points.
func isPoints(metric string) bool {
	m, _ := result.Lookup(metric)
	return m.ByDifference && m.Kind == result.Percent
}
