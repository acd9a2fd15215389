package report

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/result"
)

// Checks of the reports that need no browser; the browser ones
// are in the main package (browser_pages_test.go).

// TestMarkdown200Endpoints: a 200-endpoint result renders under the
// 900 KiB budget, with the busiest endpoints in the table, the rest in
// <details>, a note saying so, and both Mermaid charts with their numbers.
func TestMarkdown200Endpoints(t *testing.T) {
	r := manyResult(t, 200)
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Logf("200 endpoints: %d bytes of Markdown (budget %d)", b.Len(), maxMarkdown)
	if b.Len() >= maxMarkdown {
		t.Errorf("%d bytes, over the %d budget", b.Len(), maxMarkdown)
	}
	for _, want := range []string{
		"The table was cut: the 50 busiest of 200 endpoints are shown; the other 150 are below.",
		"<details><summary>150 more endpoints</summary>",
		`title "p95 latency (ms)"`,
		`title "Requests per second"`,
		"| t (s) | Users | RPS | Failures | p50 (ms) | p95 (ms) | p99 (ms) |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if n := strings.Count(out, "xychart-beta"); n != 2 {
		t.Errorf("%d Mermaid charts, want 2 (p95 and RPS)", n)
	}
}

// TestHTMLLongRun: an hour-long run's report stays small, because its
// charts are downsampled, and still spans the whole hour.
func TestHTMLLongRun(t *testing.T) {
	r := passResult(t)
	base := r.Timeline[0]
	r.Timeline = nil
	for i := 1; i <= 3600; i++ {
		p := base
		p.T, p.RPS = i, float64(40+i%17)
		r.Timeline = append(r.Timeline, p)
	}
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	t.Logf("one-hour run: %d bytes of HTML", b.Len())
	if b.Len() > 256*1024 {
		t.Errorf("%d bytes for an hour-long run", b.Len())
	}
	svg := element(t, b.String(), "<svg", `id="`+idRPS+`"`, "</svg>")
	pts := svg[strings.Index(svg, `points="`)+8:]
	pts = pts[:strings.IndexByte(pts, '"')]
	if n := len(strings.Fields(pts)); n > maxChartPoints {
		t.Errorf("RPS line has %d points, limit %d", n, maxChartPoints)
	}
	fields := strings.Fields(pts)
	if last := fields[len(fields)-1]; !strings.HasPrefix(last, f1(chartW-padR)+",") {
		t.Errorf("the line ends at %s, not at the right edge: the last seconds are missing", last)
	}
}

// TestHTMLEscapesServerText: hostile names and reasons are text, never
// markup, in the tables and inside the SVG charts alike.
func TestHTMLEscapesServerText(t *testing.T) {
	r := nastyResult(t)
	r.Endpoints[0].Requests = 1 << 20 // the busiest: its name is on the percentile legend
	r.Verdict.Checks = append(r.Verdict.Checks, result.Check{Scope: "<b>x</b>", Metric: "p95", Op: "<=",
		Baseline: ptr(1), DeltaPct: ptr(5), Measured: 1.05, Limit: 1.1, Unit: "ms", Status: "pass", Source: "baseline"})
	var b bytes.Buffer
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "<script"); n != 1 {
		t.Errorf("%d script elements, want only the page's own", n)
	}
	for _, bad := range []string{"<b>", "<img", "</details><", "\x1b", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile reason is not shown as text")
	}
	if !strings.Contains(out, `id="chart-baseline"`) {
		t.Error("no baseline chart")
	}
}

// artifactDir is where tests leave files worth looking at (HTML reports,
// screenshots): $LOADGATE_ARTIFACTS when set, else a folder in the
// system's temporary directory.
func artifactDir(t testing.TB) string {
	dir := os.Getenv("LOADGATE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "loadgate-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// refAttr finds attributes that make a browser fetch or navigate.
var refAttr = regexp.MustCompile(`\b(src|href|action|srcset|poster|data)\s*=\s*"([^"]*)"`)

func TestHTMLScenarios(t *testing.T) {
	for name, r := range scenarios(t) {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := HTML(&b, r); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if err := os.WriteFile(filepath.Join(artifactDir(t), "report-"+name+".html"), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			ids := []string{idRPS, idUsers, idFailures, idLatency, "chart-percentiles"}
			if r.Total.Failures > 0 {
				ids = append(ids, "chart-reasons")
			}
			for _, id := range ids {
				if !strings.Contains(out, `id="`+id+`"`) {
					t.Errorf("chart %s missing", id)
				}
			}
			// Nothing on the page may point elsewhere: the only link is the
			// empty data: favicon that stops browsers asking for one.
			for _, m := range refAttr.FindAllStringSubmatch(out, -1) {
				if m[2] != "data:," {
					t.Errorf("page refers to %s=%q", m[1], m[2])
				}
			}
			if strings.Contains(out, "<script>alert") || strings.Contains(out, "<img") {
				t.Error("server text reached the page as markup")
			}
		})
	}
}
