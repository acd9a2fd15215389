package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/internal/testenv"
)

var trendFiles = []string{
	"testdata/trend/nightly-2026-11-21.json", "testdata/trend/nightly-2026-11-22.json",
	"testdata/trend/nightly-2026-11-23.json", "testdata/trend/nightly-2026-11-24.json",
	"testdata/trend/nightly-2026-11-25.json",
}

func abs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestReportTrend: five stored results become a trend (acceptance 4), in
// the terminal, the Markdown summary (appended to the job summary) and HTML.
func TestReportTrend(t *testing.T) {
	dir := t.TempDir()
	jobSummary := filepath.Join(dir, "step_summary.md")
	os.WriteFile(jobSummary, []byte("earlier step\n"), 0o644)
	args := []string{"report", "--html", "trend.html", "--summary", "trend.md"}
	for _, f := range trendFiles {
		args = append(args, abs(t, f))
	}
	code, out, errs := runBin(t, dir, []string{"GITHUB_STEP_SUMMARY=" + jobSummary}, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "nightly-2026-11-25.json") || !strings.Contains(out, "p95 (ms)") {
		t.Errorf("terminal trend:\n%s", out)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "trend.md"))
	if !strings.Contains(string(md), "## loadgate trend: 5 runs") || strings.Count(string(md), "xychart-beta") != 3 {
		t.Errorf("trend Markdown:\n%s", md)
	}
	summary, _ := os.ReadFile(jobSummary)
	if !strings.HasPrefix(string(summary), "earlier step\n## loadgate trend") {
		t.Errorf("the job summary was not appended to:\n%.200s", summary)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "trend.html"))
	for _, id := range []string{"trend-latency", "trend-rps", "trend-failures"} {
		if !strings.Contains(string(page), `id="`+id+`"`) {
			t.Errorf("trend page lacks %s", id)
		}
	}
}

// TestReportOne renders one stored result as the run would have.
func TestReportOne(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runBin(t, dir, nil, "report", abs(t, trendFiles[3]), "--html", "one.html", "--summary", "one.md")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "Aggregated") || !strings.Contains(out, "FAIL") {
		t.Errorf("terminal report:\n%s", out)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "one.md"))
	if !strings.HasPrefix(string(md), "## ❌ loadgate: FAIL") || !strings.Contains(string(md), "xychart-beta") {
		t.Errorf("Markdown:\n%.300s", md)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "one.html"))
	if !strings.Contains(string(page), `id="chart-percentiles"`) || !strings.Contains(string(page), "status 503") {
		t.Error("HTML report lacks the distribution or the failure reasons")
	}
}

// TestReportBaselineFile draws the trend of the results a baseline file keeps.
func TestReportBaselineFile(t *testing.T) {
	dir := t.TempDir()
	var results []json.RawMessage
	for _, f := range trendFiles[:3] {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, b)
	}
	doc, _ := json.Marshal(map[string]any{"schema": "loadgate/baseline/v1", "results": results})
	os.WriteFile(filepath.Join(dir, "baseline.json"), doc, 0o644)
	code, out, errs := runBin(t, dir, nil, "report", "baseline.json")
	if code != 0 || !strings.Contains(out, "baseline.json#3") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

func TestReportUsageErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "other.json"), []byte(`{"schema": "k6/summary"}`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "at least one result file"},
		{[]string{"report", "missing.json"}, "missing.json"},
		{[]string{"report", "other.json"}, `other.json: unknown schema "k6/summary"`},
		{[]string{"report", "--bogus", "x.json"}, "bogus"},
	} {
		code, _, errs := runBin(t, dir, nil, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

func TestOptionalWebValue(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"--web"}, []string{"--web=127.0.0.1:8089"}},
		{[]string{"--web", "127.0.0.1:9000"}, []string{"--web=127.0.0.1:9000"}},
		{[]string{"-web", ":0", "-q"}, []string{"--web=:0", "-q"}},
		{[]string{"--web", "[::1]:8089"}, []string{"--web=[::1]:8089"}},
		{[]string{"--web", "-c", "x.yml"}, []string{"--web=127.0.0.1:8089", "-c", "x.yml"}},
		{[]string{"--web", "loadgate.yml"}, []string{"--web=127.0.0.1:8089", "loadgate.yml"}},
		{[]string{"--web=0.0.0.0:80"}, []string{"--web=0.0.0.0:80"}},
		{[]string{"--", "--web"}, []string{"--", "--web"}},
	} {
		if got := optionalWebValue(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
		}
	}
	for web, want := range map[string]string{"": "", "true": "127.0.0.1:8089", "0": "", "localhost:1234": "localhost:1234"} {
		f := &runFlags{Web: web}
		if got := f.webAddr(); got != want {
			t.Errorf("webAddr(%q) = %q, want %q", web, got, want)
		}
	}
	if got := (&runFlags{WebKeep: true}).webAddr(); got != "127.0.0.1:8089" {
		t.Errorf("--web-keep alone: %q", got)
	}
}

// TestWebAddressBusy: a taken address is a usage error before any load.
func TestWebAddressBusy(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	code, _, errs := runBin(t, t.TempDir(), nil, "--url", "http://"+testenv.RefusedAddr+"/", "-t", "1s", "--web", l.Addr().String())
	if code != 2 || !strings.Contains(errs, "--web "+l.Addr().String()) {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
}

// TestWebKeep: with --web-keep the dashboard outlives the run, serving the
// full report, until loadgate is interrupted.
func TestWebKeep(t *testing.T) {
	srv := startDemoApp(t)
	var stderr syncBuffer
	j := demoJob(t, srv.URL, "1s", &runFlags{Web: "127.0.0.1:0", WebKeep: true}, &stderr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan outcome, 1)
	go func() { done <- j.execute(ctx) }()
	url := dashboardURL(t, &stderr)
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(stderr.String(), "until Ctrl-C"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not end with the dashboard kept:\n%s", stderr.String())
		}
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `id="chart-percentiles"`) {
		t.Error("the kept dashboard does not serve the full report")
	}
	select {
	case <-done:
		t.Fatal("execute returned while the dashboard was kept")
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	select {
	case out := <-done:
		if out.err != nil {
			t.Fatal(out.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("interrupting did not stop the kept dashboard")
	}
	if _, err := http.Get(url); err == nil {
		t.Error("the dashboard still answers after the interrupt")
	}
}

// TestRunWritesHTML: `run --html FILE` writes the report.
func TestRunWritesHTML(t *testing.T) {
	srv := startDemoApp(t)
	dir := t.TempDir()
	code, out, errs := runBin(t, dir, nil, "--url", srv.URL+"/hello", "-t", "1s", "-u", "2", "-q", "--html", "out/report.html")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	page, err := os.ReadFile(filepath.Join(dir, "out/report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), fmt.Sprintf(`id="%s"`, "chart-rps")) {
		t.Error("no RPS chart in the report")
	}
}

// TestNoChecksStillFailsOnFailures: a run without checks of its own has the
// default failure check, so a target that closes every connection without
// answering fails it (exit 1), and every report says which check that was
// and that the requests got no response.
func TestNoChecksStillFailsOnFailures(t *testing.T) {
	url := testenv.FaultListener(t, func(c net.Conn) { c.Close() })
	dir := t.TempDir()
	sum := filepath.Join(dir, "summary.md")
	code, out, errs := runBin(t, dir, nil, "--url", url+"/", "-t", "500ms", "-u", "1", "-q", "--summary", sum)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the default failure check); stderr %s", code, errs)
	}
	md, err := os.ReadFile(sum)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"terminal": out + errs, "summary": string(md)} {
		text = strings.ReplaceAll(text, `\_`, "_")
		if !strings.Contains(text, "failure_rate") || !strings.Contains(text, "(default)") ||
			!strings.Contains(text, "requests got no response") || !strings.Contains(text, "none of") {
			t.Errorf("%s lacks the warning:\n%s", name, text)
		}
	}
}
