package report

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

// The charts of a result: the timeline (RPS, users, failures, latency), the
// latency distribution, failures by reason and the baseline comparison.
// The live dashboard draws the timeline charts with the same functions, so
// the page during the run and the report after it look alike.

// maxChartPoints bounds a timeline chart: 300 points are more than a 640
// unit wide chart can show apart, and keep an hour-long run's report small.
const maxChartPoints = 300

// Element ids of the timeline charts; the live page replaces them by id.
const (
	idRPS      = "chart-rps"
	idUsers    = "chart-users"
	idFailures = "chart-failures"
	idLatency  = "chart-latency"
)

// timelineCharts draws RPS, users, failures and p50/p95/p99 over time.
func timelineCharts(tl []result.TimelinePt) []template.HTML {
	pts := downsample(tl, maxChartPoints)
	rps := make([]point, len(pts))
	users := make([]point, len(pts))
	fails := make([]point, len(pts))
	p50 := make([]point, len(pts))
	p95 := make([]point, len(pts))
	p99 := make([]point, len(pts))
	for i, p := range pts {
		x := float64(p.T)
		rps[i] = point{x, p.RPS}
		users[i] = point{x, float64(p.Users)}
		fails[i] = point{x, float64(p.Failures)}
		p50[i], p95[i], p99[i] = point{x, p.P50MS}, point{x, p.P95MS}, point{x, p.P99MS}
	}
	failTitle := "Failures per second"
	if len(pts) < len(tl) { // downsampled buckets sum their seconds
		failTitle = fmt.Sprintf("Failures per %d-second bucket", (len(tl)+maxChartPoints-1)/maxChartPoints)
	}
	const xl = "seconds"
	return []template.HTML{
		lineChart{ID: idRPS, Title: "Requests per second", XLabel: xl, YLabel: "req/s",
			Series: []series{{"RPS", "c1", rps}}}.svg(),
		lineChart{ID: idUsers, Title: "Users", XLabel: xl, YLabel: "users",
			Series: []series{{"users", "c2", users}}}.svg(),
		lineChart{ID: idFailures, Title: failTitle, XLabel: xl, YLabel: "failures", Bars: true,
			Series: []series{{"failures", "c4", fails}}}.svg(),
		lineChart{ID: idLatency, Title: "Latency (ms)", XLabel: xl, YLabel: "ms",
			Series: []series{{"p50", "c1", p50}, {"p95", "c3", p95}, {"p99", "c4", p99}}}.svg(),
	}
}

// maxCurves is how many histograms the percentile chart overlays: the total
// and the busiest endpoints. More lines than this cannot be told apart.
const maxCurves = 5

// percentileChart draws the latency distribution as HdrHistogram's plotter
// does: latency against percentile, on an x axis that stretches the tail
// (each step right is one more "nine": 90%, 99%, 99.9%…). The curve of a
// total and of the busiest endpoints are overlaid.
func percentileChart(r *result.Result) template.HTML {
	var ss []series
	nines := 2.0 // the axis shows at least 0–99%
	add := func(s *result.Stats, name, class string) {
		h, err := s.Hist()
		if err != nil || h.TotalCount() == 0 {
			return
		}
		// Past log10(count) nines a percentile is the maximum: there are no
		// more samples to tell it apart.
		top := math.Max(1, math.Log10(float64(h.TotalCount())))
		nines = math.Max(nines, math.Ceil(top))
		var pcts []float64
		for x := 0.0; x < top; x += 0.05 {
			pcts = append(pcts, 100*(1-math.Pow(10, -x)))
		}
		pcts = append(pcts, 100)
		vals := h.ValueAtPercentilesSlice(pcts)
		pts := make([]point, len(pcts))
		for i, v := range vals {
			x := top
			if pcts[i] < 100 {
				x = -math.Log10(1 - pcts[i]/100)
			}
			pts[i] = point{x, float64(v) / 1000}
		}
		ss = append(ss, series{name, class, pts})
	}
	add(total(r), "total", "c1")
	busy := endpointRows(r)
	sort.SliceStable(busy, func(i, j int) bool { return busy[i].Requests > busy[j].Requests })
	classes := []string{"c2", "c3", "c4", "c5"}
	for _, e := range busy {
		if len(ss) == maxCurves || len(busy) < 2 { // one endpoint's curve is the total's
			break
		}
		add(e, e.Name, classes[len(ss)-1])
	}
	var ticks []tick
	for k := 0.0; k <= nines; k++ {
		ticks = append(ticks, tick{k, percentileLabel(k)})
	}
	return lineChart{ID: "chart-percentiles", Title: "Latency by percentile (ms)", XLabel: "percentile",
		YLabel: "ms", Series: ss, XTicks: ticks}.svg()
}

