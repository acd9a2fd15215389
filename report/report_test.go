package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

var update = flag.Bool("update", false, "rewrite golden files")

const goldenDir = "../testdata/golden"

// scenarios are the results the golden files are rendered from.
func scenarios(t testing.TB) map[string]*result.Result {
	return map[string]*result.Result{
		"pass":   passResult(t),
		"fail":   failResult(t),
		"nodata": noDataResult(t),
		"nasty":  nastyResult(t),
	}
}

func passResult(t testing.TB) *result.Result {
	r := buildResult(t, []endpoint{
		{name: "/items/[item_id]", method: "GET", n: 1200, lo: 2, hi: 80},
		{name: "/hello_world", method: "GET", n: 1800, lo: 1, hi: 30},
		{name: "/create_item", method: "POST", n: 600, lo: 5, hi: 120},
	}, map[string][]string{
		"total":            {"p95 < 500ms", "failure_rate < 1%", "rps >= 30"},
		"/items/[item_id]": {"p90 < 200ms"},
	})
	// Thirty more seconds than fit the chart: exercises downsampling.
	for i := len(r.Timeline); i < 90; i++ {
		p := r.Timeline[i%60]
		p.T = i + 1
		r.Timeline = append(r.Timeline, p)
	}
	p95 := r.Total.LatencyMS.P95
	r.Verdict = gate.Combine(r.Verdict, &result.Verdict{Checks: []result.Check{
		baselineCheck("total", "p95", "ms", p95, p95*0.95, p95*0.95*1.1, gate.StatusPass, ""),
	}})
	return r
}

func failResult(t testing.TB) *result.Result {
	r := buildResult(t, []endpoint{
		{name: "/items/[item_id]", method: "GET", n: 900, lo: 20, hi: 900,
			reasons: map[string]int64{"status 500": 30, "timeout": 12}},
		{name: "/hello_world", method: "GET", n: 1500, lo: 1, hi: 30,
			reasons: map[string]int64{"connection refused": 3}},
	}, map[string][]string{
		"total":            {"p95 < 500ms", "failure_rate < 1%", "rps >= 30"},
		"/items/[item_id]": {"p90 <= 200ms"},
		"/hello_world":     {"failures < 1"},
	})
	r.Load = result.LoadInfo{Model: "open", ArrivalRate: 50, WarmupS: 0}
	r.Dropped = 17
	r.NotSent = 4
	r.Interrupted = true
	r.Warnings = []string{"the baseline was measured on a different CPU (Intel Xeon 8272CL)"}
	p95, rps := r.Total.LatencyMS.P95, r.Total.RPS
	r.Verdict = gate.Combine(r.Verdict, &result.Verdict{Checks: []result.Check{
		baselineCheck("total", "p95", "ms", p95, p95/2, p95/2*1.1, gate.StatusFail, "p95 is 100% over the baseline (tolerance 10%)"),
		baselineCheck("total", "rps", "/s", rps, rps*1.02, rps*1.02*0.9, gate.StatusInconclusive, "change within noise"),
	}})
	return r
}

func noDataResult(t testing.TB) *result.Result {
	r := buildResult(t, []endpoint{
		{name: "/hello_world", method: "GET", n: 300, lo: 1, hi: 10},
		{name: "/never_called", method: "DELETE", n: 0},
	}, map[string][]string{
		"/never_called": {"p95 < 100ms", "rps > 1", "failures < 1", "requests >= 1"},
	})
	r.Timeline = nil
	return r
}

func nastyResult(t testing.TB) *result.Result {
	evil := "x | y <script>alert(1)</script> `code` **bold** _it_ [link](http://evil.example) # h\n::error::pwned\r\n\x1b[31mred\x1b[0m ~~s~~ $x$ & &amp;"
	r := buildResult(t, []endpoint{
		{name: "/search|<b>`q`</b>\n::error::name", method: "GET", n: 400, lo: 3, hi: 60,
			reasons: map[string]int64{
				evil:                                 7,
				"expect json item_id: got 3, want 4": 2,
				"status 502: " + strings.Repeat("<html>Bad Gateway</html> ", 40): 5,
			}},
		{name: "- [ ] not a task", method: "GET", n: 100, lo: 1, hi: 5,
			reasons: map[string]int64{"1. not a list\n- nor this": 1}},
	}, map[string][]string{"total": {"failure_rate < 1%"}})
	r.Warnings = []string{"server said: " + evil}
	r.Provenance.Ref = "refs/heads/<img src=x onerror=alert(1)>"
	r.Target = &result.TargetReport{
		Command: "./run.sh --flag=`whoami` | tee log",
		Error:   "exited with status 1: " + evil,
		LogTail: []string{
			"INFO starting",
			"\x1b[31mERROR\x1b[0m boom",
			"```",
			"</details><script>alert(1)</script>",
			"\tat frame ````",
			"::error::from the log",
		},
	}
	return r
}

func TestGolden(t *testing.T) {
	for name, r := range scenarios(t) {
		t.Run(name, func(t *testing.T) {
			var mdOut, term bytes.Buffer
			if err := Markdown(&mdOut, r); err != nil {
				t.Fatal(err)
			}
			Terminal(&term, r)
			golden(t, name+".md", mdOut.Bytes())
			golden(t, name+".txt", term.Bytes())
		})
	}
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, file)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./report -update after checking the diff)\n--- got:\n%s", file, got)
	}
}

func TestMarkdownDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := Markdown(&a, failResult(t)); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&b, failResult(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renderings of the same result differ")
	}
}

func TestMarkdownHeadlines(t *testing.T) {
	for name, want := range map[string]string{
		"pass":   "## ✅ loadgate: PASS\n",
		"fail":   "## ❌ loadgate: FAIL — 5 of 7 checks failed\n",
		"nodata": "## ❌ loadgate: FAIL — 3 of 4 checks failed\n",
	} {
		var b bytes.Buffer
		if err := Markdown(&b, scenarios(t)[name]); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.String(), want) {
			t.Errorf("%s: first line %q, want %q", name, strings.SplitN(b.String(), "\n", 2)[0], want)
		}
	}
}

// TestEmptyResult renders results with nothing in them: a hand-written or
// truncated artifact must not crash the reports.
func TestEmptyResult(t *testing.T) {
	for _, r := range []*result.Result{
		{},
		{Verdict: &result.Verdict{Status: "pass"}, Endpoints: []*result.Stats{nil}},
		{Total: &result.Stats{Name: "total"}, Timeline: []result.TimelinePt{{T: 1}}},
	} {
		var b bytes.Buffer
		if err := Markdown(&b, r); err != nil {
			t.Fatal(err)
		}
		Terminal(&b, r)
		if b.Len() == 0 {
			t.Error("no output")
		}
	}
}

// TestTermFailureNames: the terminal's failure table names an endpoint as
// Locust does, "GET /hello", without doubling the method of a default name.
func TestTermFailureNames(t *testing.T) {
	ep := func(name string) *result.Stats {
		return &result.Stats{Name: name, Method: "GET", Requests: 1, Failures: 1, FailureReasons: map[string]int64{"status 500": 1}}
	}
	r := &result.Result{Total: &result.Stats{Name: "total"}, Endpoints: []*result.Stats{ep("GET /items"), ep("/hello")}}
	var b bytes.Buffer
	writeTermFailures(&b, r)
	out := b.String()
	for _, want := range []string{"| GET /items |", "| GET /hello |"} {
		if !strings.Contains(out, want) {
			t.Errorf("failures table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "GET GET") {
		t.Errorf("method doubled:\n%s", out)
	}
}
