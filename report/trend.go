package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/loadgate/loadgate/load/result"
	"github.com/olekukonko/tablewriter/tw"
)

// A trend is several stored results (nightly runs, the results a baseline
// file keeps) drawn side by side: p95, p99, RPS and failure rate per run,
// so that a slow drift shows that no single comparison would flag.

// NamedResult is a result with the name it was read under (its file).
type NamedResult struct {
	Name   string
	Result *result.Result
}

// TrendPoint is one run of a trend: the totals a reader compares across runs.
type TrendPoint struct {
	Run         int       `json:"run"` // 1-based, in start order
	Name        string    `json:"name"`
	StartedAt   time.Time `json:"started_at"`
	Commit      string    `json:"commit,omitempty"`
	Verdict     string    `json:"verdict"` // pass | fail | inconclusive | none
	Interrupted bool      `json:"interrupted,omitempty"`
	Requests    int64     `json:"requests"`
	P95MS       float64   `json:"p95_ms"`
	P99MS       float64   `json:"p99_ms"`
	RPS         float64   `json:"rps"`
	FailureRate float64   `json:"failure_rate"` // percent
}

// Trend orders the runs by start time (ties keep the given order) and
// takes each one's totals.
func Trend(runs []NamedResult) []TrendPoint {
	rs := append([]NamedResult(nil), runs...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Result.StartedAt.Before(rs[j].Result.StartedAt) })
	out := make([]TrendPoint, len(rs))
	for i, nr := range rs {
		r, t := nr.Result, total(nr.Result)
		verdict := "none"
		if r.Verdict != nil {
			verdict = r.Verdict.Status
		}
		out[i] = TrendPoint{
			Run: i + 1, Name: nr.Name, StartedAt: r.StartedAt.UTC(), Commit: shortCommit(r.Provenance.Commit),
			Verdict: verdict, Interrupted: r.Interrupted, Requests: t.Requests,
			P95MS: t.LatencyMS.P95, P99MS: t.LatencyMS.P99, RPS: t.RPS, FailureRate: t.FailureRate,
		}
	}
	return out
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// maxTrendChartRuns bounds the runs a trend chart shows (the latest ones);
// the table lists them all.
const maxTrendChartRuns = 100

// chartRuns returns the runs a chart shows.
func chartRuns(pts []TrendPoint) []TrendPoint {
	if len(pts) > maxTrendChartRuns {
		return pts[len(pts)-maxTrendChartRuns:]
	}
	return pts
}

// trendCharts draws latency (p95, p99), RPS and failure rate per run.
func trendCharts(all []TrendPoint) []template.HTML {
	pts := chartRuns(all)
	var p95, p99, rps, fr []point
	var ticks []tick
	step := max(1, (len(pts)+11)/12) // at most about 12 labels
	for i, p := range pts {
		x := float64(p.Run)
		p95, p99 = append(p95, point{x, p.P95MS}), append(p99, point{x, p.P99MS})
		rps, fr = append(rps, point{x, p.RPS}), append(fr, point{x, p.FailureRate})
		if i%step == 0 || i == len(pts)-1 {
			ticks = append(ticks, tick{x, fmt.Sprintf("#%d", p.Run)})
		}
	}
	const xl = "run"
	return []template.HTML{
		lineChart{ID: "trend-latency", Title: "Latency per run (ms)", XLabel: xl, YLabel: "ms", XTicks: ticks,
			Series: []series{{"p95", "c3", p95}, {"p99", "c4", p99}}}.svg(),
		lineChart{ID: "trend-rps", Title: "Requests per second per run", XLabel: xl, YLabel: "req/s", XTicks: ticks,
			Series: []series{{"RPS", "c1", rps}}}.svg(),
		lineChart{ID: "trend-failures", Title: "Failure rate per run (%)", XLabel: xl, YLabel: "%", XTicks: ticks,
			Series: []series{{"failure rate", "c4", fr}}}.svg(),
	}
}

// trendRow is one run in the trend page's table.
type trendRow struct {
	P                     TrendPoint
	Name, Started, Commit string
	Unix                  int64
	Delta                 string
}

// TrendHTML writes the self-contained trend page: the charts and a
// sortable table of the runs.
func TrendHTML(w io.Writer, runs []NamedResult) error {
	pts := Trend(runs)
	v := struct {
		Page   pageHead
		Points []TrendPoint
		Span   string
		Charts []template.HTML
		Rows   []trendRow
	}{Page: newHead("loadgate trend", sortJS, false), Points: pts, Span: trendSpan(pts), Charts: trendCharts(pts)}
	for i, p := range pts {
		p.Name = cleanText(p.Name, maxNameLen)
		row := trendRow{P: p, Started: fmtStarted(p.StartedAt), Commit: cleanText(p.Commit, 40), Unix: p.StartedAt.Unix(), Delta: "–"}
		if i > 0 && pts[i-1].P95MS > 0 {
			row.Delta = fmtSigned((p.P95MS - pts[i-1].P95MS) / pts[i-1].P95MS * 100)
		}
		v.Rows = append(v.Rows, row)
	}
	return execute(w, trendTmpl, v)
}