// percentileLabel names the k-nines position of the log axis: 0%, 90%,
// 99%, 99.9%…
func percentileLabel(k float64) string {
	if k == 0 {
		return "0%"
	}
	return gate.FormatNumber(100*(1-math.Pow(10, -k))) + "%"
}

// maxReasonBars bounds the failures chart; the table below it lists all.
const maxReasonBars = 15

// failuresChart draws failure counts by reason over all endpoints.
func failuresChart(r *result.Result) template.HTML {
	by := map[string]int64{}
	for _, rc := range failureReasons(r) {
		by[cleanText(rc.reason, maxReasonLen)] += rc.count
	}
	type kv struct {
		k string
		v int64
	}
	var all []kv
	for k, v := range by {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].v != all[j].v {
			return all[i].v > all[j].v
		}
		return all[i].k < all[j].k
	})
	var bars []hbar
	var other int64
	for i, e := range all {
		if i >= maxReasonBars {
			other += e.v
			continue
		}
		bars = append(bars, hbar{e.k, float64(e.v), fmt.Sprint(e.v)})
	}
	if other > 0 {
		bars = append(bars, hbar{fmt.Sprintf("%d other reasons", len(all)-maxReasonBars), float64(other), fmt.Sprint(other)})
	}
	return barChart("chart-reasons", "Failures by reason", bars)
}

// baselineChart compares each baseline check's measurement with its
// baseline and its limit. The checks have different units, so each row is
// scaled on its own: the bars show the change, the labels the numbers.
// Threshold checks, which carry a baseline too when there is one, are
// left out: their limit is the user's, often far from both bars.
func baselineChart(v *result.Verdict) template.HTML {
	var rows []result.Check
	if v != nil {
		for _, c := range v.Checks {
			if gate.VsBaseline(c) && c.Baseline != nil {
				rows = append(rows, c)
			}
		}
	}
	if len(rows) == 0 {
		return ""
	}
	return compareChart("chart-baseline", "Baseline comparison", rows)
}

// compareChart draws one row per check: the baseline bar, the measured bar
// (red when the check failed) and a mark at the limit.
func compareChart(id, title string, rows []result.Check) template.HTML {
	const rowH, labelW, top = 44, 190, 30
	plotW := float64(chartW - labelW - 150)
	var b strings.Builder
	openSVG(&b, id, title, top+len(rows)*rowH+8)
	for i, c := range rows {
		y := float64(top + i*rowH)
		base := *c.Baseline
		scale := math.Max(math.Max(base, c.Measured), c.Limit)
		w := func(v float64) float64 {
			if scale <= 0 || !finite(v) || v <= 0 {
				return 0
			}
			return math.Max(1, v/scale*plotW)
		}
		label := cleanText(c.Scope, maxNameLen) + " " + c.Metric
		fmt.Fprintf(&b, `<text class="tl" x="%d" y="%s" text-anchor="end">%s<title>%s</title></text>`,
			labelW-8, f1(y+20), esc(truncate(label, 28)), esc(label))
		cls := "c1"
		if c.Status == gate.StatusFail {
			cls = "c4"
		}
		fmt.Fprintf(&b, `<rect class="bar c5" x="%d" y="%s" width="%s" height="13"><title>baseline</title></rect>`, labelW, f1(y+4), f1(w(base)))
		fmt.Fprintf(&b, `<rect class="bar %s" x="%d" y="%s" width="%s" height="13"><title>measured</title></rect>`, cls, labelW, f1(y+19), f1(w(c.Measured)))
		if lx := w(c.Limit); lx > 0 {
			x := float64(labelW) + lx
			fmt.Fprintf(&b, `<line class="limit" x1="%s" y1="%s" x2="%s" y2="%s"><title>limit</title></line>`, f1(x), f1(y), f1(x), f1(y+36))
		}
		delta := ""
		if c.DeltaPct != nil {
			delta = " (" + fmtSigned(*c.DeltaPct) + ")"
		}
		tx := float64(labelW) + plotW + 8
		fmt.Fprintf(&b, `<text class="tl" x="%s" y="%s">base %s</text>`, f1(tx), f1(y+14), esc(measuredValue(base, c.Unit)))
		fmt.Fprintf(&b, `<text class="tl" x="%s" y="%s">now %s%s</text>`, f1(tx), f1(y+29), esc(measuredValue(c.Measured, c.Unit)), esc(delta))
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}
