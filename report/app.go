package report

import (
	"fmt"
	"html/template"
	"io"

	"github.com/loadgate/loadgate/load/result"
)

// The app's own cost (result.AppStats): one table of its metrics in every
// report, and its CPU and memory over time beside the request rate.

// appRow is one line of the app's table: a metric's name, what it means,
// and its value.
type appRow struct{ Metric, Label, Value string }

// appRows lists the app's metrics, or says why there are none; both empty
// when the app was not measured at all (nothing was started or named).
func appRows(r *result.Result) (rows []appRow, note string) {
	t := total(r)
	a := t.App
	if a == nil {
		return nil, ""
	}
	if a.Unavailable != "" {
		return nil, "The app's CPU and memory were not measured: " + a.Unavailable
	}
	growth := "– (" + a.NotMeasured("app_rss_growth") + ")"
	if a.RSSGrowthBytes != nil {
		growth = signedBytes(*a.RSSGrowthBytes)
	}
	rows = []appRow{
		{"app_cpu_per_req", "CPU per request", fmtCPUms(a.CPUPerReqMS)},
		{"app_cpu", "CPU, % of one core", fmtPct(a.CPUPct)},
		{"app_rss_max", "Peak resident memory", result.FormatBytes(float64(a.RSSMaxBytes))},
		{"app_rss_growth", "Memory growth per 10,000 requests", growth},
		{"", "CPU time over the measured time", fmt.Sprintf("%s s in %s s", fmtNum(a.CPUSeconds), fmtNum(a.Seconds))},
		{"", "Processes", fmt.Sprint(a.Processes)},
	}
	instr := "unavailable: " + a.InstrUnavailable
	if a.InstrPerReq != nil {
		instr = fmtCount(*a.InstrPerReq)
	}
	rows = append(rows, appRow{"app_instr_per_req", "Instructions per request (user space)", instr})
	return rows, "Read from " + sourceText(a.Source) + ", once a second over the measured time (warm-up excluded)."
}

// sourceText says in words where the app's figures came from.
func sourceText(s string) string {
	switch s {
	case "cgroup":
		return "the app's own cgroup (every process it ever ran; memory from /proc)"
	case "proc":
		return "/proc, for every process of the app's tree"
	case "prometheus":
		return "the app's Prometheus process metrics (target.metrics)"
	}
	return s
}

func fmtCPUms(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%.3f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

// fmtCount writes a large count with four significant digits: 1.234 M.
func fmtCount(v float64) string {
	for _, u := range []struct {
		div  float64
		name string
	}{{1e9, " G"}, {1e6, " M"}, {1e3, " k"}} {
		if v >= u.div {
			return result.Sig4(v/u.div) + u.name
		}
	}
	return result.Sig4(v)
}

func fmtNum(v float64) string { return fmt.Sprintf("%.3g", v) }

func signedBytes(v float64) string {
	if v > 0 {
		return "+" + result.FormatBytes(v)
	}
	return result.FormatBytes(v)
}

// writeAppMarkdown writes the app's table.
func writeAppMarkdown(w io.Writer, r *result.Result) {
	rows, note := appRows(r)
	if rows == nil && note == "" {
		return
	}
	fmt.Fprintf(w, "### The app's own cost\n\n")
	if rows == nil {
		fmt.Fprintf(w, "%s\n\n", md(note, maxReasonLen))
		return
	}
	fmt.Fprintf(w, "| Metric | | Value |\n|---|---|---:|\n")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s | %s |\n", md(row.Metric, 20), row.Label, md(row.Value, maxReasonLen))
	}
	fmt.Fprintf(w, "\n%s\n\n", md(note, maxReasonLen))
}

// hasApp reports whether any second carries the app's readings.
func hasApp(pts []result.TimelinePt) bool {
	for _, p := range pts {
		if p.AppRSS > 0 {
			return true
		}
	}
	return false
}

// Chart ids of the app's series, in the report and the live dashboard.
const (
	idAppCPU = "chart-app-cpu"
	idAppRSS = "chart-app-rss"
)

// appCharts draws the app's CPU % and memory over time; none when the
// timeline carries no readings.
func appCharts(tl []result.TimelinePt) []liveChart {
	if !hasApp(tl) {
		return nil
	}
	pts := downsample(tl, maxChartPoints)
	cpu := make([]point, 0, len(pts))
	rss := make([]point, 0, len(pts))
	for _, p := range pts {
		if p.AppRSS == 0 {
			continue
		}
		x := float64(p.T)
		cpu = append(cpu, point{x, p.AppCPU})
		rss = append(rss, point{x, float64(p.AppRSS) / (1 << 20)})
	}
	return []liveChart{
		{idAppCPU, lineChart{ID: idAppCPU, Title: "App CPU (% of one core)", XLabel: "seconds", YLabel: "%",
			Series: []series{{"CPU", "c2", cpu}}}.svg()},
		{idAppRSS, lineChart{ID: idAppRSS, Title: "App resident memory (MiB)", XLabel: "seconds", YLabel: "MiB",
			Series: []series{{"memory", "c3", rss}}}.svg()},
	}
}

// appChartsHTML is appCharts for the report page.
func appChartsHTML(tl []result.TimelinePt) []template.HTML {
	var out []template.HTML
	for _, c := range appCharts(tl) {
		out = append(out, c.SVG)
	}
	return out
}

// appLine is the app's cost in one terminal line.
func appLine(r *result.Result) string {
	rows, note := appRows(r)
	if rows == nil {
		if note == "" {
			return ""
		}
		return cleanText(note, maxLineLen)
	}
	a := total(r).App
	return cleanText(fmt.Sprintf("App (%s): %s CPU per request · %s of one core · peak %s · growth %s per 10,000 requests · %d processes",
		a.Source, rows[0].Value, rows[1].Value, rows[2].Value, rows[3].Value, a.Processes), maxLineLen)
}
