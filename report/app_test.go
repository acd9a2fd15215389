package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/load/result"
)

// appResult is a finished run whose app was read each second.
func appResult(unavailable string) *result.Result {
	r := &result.Result{Schema: result.ResultSchema, DurationS: 4, Total: &result.Stats{Name: "total", Requests: 400, RPS: 100}}
	for s := 1; s <= 4; s++ {
		r.Timeline = append(r.Timeline, result.TimelinePt{T: s, RPS: 100, P95MS: 2})
	}
	t0 := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	var rd []result.AppReading
	for s := 0; s <= 4; s++ {
		rd = append(rd, result.AppReading{Sec: s, At: t0.Add(time.Duration(s) * time.Second), CPU: 0.25 * float64(s), RSS: int64(100+s) << 20, Procs: 3,
			Instr: 1.5e6 * float64(s*100), InstrOK: true})
	}
	r.SetApp("cgroup", unavailable, rd)
	return r
}

func TestEveryReportShowsTheApp(t *testing.T) {
	r := appResult("")
	var md, html, csv, term bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if err := HTML(&html, r); err != nil {
		t.Fatal(err)
	}
	if err := CSVHistory(&csv, r); err != nil {
		t.Fatal(err)
	}
	Terminal(&term, r)
	for name, tc := range map[string]struct {
		out  string
		want []string
	}{
		"markdown": {md.String(), []string{"### The app's own cost", "app\\_cpu\\_per\\_req", "2.50 ms", "25%", "104MiB", "+100MiB",
			"App CPU (% of one core)", "App resident memory (MiB)", "| App CPU (%) | App memory |", "own cgroup", "| app\\_instr\\_per\\_req | Instructions per request (user space) | 1.5 M |"}},
		"html":     {html.String(), []string{"The app's own cost", "app_rss_growth", "2.50 ms", idAppCPU, idAppRSS}},
		"csv":      {csv.String(), []string{"App CPU %,App Resident Bytes", ",25.000,105906176"}},
		"terminal": {term.String(), []string{"App (cgroup): 2.50 ms CPU per request", "peak 104MiB", "3 processes"}},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.out, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, tc.out)
			}
		}
	}

	// Nothing measured where something was asked: the reports say why.
	r = appResult("prometheus: target.metrics answered 503 Service Unavailable")
	md.Reset()
	_ = Markdown(&md, r)
	if !strings.Contains(md.String(), "not measured: prometheus: target.metrics answered 503") || strings.Contains(md.String(), "App CPU (%") {
		t.Errorf("markdown of an unmeasured app:\n%s", md.String())
	}
	// An app never asked for adds nothing: older results render as before.
	r.Total.App = nil
	md.Reset()
	_ = Markdown(&md, r)
	if strings.Contains(md.String(), "app's own cost") {
		t.Error("a section for an app that was not started")
	}
}

func TestLiveDashboardChartsTheApp(t *testing.T) {
	var s liveState
	for _, p := range appResult("").Timeline {
		p := p
		s.progress(result.Progress{Phase: "measure", Point: &p})
	}
	ids := map[string]bool{}
	for _, c := range s.charts() {
		ids[c.ID] = true
	}
	if !ids[idAppCPU] || !ids[idAppRSS] || !ids[idRPS] {
		t.Errorf("live charts %v", ids)
	}
}