// trendSpan describes the time the runs cover.
func trendSpan(pts []TrendPoint) string {
	if len(pts) == 0 || pts[0].StartedAt.IsZero() {
		return ""
	}
	return "from " + fmtStarted(pts[0].StartedAt) + " to " + fmtStarted(pts[len(pts)-1].StartedAt)
}

func fmtStarted(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// TrendMarkdown writes the trend for a job summary: Mermaid charts of p95
// and p99, RPS and failure rate per run, and the numbers in a table (for
// viewers without Mermaid). It keeps under the same size budget as the
// run report.
func TrendMarkdown(w io.Writer, runs []NamedResult) error {
	pts := Trend(runs)
	var b bytes.Buffer
	fmt.Fprintf(&b, "## loadgate trend: %d runs\n\n", len(pts))
	if s := trendSpan(pts); s != "" {
		fmt.Fprintf(&b, "Runs %s, ordered by start time.\n\n", s)
	}
	cp := chartRuns(pts)
	if len(cp) < len(pts) {
		fmt.Fprintf(&b, "The charts show the latest %d runs; the table lists all.\n\n", len(cp))
	}
	xs := make([]string, len(cp))
	var p95, p99, rps, fr []string
	for i, p := range cp {
		xs[i] = fmt.Sprintf("%q", fmt.Sprintf("#%d", p.Run))
		p95, p99 = append(p95, chartNum(p.P95MS)), append(p99, chartNum(p.P99MS))
		rps, fr = append(rps, chartNum(p.RPS)), append(fr, chartNum(p.FailureRate))
	}
	if len(cp) > 0 {
		mermaidLines(&b, "p95 and p99 latency per run (ms)", "ms", xs, p95, p99)
		mermaidLines(&b, "Requests per second per run", "req/s", xs, rps)
		mermaidLines(&b, "Failure rate per run (%)", "%", xs, fr)
	}
	b.WriteString("| Run | File | Started | Commit | Verdict | Requests | p95 (ms) | p99 (ms) | RPS | Fail % |\n")
	b.WriteString("|---:|---|---|---|---|---:|---:|---:|---:|---:|\n")
	for i, p := range pts {
		if full(&b) {
			fmt.Fprintf(&b, "\n_%d more runs were left out to keep the summary under GitHub's size limit._\n", len(pts)-i)
			break
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %d | %s | %s | %s | %s |\n", p.Run, md(p.Name, maxNameLen),
			fmtStarted(p.StartedAt), md(orDash(p.Commit), 40), md(p.Verdict, 20), p.Requests,
			fmtMS(p.P95MS), fmtMS(p.P99MS), fmtRPS(p.RPS), fmtPct(p.FailureRate))
	}
	b.WriteString("\n")
	_, err := w.Write(b.Bytes())
	return err
}

// mermaidLines writes a Mermaid xychart-beta with one line per series.
// Only numbers and fixed titles go into it.
func mermaidLines(w io.Writer, title, yLabel string, xs []string, lines ...[]string) {
	fmt.Fprintf(w, "```mermaid\nxychart-beta\n    title %q\n    x-axis \"run\" [%s]\n    y-axis %q\n",
		title, strings.Join(xs, ", "), yLabel)
	for _, l := range lines {
		fmt.Fprintf(w, "    line [%s]\n", strings.Join(l, ", "))
	}
	fmt.Fprintf(w, "```\n\n")
}

// TrendTerminal prints the runs as a table for a console.
func TrendTerminal(w io.Writer, runs []NamedResult) {
	pts := Trend(runs)
	align := []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft}
	for len(align) < 9 {
		align = append(align, tw.AlignRight)
	}
	tb := newTable(w, align)
	tb.Header("Run", "File", "Started", "Verdict", "# reqs", "p95 (ms)", "p99 (ms)", "RPS", "Fail %")
	for _, p := range pts {
		_ = tb.Append(fmt.Sprint(p.Run), cleanText(p.Name, termNameLen), fmtStarted(p.StartedAt), cleanText(p.Verdict, 20),
			fmt.Sprint(p.Requests), fmtMS(p.P95MS), fmtMS(p.P99MS), fmtRPS(p.RPS), fmtPct(p.FailureRate))
	}
	_ = tb.Render()
}
