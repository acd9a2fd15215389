package report

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// The charts of the HTML report and of the live dashboard are drawn here,
// in Go, as inline SVG: the page shows them with no script, no library and
// no network fetch, and a test can check them without a browser. Colours
// come from CSS classes (c1…c5) so that the page's light and dark themes
// apply and no style attribute is needed, which a strict Content Security
// Policy would refuse.

// Geometry of a line chart, in SVG user units; the page scales the whole
// picture with its viewBox.
const (
	chartW = 640
	chartH = 250
	padL   = 58 // room for the y tick labels
	padR   = 16
	padT   = 34 // room for the title and the legend
	padB   = 38 // room for the x tick labels and the axis label
)

// point is one (x, y) value of a series, in data units.
type point struct{ X, Y float64 }

// series is one line of a chart.
type series struct {
	Name  string
	Class string // c1…c5: the colour
	Pts   []point
}

// tick is one labelled position on an axis, in data units.
type tick struct {
	V     float64
	Label string
}

// lineChart is a chart of one or more series over a shared x axis. The y
// axis starts at zero: every quantity loadgate draws (rates, counts,
// latencies) is non-negative, and a zero-based axis does not exaggerate
// small changes.
type lineChart struct {
	ID     string // element id, for the live page and for tests
	Title  string
	XLabel string
	YLabel string
	Series []series
	Bars   bool   // draw the first series as bars (counts per interval)
	XTicks []tick // fixed x ticks (a log axis, run numbers); nil: even ticks
	YFmt   func(float64) string
}

