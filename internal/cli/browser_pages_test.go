package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/loadgate/loadgate/report"
)

// TestBrowserWatchSeesViolations is the control for the checks below: a
// page that logs an error, fetches from elsewhere and runs a script its
// policy forbids must be caught, or "0 console errors" would prove nothing.
func TestBrowserWatchSeesViolations(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.html")
	csp := filepath.Join(dir, "csp.html")
	os.WriteFile(bad, []byte(`<!DOCTYPE html><img src="http://127.0.0.1:1/pixel.png"><script>console.error("boom")</script>`), 0o644)
	os.WriteFile(csp, []byte(`<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="script-src 'none'">`+
		`<script>document.title = "ran"</script>`), 0o644)
	w := watch(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+bad), chromedp.Navigate("file://"+csp)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the failed fetch reports asynchronously
	w.mu.Lock()
	defer w.mu.Unlock()
	if !slices.Contains(w.requests, "http://127.0.0.1:1/pixel.png") {
		t.Errorf("the outside request was not seen: %q", w.requests)
	}
	text := strings.Join(w.errors, "\n")
	if !strings.Contains(text, "console.error") || !strings.Contains(text, "Content Security Policy") {
		t.Errorf("errors seen:\n%s", text)
	}
}

// TestBrowserHTMLReport runs the demo workload briefly, writes its HTML
// report as --html does, and opens the file offline (acceptance 1).
func TestBrowserHTMLReport(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)
	srv := startDemoApp(t)
	var stderr syncBuffer
	j := demoJob(t, srv.URL, "3s", &runFlags{}, &stderr)
	out := j.execute(context.Background())
	if out.err != nil {
		t.Fatalf("demo run: %v\n%s", out.err, stderr.String())
	}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := (report.File{Path: path, Render: report.HTML}).Finish(out.result); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("demo HTML report: %d bytes (limit %d)", len(page), 1<<20)
	if len(page) >= 1<<20 {
		t.Errorf("the demo's HTML report is %d bytes, over 1 MiB", len(page))
	}
	saveArtifact(t, "demo-report.html", page)

	w := watch(t, ctx)
	url := "file://" + path
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	assertCharts(t, ctx, "chart-rps", "chart-users", "chart-latency", "chart-percentiles")
	assertRendered(t, ctx, "chart-failures")

	// The endpoints table sorts by a column on a click.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#endpoints thead th:nth-child(3)"))); err != nil {
		t.Fatal(err)
	}
	reqs, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](
		`Array.from(document.querySelectorAll("#endpoints tbody td:nth-child(3)")).map(function (td) { return +td.dataset.v; })`))
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 3 || !slices.IsSorted(reqs) {
		t.Errorf("requests column after a click: %v, want 3 rows ascending", reqs)
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveArtifact(t, "demo-report.png", shot)
	t.Logf("console errors: %d", w.check(t, url, "data:"))
}

// TestBrowserLiveDashboard watches the dashboard during a short demo run
// (acceptance 2): charts drawn, two screenshots 3 s apart differ, the RPS
// value changes, and at the end the page shows the verdict.
func TestBrowserLiveDashboard(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)
	srv := startDemoApp(t)
	var stderr syncBuffer
	j := demoJob(t, srv.URL, "8s", &runFlags{Web: "127.0.0.1:0"}, &stderr)
	done := make(chan outcome, 1)
	go func() { done <- j.execute(context.Background()) }()
	url := dashboardURL(t, &stderr)

	w := watch(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	// Wait for measured seconds with a point on the RPS chart.
	poll(t, ctx, `document.getElementById("v-phase").textContent === "measure" &&
		document.querySelector("#chart-rps polyline") !== null`, 8*time.Second)

	// Two screenshots 3 s apart; between them the RPS tile is read every
	// half second, since two seconds can by chance have the same rate.
	shot1, rps1 := liveSample(t, ctx)
	points1 := rpsPoints(t, ctx)
	seen := map[string]bool{rps1: true}
	var shown []string
	for range 6 {
		time.Sleep(500 * time.Millisecond)
		rps, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("v-rps")))
		if err != nil {
			t.Fatal(err)
		}
		seen[rps], shown = true, append(shown, rps)
	}
	shot2, rps2 := liveSample(t, ctx)
	seen[rps2] = true
	points2 := rpsPoints(t, ctx)
	saveArtifact(t, "live-1.png", shot1)
	saveArtifact(t, "live-2.png", shot2)
	t.Logf("RPS shown: %s, %s, %s; RPS chart points %d → %d", rps1, strings.Join(shown, ", "), rps2, points1, points2)
	if bytes.Equal(shot1, shot2) {
		t.Error("two screenshots 3 s apart are identical: the dashboard does not update")
	}
	if len(seen) < 2 {
		t.Errorf("the RPS value did not change in 3 s: %s", rps1)
	}
	if points2 <= points1 {
		t.Errorf("the RPS chart did not grow in 3 s: %d → %d points", points1, points2)
	}
	assertCharts(t, ctx, "chart-rps", "chart-users", "chart-latency")
	assertRendered(t, ctx, "chart-failures")

	select {
	case out := <-done:
		if out.err != nil {
			t.Fatalf("run: %v\n%s", out.err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end")
	}
	poll(t, ctx, `document.getElementById("v-status").textContent.indexOf("Run finished: PASS") === 0`, 5*time.Second)
	final, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	saveArtifact(t, "live-final.png", final)
	t.Logf("console errors: %d", w.check(t, url, "data:"))
}

// dashboardURL waits for the run to announce its dashboard on stderr.
func dashboardURL(t *testing.T, stderr *syncBuffer) string {
	t.Helper()
	re := regexp.MustCompile(`live dashboard at (http://\S+)`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no dashboard announced; stderr:\n%s", stderr.String())
	return ""
}

// liveSample takes a screenshot of the dashboard and reads its RPS tile.
func liveSample(t *testing.T, ctx context.Context) ([]byte, string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	rps, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("v-rps")))
	if err != nil {
		t.Fatal(err)
	}
	return shot, rps
}

// rpsPoints counts the points of the RPS chart's line.
func rpsPoints(t *testing.T, ctx context.Context) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.querySelector("#chart-rps polyline").getAttribute("points").trim().split(/\s+/).length`))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// poll waits until a JavaScript condition holds in the page.
func poll(t *testing.T, ctx context.Context, cond string, limit time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond)); err == nil && ok {
			return
		}
	}
	t.Fatalf("timed out after %v waiting for: %s", limit, cond)
}

// assertRendered checks charts are on the page and laid out, for charts
// that may rightly have nothing to mark (no failures in the demo).
func assertRendered(t *testing.T, ctx context.Context, ids ...string) {
	t.Helper()
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[[]chartInfo](chartsJS))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		i := slices.IndexFunc(charts, func(c chartInfo) bool { return c.ID == id })
		if i < 0 || charts[i].Width < 100 {
			t.Errorf("chart %s missing or not laid out", id)
		}
	}
}
