package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Terminal caps: a name or reason longer than this wrecks the table's width.
const (
	termNameLen     = 80
	termReasonLen   = 120
	termFailureRows = 20
)

// Terminal writes the end-of-run report for a console or CI log, in the
// manner of Locust's final stats: the endpoint table with an aggregated
// row, the failures by reason, each check as a PASS/FAIL line, warnings, and
// the verdict as the last line. Write errors are ignored: this is a
// best-effort display, the artifact is the JSON.
func Terminal(w io.Writer, r *result.Result) {
	rows := endpointRows(r)
	withMethod := hasMethod(rows)

	header := []any{"Name"}
	align := []tw.Align{tw.AlignLeft}
	if withMethod {
		header = append(header, "Method")
		align = append(align, tw.AlignLeft)
	}
	header = append(header, "# reqs", "# fails", "Median (ms)", "p90 (ms)", "p95 (ms)", "p99 (ms)", "Max (ms)", "RPS")
	for len(align) < len(header) {
		align = append(align, tw.AlignRight)
	}
	row := func(name, method string, s *result.Stats) []any {
		out := []any{name}
		if withMethod {
			out = append(out, method)
		}
		l := latencyCells(s)
		return append(out, fmt.Sprint(s.Requests),
			fmt.Sprintf("%d (%s)", s.Failures, fmtPct(s.FailureRate)),
			l[0], l[1], l[2], l[3], l[4], fmtRPS(s.RPS))
	}

	tb := newTable(w, align)
	tb.Header(header...)
	for _, e := range rows {
		_ = tb.Append(row(cleanText(e.Name, termNameLen), cleanText(e.Method, 10), e)...)
	}
	tb.Footer(row("Aggregated", "", total(r))...)
	_ = tb.Render()
	if line := appLine(r); line != "" {
		fmt.Fprintf(w, "\n%s\n", line)
	}

	writeTermFailures(w, r)

	fmt.Fprintln(w)
	if r.Verdict == nil || len(r.Verdict.Checks) == 0 {
		fmt.Fprintln(w, "No thresholds or baseline checks configured.")
	} else {
		for _, c := range r.Verdict.Checks {
			fmt.Fprintf(w, "%-4s  %s (%s)\n", strings.ToUpper(cleanText(c.Status, 20)),
				cleanText(gate.Describe(c), termNameLen+40), checkDetail(c))
			// A failing or inconclusive baseline check's reason is its
			// evidence: the change with its interval, the tolerance, the noise.
			if gate.VsBaseline(c) && c.Status != gate.StatusPass && c.Reason != "" {
				fmt.Fprintf(w, "      %s\n", cleanText(c.Reason, termReasonLen+80))
			}
		}
	}

	ws := warnings(r)
	if len(ws) > 0 || r.Dropped > 0 || r.Interrupted {
		fmt.Fprintln(w)
	}
	for _, s := range ws {
		fmt.Fprintf(w, "warning: %s\n", cleanText(s, maxLineLen))
	}
	if r.Dropped > 0 {
		fmt.Fprintf(w, "dropped: %d scheduled starts found no free virtual user (the target fell behind the arrival rate; or raise load.users, the pool size)\n", r.Dropped)
	}
	if r.Interrupted {
		fmt.Fprintln(w, "interrupted: the run was stopped early; these are partial results")
	}

	fmt.Fprintln(w)
	writeTargetTerminal(w, r.Target)
	fmt.Fprintln(w, verdictLine(r))
}

// newTable returns a table in loadgate's terminal style: ASCII borders (CI
// log viewers and Windows consoles mangle box drawing less often), header
// text exactly as given — tablewriter would otherwise turn "p95" into
// "P 95" — and the given column alignment for rows and the footer.
func newTable(w io.Writer, align []tw.Align) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithFooterAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithFooterAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
}

// writeTermFailures prints the most frequent failure reasons, like Locust's
// error report. Reasons are cleaned of control characters so a server
// cannot move the cursor, color the log or start a line with a CI command.
func writeTermFailures(w io.Writer, r *result.Result) {
	reasons := failureReasons(r)
	if len(reasons) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Failures:")
	tb := newTable(w, []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignLeft})
	tb.Header("# fails", "Name", "Reason")
	for i, rc := range reasons {
		if i == termFailureRows {
			_ = tb.Append("…", fmt.Sprintf("%d more reasons", len(reasons)-i), "see the result JSON")
			break
		}
		name := rc.endpoint
		// Locust's "GET /hello"; a default name already is "GET /hello".
		if rc.method != "" && !strings.HasPrefix(name, rc.method+" ") {
			name = rc.method + " " + name
		}
		_ = tb.Append(fmt.Sprint(rc.count), cleanText(name, termNameLen), cleanText(rc.reason, termReasonLen))
	}
	_ = tb.Render()
}

// checkDetail is the parenthesised part of a check line: the measurement,
// and for baseline checks the baseline and the change.
func checkDetail(c result.Check) string {
	if gate.NoData(c) {
		return "no data"
	}
	if c.Op == "exists" { // the baseline file itself
		return cleanText(c.Reason, termReasonLen)
	}
	s := "measured " + gate.FormatMeasured(c.Measured, c.Unit)
	if c.Default && c.Status != gate.StatusPass && c.Reason != "" {
		return s + ": " + cleanText(c.Reason, termReasonLen)
	}
	if c.Baseline != nil {
		s += ", baseline " + gate.FormatMeasured(*c.Baseline, c.Unit)
	}
	if c.Status == gate.StatusInconclusive {
		s += ", ~ within noise"
	} else if c.DeltaPct != nil {
		s += ", " + fmtSigned(*c.DeltaPct)
	}
	if gate.VsBaseline(c) {
		s += ", limit " + limitOp(c) + " " + gate.FormatMeasured(c.Limit, c.Unit)
	}
	return s
}

// verdictLine is the last line of the terminal report.
func verdictLine(r *result.Result) string {
	v := r.Verdict
	if v == nil {
		return "Verdict: none (no checks were evaluated)"
	}
	return fmt.Sprintf("Verdict: %s — %s", cleanText(verdictWord(v), 20), cleanText(outcome(r), maxLineLen))
}

// writeTargetTerminal shows a failed target's command and the last lines
// it printed, where the person reading the terminal looks first.
func writeTargetTerminal(w io.Writer, t *result.TargetReport) {
	if t == nil || t.Error == "" {
		return
	}
	fmt.Fprintf(w, "Target: %s\n", cleanText(t.Command, maxLineLen))
	lines := t.LogTail
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "Its last %d lines of output:\n", len(lines))
		for _, l := range lines {
			fmt.Fprintf(w, "  | %s\n", cleanLine(l, maxLogLineLen, false))
		}
	}
	if t.LogFile != "" {
		fmt.Fprintf(w, "Log: %s\n", cleanText(t.LogFile, maxLineLen))
	}
}