// svg renders the chart. Every text that reaches the markup is escaped
// here, so the result can be trusted as template.HTML.
func (c lineChart) svg() template.HTML {
	var b strings.Builder
	openSVG(&b, c.ID, c.Title, chartH)
	x0, x1, ymax, n := c.bounds()
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	sx := func(x float64) float64 {
		if x1 == x0 {
			return padL + plotW/2
		}
		return padL + (x-x0)/(x1-x0)*plotW
	}
	sy := func(y float64) float64 { return padT + plotH - y/ymax*plotH }

	yfmt := c.YFmt
	yt := niceTicks(ymax, 5)
	if yfmt == nil {
		yfmt = tickFormatter(yt)
	}
	for _, v := range yt {
		y := sy(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`, f1(padL), f1(y), f1(padL+plotW), f1(y))
		fmt.Fprintf(&b, `<text class="tl" x="%s" y="%s" text-anchor="end">%s</text>`, f1(padL-6), f1(y+4), esc(yfmt(v)))
	}
	xt := c.XTicks
	if xt == nil && n > 0 {
		xt = evenTicks(x0, x1)
	}
	for _, t := range xt {
		if t.V < x0 || t.V > x1 {
			continue
		}
		x := sx(t.V)
		fmt.Fprintf(&b, `<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>`, f1(x), f1(padT+plotH), f1(x), f1(padT+plotH+4))
		anchor := "middle" // the last label would run past the edge: end it there
		if x > padL+plotW-20 {
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text class="tl" x="%s" y="%s" text-anchor="%s">%s</text>`, f1(x), f1(padT+plotH+16), anchor, esc(t.Label))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%s" x2="%s" y2="%s"/>`, padL, f1(padT+plotH), f1(padL+plotW), f1(padT+plotH))
	fmt.Fprintf(&b, `<text class="al" x="%s" y="%d" text-anchor="middle">%s</text>`, f1(padL+plotW/2), chartH-4, esc(c.XLabel))
	fmt.Fprintf(&b, `<text class="al" x="12" y="%s" text-anchor="middle" transform="rotate(-90 12 %s)">%s</text>`,
		f1(padT+plotH/2), f1(padT+plotH/2), esc(c.YLabel))

	if n == 0 {
		fmt.Fprintf(&b, `<text class="empty" x="%s" y="%s" text-anchor="middle">no data yet</text>`, f1(padL+plotW/2), f1(padT+plotH/2))
	}
	for i, s := range c.Series {
		if len(s.Pts) == 0 {
			continue
		}
		if c.Bars && i == 0 {
			drawBars(&b, s, sx, sy, plotW, padT+plotH)
			continue
		}
		fmt.Fprintf(&b, `<polyline class="line %s" points="`, esc(s.Class))
		for j, p := range s.Pts {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(f1(sx(p.X)) + "," + f1(sy(clampY(p.Y, ymax))))
		}
		fmt.Fprintf(&b, `"><title>%s</title></polyline>`, esc(s.Name))
		if len(s.Pts) == 1 { // a line of one point is invisible: mark it
			p := s.Pts[0]
			fmt.Fprintf(&b, `<circle class="dot %s" cx="%s" cy="%s" r="3"/>`, esc(s.Class), f1(sx(p.X)), f1(sy(clampY(p.Y, ymax))))
		}
	}
	legend(&b, c.Title, c.Series)
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

// bounds returns the x range, the top of the y axis and the number of
// points of all series.
func (c lineChart) bounds() (x0, x1, ymax float64, n int) {
	x0, x1 = math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for _, p := range s.Pts {
			if !finite(p.X) {
				continue
			}
			n++
			x0, x1 = math.Min(x0, p.X), math.Max(x1, p.X)
			if finite(p.Y) {
				ymax = math.Max(ymax, p.Y)
			}
		}
	}
	for _, t := range c.XTicks { // fixed ticks span the axis even without data
		x0, x1 = math.Min(x0, t.V), math.Max(x1, t.V)
	}
	if math.IsInf(x0, 0) {
		x0, x1 = 0, 1
	}
	if c.Bars && n > 0 { // half a bar of room on each side
		x0, x1 = x0-0.5, x1+0.5
	}
	yt := niceTicks(ymax, 5)
	return x0, x1, yt[len(yt)-1], n
}

// drawBars draws a series as bars centred on their x values.
func drawBars(b *strings.Builder, s series, sx, sy func(float64) float64, plotW, base float64) {
	w := plotW / float64(len(s.Pts)+1) * 0.8
	w = math.Max(1, math.Min(w, 24))
	for _, p := range s.Pts {
		if !finite(p.Y) || p.Y <= 0 {
			continue
		}
		y := sy(p.Y)
		fmt.Fprintf(b, `<rect class="bar %s" x="%s" y="%s" width="%s" height="%s"/>`,
			esc(s.Class), f1(sx(p.X)-w/2), f1(y), f1(w), f1(base-y))
	}
}

// legend names the series above the plot, right-aligned, when there is
// more than one. Names are shortened until the legend clears the title.
func legend(b *strings.Builder, title string, ss []series) {
	if len(ss) < 2 {
		return
	}
	const charW, keyW = 6.5, 22.0 // average glyph width at 11px; key box and gaps
	room := float64(chartW-padR-padL) - float64(len([]rune(title)))*7.5 - 16
	names := make([]string, len(ss))
	for limit := 24; ; limit-- {
		width := 0.0
		for i, s := range ss {
			names[i] = truncate(cleanText(s.Name, 80), limit)
			width += float64(len([]rune(names[i])))*charW + keyW
		}
		if width <= room || limit <= 4 {
			break
		}
	}
	x := float64(chartW - padR)
	for i := len(ss) - 1; i >= 0; i-- {
		x -= float64(len([]rune(names[i])))*charW + keyW
		fmt.Fprintf(b, `<rect class="key %s" x="%s" y="18" width="10" height="10"><title>%s</title></rect>`,
			esc(ss[i].Class), f1(x), esc(cleanText(ss[i].Name, maxNameLen)))
		fmt.Fprintf(b, `<text class="tl" x="%s" y="27">%s</text>`, f1(x+14), esc(names[i]))
	}
}

// openSVG starts an SVG element with an accessible title and the visible
// title text.
func openSVG(b *strings.Builder, id, title string, h int) {
	fmt.Fprintf(b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s"`, chartW, h, esc(title))
	if id != "" {
		fmt.Fprintf(b, ` id="%s"`, esc(id))
	}
	fmt.Fprintf(b, `><title>%s</title><text class="ct" x="%d" y="16">%s</text>`, esc(title), padL, esc(title))
}

// hbar is one bar of a horizontal bar chart.
type hbar struct {
	Label string // untrusted: escaped and cut when drawn
	Value float64
	Text  string // the value as shown next to the bar
}

// barChart draws horizontal bars, one per row, largest first as given:
// failure reasons are long text, which fits beside a bar better than under
// a column.
func barChart(id, title string, bars []hbar) template.HTML {
	const rowH, labelW, top = 22, 300, 30
	h := top + max(1, len(bars))*rowH + 8
	var b strings.Builder
	openSVG(&b, id, title, h)
	if len(bars) == 0 {
		fmt.Fprintf(&b, `<text class="empty" x="%d" y="%d" text-anchor="middle">none</text>`, chartW/2, top+14)
	}
	var top1 float64
	for _, r := range bars {
		top1 = math.Max(top1, r.Value)
	}
	plotW := float64(chartW - labelW - 90)
	for i, r := range bars {
		y := float64(top + i*rowH)
		w := 0.0
		if top1 > 0 {
			w = math.Max(1, r.Value/top1*plotW)
		}
		label := cleanText(r.Label, 500)
		fmt.Fprintf(&b, `<text class="tl" x="%d" y="%s" text-anchor="end">%s<title>%s</title></text>`,
			labelW-8, f1(y+14), esc(truncate(label, 44)), esc(label))
		fmt.Fprintf(&b, `<rect class="bar c4" x="%d" y="%s" width="%s" height="16"/>`, labelW, f1(y+2), f1(w))
		fmt.Fprintf(&b, `<text class="tl" x="%s" y="%s">%s</text>`, f1(float64(labelW)+w+6), f1(y+14), esc(r.Text))
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

// niceTicks returns evenly spaced tick values from 0 to at least max, at a
// "nice" step (1, 2 or 5 times a power of ten), about n of them.
func niceTicks(max float64, n int) []float64 {
	if !finite(max) || max <= 0 {
		max = 1
	}
	step := niceStep(max / float64(n))
	top := math.Ceil(max/step-1e-9) * step
	var out []float64
	for v := 0.0; v <= top+step/2; v += step {
		out = append(out, v)
	}
	return out
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / p; {
	case f <= 1:
		return p
	case f <= 2:
		return 2 * p
	case f <= 5:
		return 5 * p
	}
	return 10 * p
}

// evenTicks labels an x range of seconds or run numbers at nice steps.
func evenTicks(x0, x1 float64) []tick {
	span := x1 - x0
	if span <= 0 {
		return []tick{{x0, trimNum(x0, 0)}}
	}
	step := math.Max(1, niceStep(span/8))
	var out []tick
	for v := math.Ceil(x0/step) * step; v <= x1+1e-9; v += step {
		out = append(out, tick{v, trimNum(v, 0)})
	}
	return out
}

// tickFormatter returns a formatter with as many decimals as the tick step
// needs, so that 0.5, 1, 1.5 do not show as 0, 1, 2.
func tickFormatter(ticks []float64) func(float64) string {
	dec := 0
	if len(ticks) > 1 {
		step := ticks[1] - ticks[0]
		dec = max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	}
	return func(v float64) string { return trimNum(v, dec) }
}

// trimNum formats v with dec decimals.
func trimNum(v float64, dec int) string { return strconv.FormatFloat(v, 'f', dec, 64) }

// f1 formats a coordinate with one decimal: finer than a pixel, and short.
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func clampY(y, ymax float64) float64 {
	if !finite(y) || y < 0 {
		return 0
	}
	return math.Min(y, ymax)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// esc escapes text for HTML and SVG content and attribute values.
func esc(s string) string { return template.HTMLEscapeString(s) }
