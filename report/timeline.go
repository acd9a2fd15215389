package report

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/loadgate/loadgate/load/result"
)

// maxTimelinePoints bounds the chart and its table: a one-hour run has 3600
// seconds, far more than a chart can show or a summary should carry.
const maxTimelinePoints = 60

// downsample merges consecutive seconds into at most max buckets. Within a
// bucket the rate and p50 are averaged, failures summed, and p95/p99 take
// the worst second, so a short latency spike stays visible after merging.
// T and Users are those of the bucket's last second.
func downsample(pts []result.TimelinePt, max int) []result.TimelinePt {
	if len(pts) <= max || max <= 0 {
		return pts
	}
	size := (len(pts) + max - 1) / max
	out := make([]result.TimelinePt, 0, max)
	for i := 0; i < len(pts); i += size {
		end := min(i+size, len(pts))
		b := pts[end-1]
		var rps, p50, cpu float64
		var fails int64
		for _, p := range pts[i:end] {
			rps += p.RPS
			p50 += p.P50MS
			cpu += p.AppCPU
			if p.AppRSS > b.AppRSS { // the app's peak, like p95's worst second
				b.AppRSS = p.AppRSS
			}
			fails += p.Failures
			b.P95MS = math.Max(b.P95MS, p.P95MS)
			b.P99MS = math.Max(b.P99MS, p.P99MS)
		}
		n := float64(end - i)
		b.RPS, b.P50MS, b.Failures, b.AppCPU = rps/n, p50/n, fails, cpu/n
		out = append(out, b)
	}
	return out
}

// writeTimeline writes the Mermaid charts (p95 latency, request rate) and
// the same numbers as a collapsed table, for readers whose viewer does not
// render Mermaid and for copying.
func writeTimeline(w io.Writer, r *result.Result) {
	pts := downsample(r.Timeline, maxTimelinePoints)
	fmt.Fprintf(w, "### Over time\n\n")
	if len(pts) == 0 {
		fmt.Fprintf(w, "_No timeline was recorded._\n\n")
		return
	}
	xs := make([]string, len(pts))
	p95 := make([]string, len(pts))
	rps := make([]string, len(pts))
	for i, p := range pts {
		xs[i] = fmt.Sprintf("%q", fmt.Sprint(p.T)) // quoted: a category label, not a value
		p95[i] = chartNum(p.P95MS)
		rps[i] = chartNum(p.RPS)
	}
	if len(pts) < len(r.Timeline) {
		fmt.Fprintf(w, "%d seconds in %d points; p95 shows the worst second of each point.\n\n",
			len(r.Timeline), len(pts))
	}
	chart(w, "p95 latency (ms)", "ms", xs, p95)
	chart(w, "Requests per second", "req/s", xs, rps)
	app := hasApp(pts)
	if app {
		cpu := make([]string, len(pts))
		mem := make([]string, len(pts))
		for i, p := range pts {
			cpu[i], mem[i] = chartNum(p.AppCPU), chartNum(float64(p.AppRSS)/(1<<20))
		}
		chart(w, "App CPU (% of one core)", "%", xs, cpu)
		chart(w, "App resident memory (MiB)", "MiB", xs, mem)
	}

	fmt.Fprintf(w, "<details><summary>Timeline data (%d points)</summary>\n\n", len(pts))
	head, rule := "| t (s) | Users | RPS | Failures | p50 (ms) | p95 (ms) | p99 (ms) |", "|---:|---:|---:|---:|---:|---:|---:|"
	if app {
		head, rule = head+" App CPU (%) | App memory |", rule+"---:|---:|"
	}
	fmt.Fprintf(w, "%s\n%s\n", head, rule)
	for _, p := range pts {
		fmt.Fprintf(w, "| %d | %d | %s | %d | %s | %s | %s |",
			p.T, p.Users, fmtRPS(p.RPS), p.Failures, fmtMS(p.P50MS), fmtMS(p.P95MS), fmtMS(p.P99MS))
		if app {
			fmt.Fprintf(w, " %s | %s |", fmtRPS(p.AppCPU), result.FormatBytes(float64(p.AppRSS)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\n</details>\n\n")
}

// chart writes one Mermaid xychart-beta line chart. Only numbers and fixed
// titles go into it, so nothing from the server can reach Mermaid's parser.
func chart(w io.Writer, title, yLabel string, xs, ys []string) {
	fmt.Fprintf(w, "```mermaid\nxychart-beta\n")
	fmt.Fprintf(w, "    title %q\n", title)
	fmt.Fprintf(w, "    x-axis \"seconds\" [%s]\n", strings.Join(xs, ", "))
	fmt.Fprintf(w, "    y-axis %q\n", yLabel)
	fmt.Fprintf(w, "    line [%s]\n", strings.Join(ys, ", "))
	fmt.Fprintf(w, "```\n\n")
}

// chartNum renders a chart value: one decimal is plenty on a chart, and
// NaN or infinities (which Mermaid rejects) become 0.
func chartNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return fmt.Sprintf("%.1f", v)
}
