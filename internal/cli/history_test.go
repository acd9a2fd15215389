package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

// TestHistoryFindsTheNightOfAChange: 16 runs, the last 6 of a build 20 %
// slower, added one by one: --fail-on-change passes nights 1 to 10, fails
// night 11 (the first slow one), and the report names night 11 and its
// commit as the change point; the HTML page marks it.
func TestHistoryFindsTheNightOfAChange(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "history.json")
	rng := rand.New(rand.NewPCG(5, 6))
	for night := 1; night <= 16; night++ {
		p95 := 50 * (1 + 0.01*rng.NormFloat64())
		if night >= 11 {
			p95 *= 1.2
		}
		r := &result.Result{Schema: result.ResultSchema, StartedAt: time.Date(2026, 12, night, 3, 17, 0, 0, time.UTC),
			Provenance: result.Provenance{Commit: fmt.Sprintf("c%02d0000000000000", night), WorkloadHash: "sha256:w"},
			Total:      &result.Stats{Name: "total", Requests: 5000, RPS: 100, LatencyMS: result.Latency{P50: p95 / 2, P95: p95, P99: p95 * 1.1}},
			Verdict:    &result.Verdict{Status: "pass"}}
		path := filepath.Join(dir, fmt.Sprintf("r%d.json", night))
		f, _ := os.Create(path)
		result.Write(f, r)
		f.Close()
		e, _, stderr := testEnv(nil)
		if code := run(context.Background(), []string{"history", "add", "--file", hist, path}, e); code != 0 {
			t.Fatalf("add night %d: exit %d %s", night, code, stderr)
		}
		e, stdout, stderr := testEnv(nil)
		code := run(context.Background(), []string{"history", "--file", hist, "--fail-on-change", "--html", filepath.Join(dir, "h.html")}, e)
		want := 0
		if night == 11 {
			want = 1
		}
		if code != want && !(night > 11 && code == 0) {
			t.Errorf("night %d: exit %d, want %d\n%s%s", night, code, want, stdout, stderr)
		}
		if night == 16 && !strings.Contains(stdout.String(), "| total | p95 | #11 c11000000000") {
			t.Errorf("the change point is not night 11:\n%s", stdout)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "h.html"))
	if !strings.Contains(string(page), "class=cp") {
		t.Errorf("the HTML page marks no change point")
	}
}
