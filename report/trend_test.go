package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

// trendDir holds five stored results, as a nightly job would keep them.
// They are artifacts read from disk like any user's files; -update
// rewrites them from the fixtures.
const trendDir = "../testdata/trend"

// writeTrendResults writes the five nightly results: latency creeps up
// night by night, the fourth night has failures and fails its gate.
func writeTrendResults(t *testing.T) {
	if err := os.MkdirAll(trendDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for night := 1; night <= 5; night++ {
		slow := 1 + 0.15*float64(night-1)
		var reasons map[string]int64
		if night == 4 {
			reasons = map[string]int64{"status 503": 40, "timeout": 8}
		}
		r := buildResult(t, []endpoint{
			{name: "/items/[item_id]", method: "GET", n: 1200 - 50*night, lo: 2, hi: 80 * slow, reasons: reasons},
			{name: "/hello_world", method: "GET", n: 1800 - 60*night, lo: 1, hi: 30 * slow},
		}, map[string][]string{"total": {"p95 < 100ms", "failure_rate < 1%"}})
		r.StartedAt = time.Date(2026, 11, 20+night, 2, 0, 0, 0, time.UTC)
		r.Provenance.Commit = fmt.Sprintf("%08x", uint32(night)*0x9e3779b9) + strings.Repeat("0", 32)
		var b bytes.Buffer
		if err := result.Write(&b, r); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(trendDir, fmt.Sprintf("nightly-2026-11-%02d.json", 20+night))
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTrendResults reads the stored results in an order that is not their
// start order, as a shell glob of differently named files might give.
func readTrendResults(t *testing.T) []NamedResult {
	t.Helper()
	if *update {
		writeTrendResults(t)
	}
	var out []NamedResult
	for _, day := range []int{23, 21, 25, 22, 24} {
		name := fmt.Sprintf("nightly-2026-11-%02d.json", day)
		f, err := os.Open(filepath.Join(trendDir, name))
		if err != nil {
			t.Fatalf("%v (run go test ./report -update to create it)", err)
		}
		r, err := readResult(f, name)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, NamedResult{Name: name, Result: r})
	}
	return out
}

// TestTrendGolden checks the trend data of five stored results, and the
// Markdown drawn from it.
func TestTrendGolden(t *testing.T) {
	runs := readTrendResults(t)
	pts := Trend(runs)
	data, err := json.MarshalIndent(pts, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "trend.json", append(data, '\n'))

	for i, p := range pts {
		if p.Run != i+1 || (i > 0 && !pts[i-1].StartedAt.Before(p.StartedAt)) {
			t.Errorf("run %d (%s) out of start order", p.Run, p.Name)
		}
	}
	if pts[0].P95MS >= pts[4].P95MS {
		t.Errorf("p95 should creep up over the nights: %v … %v", pts[0].P95MS, pts[4].P95MS)
	}
	if pts[3].Verdict != "fail" || pts[3].FailureRate == 0 {
		t.Errorf("night 4 should fail with failures: %+v", pts[3])
	}

	var md bytes.Buffer
	if err := TrendMarkdown(&md, runs); err != nil {
		t.Fatal(err)
	}
	golden(t, "trend.md", md.Bytes())
	if n := strings.Count(md.String(), "xychart-beta"); n != 3 {
		t.Errorf("%d Mermaid charts, want 3", n)
	}
}

// TestTrendHTML checks the trend page draws its three charts with one
// point per run, and the table lists every run.
func TestTrendHTML(t *testing.T) {
	runs := readTrendResults(t)
	var b bytes.Buffer
	if err := TrendHTML(&b, runs); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if err := os.WriteFile(filepath.Join(artifactDir(t), "trend.html"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"trend-latency", "trend-rps", "trend-failures"} {
		svg := element(t, out, `<svg`, `id="`+id+`"`, `</svg>`)
		if !strings.Contains(svg, "<polyline") {
			t.Errorf("%s: no line drawn", id)
		}
		for _, pl := range strings.Split(svg, "<polyline")[1:] {
			pts := pl[strings.Index(pl, `points="`)+8:]
			pts = pts[:strings.IndexByte(pts, '"')]
			if n := len(strings.Fields(pts)); n != 5 {
				t.Errorf("%s: a line of %d points, want 5", id, n)
			}
		}
	}
	if n := strings.Count(out, "nightly-2026-11-"); n != 5 {
		t.Errorf("table names %d runs, want 5", n)
	}
	var term bytes.Buffer
	TrendTerminal(&term, runs)
	if !strings.Contains(term.String(), "nightly-2026-11-25.json") {
		t.Errorf("terminal trend:\n%s", term.String())
	}
}

// element returns the element of s that starts with open, contains mark
// before its first '>', and ends at the next close.
func element(t *testing.T, s, open, mark, close string) string {
	t.Helper()
	for rest := s; ; {
		i := strings.Index(rest, open)
		if i < 0 {
			t.Fatalf("no %s…%s element", open, mark)
		}
		rest = rest[i:]
		if strings.Contains(rest[:strings.IndexByte(rest, '>')], mark) {
			return rest[:strings.Index(rest, close)+len(close)]
		}
		rest = rest[len(open):]
	}
}
