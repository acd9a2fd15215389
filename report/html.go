package report

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

// The HTML pages (report, trend, live dashboard) are html/template
// templates over one layout. html/template escapes every value for its
// context, so names, reasons and log lines from the server cannot become
// markup; the charts are the only pre-rendered HTML, and svg.go escapes the
// text inside them.

//go:embed assets
var assets embed.FS

// Version is the loadgate version printed in page footers; main sets it.
var Version = "dev"

// pageAssets are the inline style and scripts, read once.
var (
	styleCSS = mustAsset("assets/style.css")
	sortJS   = mustAsset("assets/sort.js")
	liveJS   = mustAsset("assets/live.js")
)

func mustAsset(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// funcs are the number formats the templates share with the Markdown report.
var funcs = template.FuncMap{"ms": fmtMS, "rps": fmtRPS, "pct": fmtPct}

// parsePage parses the layout with one page's content template.
func parsePage(content string) *template.Template {
	return template.Must(template.New("layout").Funcs(funcs).ParseFS(assets, "assets/layout.tmpl", "assets/"+content))
}

var (
	reportTmpl = parsePage("report.tmpl")
	trendTmpl  = parsePage("trend.tmpl")
	liveTmpl   = parsePage("live.tmpl")
)

// pageHead is what the layout needs besides the page's content.
type pageHead struct {
	Title   string
	CSP     string
	CSS     template.CSS
	JS      template.JS
	Version string
}

// newHead builds a page head whose Content Security Policy allows exactly
// the page's own inline style and script (by hash) and, for the live page,
// connections back to its own server. Everything else — fetches, fonts,
// pictures, frames, forms — is refused by the browser itself, so a mistake
// in escaping could not load or run anything either.
func newHead(title, js string, connectSelf bool) pageHead {
	csp := "default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; " +
		"style-src " + hashSrc(styleCSS) + "; script-src " + hashSrc(js)
	if connectSelf {
		csp += "; connect-src 'self'"
	}
	return pageHead{Title: title, CSP: csp, CSS: template.CSS(styleCSS), JS: template.JS(js), Version: Version}
}

// hashSrc is a CSP source allowing one inline element with this content.
func hashSrc(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// reportView is the data of the report page.
type reportView struct {
	Page          pageHead
	Verdict       verdictView
	LoadLine      string
	Provenance    []string
	Interrupted   bool
	Warnings      []string
	Checks        []checkRow
	BaselineChart template.HTML
	Timeline      []template.HTML
	Percentiles   template.HTML
	PctRows       []pctRow
	Endpoints     []endpointRow
	Total         *endpointRow
	FailuresChart template.HTML
	Failures      []failRow
	FailuresCut   int
	Target        *result.TargetReport
	App           []appRow
	AppNote       string
}

type verdictView struct{ Class, Word, Summary string }

type checkRow struct{ Name, Limit, Measured, Baseline, Delta, Status, Reason string }

type pctRow struct{ Label, Value string }

type failRow struct {
	Endpoint, Method, Reason string
	Count                    int64
}

type endpointRow struct {
	Name, Method, Codes string
	S                   *result.Stats
}

// maxHTMLFailureRows bounds the failures table; the chart above it sums all.
const maxHTMLFailureRows = 1000

// HTML writes the self-contained HTML report of a result: verdict and
// checks, baseline comparison, charts over time, the latency distribution,
// a sortable endpoints table, failures by reason and the target's log.
// The page fetches nothing and needs no script to show its charts.
func HTML(w io.Writer, r *result.Result) error {
	v := reportView{
		Page:          newHead("loadgate report", sortJS, false),
		Verdict:       verdictOf(r),
		LoadLine:      loadLine(r),
		Provenance:    provenanceParts(r, cleanText),
		Interrupted:   r.Interrupted,
		BaselineChart: baselineChart(r.Verdict),
		Timeline:      append(timelineCharts(r.Timeline), appChartsHTML(r.Timeline)...),
		Percentiles:   percentileChart(r),
		PctRows:       percentileRows(total(r)),
		FailuresChart: failuresChart(r),
	}
	for _, s := range warnings(r) {
		v.Warnings = append(v.Warnings, cleanText(s, maxLineLen))
	}
	if r.Dropped > 0 {
		v.Warnings = append(v.Warnings, fmt.Sprintf("%d scheduled starts were dropped because no virtual user was free; "+
			"the target could not keep up with the arrival rate (or raise load.users, the pool size).", r.Dropped))
	}
	if r.Verdict != nil {
		for _, c := range r.Verdict.Checks {
			v.Checks = append(v.Checks, checkRowOf(c))
		}
	}
	for _, e := range endpointRows(r) {
		v.Endpoints = append(v.Endpoints, endpointRowOf(e))
	}
	v.App, v.AppNote = appRows(r)
	for i := range v.App {
		v.App[i].Value = cleanText(v.App[i].Value, maxReasonLen)
	}
	v.AppNote = cleanText(v.AppNote, maxLineLen)
	t := endpointRowOf(total(r))
	t.Name, t.Method = "Aggregated", ""
	v.Total = &t
	reasons := failureReasons(r)
	if len(reasons) > maxHTMLFailureRows {
		v.FailuresCut = len(reasons) - maxHTMLFailureRows
		reasons = reasons[:maxHTMLFailureRows]
	}
	for _, rc := range reasons {
		v.Failures = append(v.Failures, failRow{cleanText(rc.endpoint, maxNameLen), cleanText(rc.method, 20),
			cleanText(rc.reason, maxReasonLen), rc.count})
	}
	if r.Target != nil {
		tr := *r.Target
		tr.Command, tr.Error, tr.LogFile = cleanText(tr.Command, maxLineLen), cleanText(tr.Error, maxLineLen), cleanText(tr.LogFile, maxLineLen)
		tr.LogTail = nil
		lines := r.Target.LogTail
		if len(lines) > maxLogLines {
			lines = lines[len(lines)-maxLogLines:]
		}
		for _, l := range lines {
			tr.LogTail = append(tr.LogTail, cleanLine(l, maxLogLineLen, false))
		}
		v.Target = &tr
	}
	return execute(w, reportTmpl, v)
}

// execute renders into a buffer first, so a template error never leaves
// half a page in the file.
func execute(w io.Writer, t *template.Template, data any) error {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// verdictOf is the headline badge: its CSS class, word and summary.
func verdictOf(r *result.Result) verdictView {
	v := r.Verdict
	if v == nil {
		return verdictView{"none", "NO VERDICT", ""}
	}
	class := v.Status
	if class == gate.StatusInterrupted {
		class = gate.StatusInconclusive // amber: neither pass nor fail
	}
	if class != gate.StatusPass && class != gate.StatusInconclusive {
		class = "fail"
	}
	return verdictView{class, cleanText(verdictWord(v), 40), cleanText(outcome(r), maxLineLen)}
}

// checkRowOf formats one check as the Markdown report does.
func checkRowOf(c result.Check) checkRow {
	row := checkRow{
		Name:     cleanText(c.Scope, maxNameLen) + " " + cleanText(c.Metric, 20),
		Limit:    limitOp(c) + " " + checkValue(c.Limit, c.Unit),
		Measured: measuredValue(c.Measured, c.Unit),
		Baseline: "–", Delta: "–",
		Status: cleanText(c.Status, 20),
	}
	if gate.VsBaseline(c) {
		row.Name += " vs baseline"
		row.Limit = limitOp(c) + " " + measuredValue(c.Limit, c.Unit)
	}
	if c.Default {
		row.Name += " (default)"
	}
	if gate.NoData(c) {
		row.Measured = "no data"
		if c.Reason != gate.ReasonNoData {
			row.Reason = cleanText(c.Reason, maxReasonLen)
		}
	} else if c.Source != "threshold" || c.Default {
		row.Reason = cleanText(c.Reason, maxReasonLen)
	}
	if c.Baseline != nil {
		row.Baseline = measuredValue(*c.Baseline, c.Unit)
	}
	if c.DeltaPct != nil {
		row.Delta = fmtSigned(*c.DeltaPct)
	}
	return row
}

// endpointRowOf cleans an endpoint's text and lists its status codes.
func endpointRowOf(s *result.Stats) endpointRow {
	codes := make([]string, 0, len(s.StatusCodes))
	for code := range s.StatusCodes {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for i, c := range codes {
		codes[i] = fmt.Sprintf("%s×%d", cleanText(c, 20), s.StatusCodes[c])
	}
	return endpointRow{Name: cleanText(s.Name, maxNameLen), Method: cleanText(s.Method, 20), Codes: strings.Join(codes, " "), S: s}
}

// provenanceParts lists commit, ref, runner, CPU, Go and loadgate version
// and start time, each passed through esc (the Markdown escaper, or plain
// cleaning for HTML, whose template escapes).
func provenanceParts(r *result.Result, esc func(string, int) string) []string {
	p := r.Provenance
	var out []string
	add := func(label, v string) {
		if v != "" {
			out = append(out, label+esc(v, 80))
		}
	}
	commit := p.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	add("commit ", commit)
	add("", p.Ref)
	add("", p.RunnerOS)
	if p.CPUs > 0 {
		out = append(out, fmt.Sprintf("%d × %s", p.CPUs, esc(orDash(p.CPUModel), 80)))
	}
	add("", p.GoVersion)
	add("loadgate ", r.LoadgateVersion)
	add("shard ", p.Shard)
	if !r.StartedAt.IsZero() {
		out = append(out, "started "+r.StartedAt.UTC().Format("2006-01-02 15:04:05Z"))
	}
	return out
}

// percentileRows are the usual percentiles of the total, read from its
// histogram so that p99.99 is there too.
func percentileRows(s *result.Stats) []pctRow {
	h, err := s.Hist()
	if err != nil || h.TotalCount() == 0 {
		return nil
	}
	var out []pctRow
	for _, q := range []float64{50, 75, 90, 95, 99, 99.9, 99.99} {
		out = append(out, pctRow{gate.FormatNumber(q) + "%", fmtMS(float64(h.ValueAtQuantile(q)) / 1000)})
	}
	return append(out, pctRow{"max", fmtMS(float64(h.Max()) / 1000)})
}
