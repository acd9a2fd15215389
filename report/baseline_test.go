package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

// The baseline goldens render verdicts that package gate computed from
// fixture results, so they show what users will see for each outcome of a
// baseline comparison (pass, regression, inconclusive, missing
// baseline, first run). Update them with go test ./report -update.

// scaledEndpoints are the pass scenario's endpoints with every latency of
// /items/[item_id] multiplied by f and the others by g.
func scaledEndpoints(f, g float64) []endpoint {
	return []endpoint{
		{name: "/items/[item_id]", method: "GET", n: 1200, lo: 2 * f, hi: 80 * f},
		{name: "/hello_world", method: "GET", n: 1800, lo: 1 * g, hi: 30 * g},
		{name: "/create_item", method: "POST", n: 600, lo: 5 * g, hi: 120 * g},
	}
}

var baselineThresholds = map[string][]string{"total": {"p95 < 500ms", "failure_rate < 1%"}}

// baselineRuns builds a kept baseline whose runs' /items latencies are
// scaled by factors (the machine's run-to-run drift).
func baselineRuns(t *testing.T, factors ...float64) *result.Baseline {
	b := &result.Baseline{}
	for _, f := range factors {
		b.Append(buildResult(t, scaledEndpoints(f, 1+(f-1)/4), nil), 5)
	}
	return b
}

// withBaseline compares a run with a baseline and combines the verdicts
// as the run command does.
func withBaseline(t *testing.T, cur *result.Result, b *result.Baseline) *result.Result {
	o := gate.Options{File: ".loadgate/baseline.json"}
	v, err := gate.CompareBaseline(cur, b, o)
	if err != nil {
		t.Fatal(err)
	}
	gate.FillThresholdBaselines(cur.Verdict, cur, b, o)
	cur.Verdict = gate.Combine(cur.Verdict, v)
	return cur
}

func baselineScenarios(t *testing.T) map[string]*result.Result {
	steady := func() *result.Baseline { return baselineRuns(t, 0.99, 1.01, 1, 0.995, 1.005) }
	pass := withBaseline(t, buildResult(t, scaledEndpoints(1.02, 1), baselineThresholds), steady())

	regression := withBaseline(t, buildResult(t, scaledEndpoints(1.45, 1), baselineThresholds), steady())

	// The kept runs vary by about ±20% on /items: a 15% change is inside.
	noisy := baselineRuns(t, 0.8, 1.2, 0.9, 1.15, 1)
	for _, r := range noisy.Results {
		r.Provenance.CPUModel = "Intel Xeon Platinum 8272CL"
	}
	inconclusive := withBaseline(t, buildResult(t, scaledEndpoints(1.15, 1), baselineThresholds), noisy)

	missing := buildResult(t, scaledEndpoints(1, 1), baselineThresholds)
	missing.Verdict = gate.Combine(missing.Verdict, gate.MissingBaseline(".loadgate/baseline.json", "fail"))

	first := buildResult(t, scaledEndpoints(1, 1), baselineThresholds)
	first.Verdict = gate.Combine(first.Verdict, gate.MissingBaseline(".loadgate/baseline.json", "pass"))

	return map[string]*result.Result{
		"baseline_pass":         pass,
		"baseline_regression":   regression,
		"baseline_inconclusive": inconclusive,
		"baseline_missing":      missing,
		"baseline_first_run":    first,
	}
}

func TestBaselineGolden(t *testing.T) {
	want := map[string]string{
		"baseline_pass":         "## ✅ loadgate: PASS",
		"baseline_regression":   "## ❌ loadgate: FAIL",
		"baseline_inconclusive": "## ❔ loadgate: INCONCLUSIVE",
		"baseline_missing":      "## ❌ loadgate: FAIL — 1 of 3 checks failed",
		"baseline_first_run":    "## ✅ loadgate: PASS",
	}
	for name, r := range baselineScenarios(t) {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Markdown(&b, r); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".md", b.Bytes())
			if !strings.HasPrefix(b.String(), want[name]) {
				t.Errorf("headline %q, want %q", strings.SplitN(b.String(), "\n", 2)[0], want[name])
			}
		})
	}
}

// TestBaselineMarkdownColumns pins the Baseline and Delta columns' rules:
// "~" for inconclusive, "?" for a zero baseline, points for failure_rate,
// and the verdict's warnings as footnotes of the Baseline header.
func TestBaselineMarkdownColumns(t *testing.T) {
	r := buildResult(t, scaledEndpoints(1, 1), nil)
	r.Verdict = &result.Verdict{Status: gate.StatusInconclusive, Warnings: []string{"first note", "second note"}, Checks: []result.Check{
		baselineCheck("total", "p95", "ms", 50, 40, 44, gate.StatusFail, "p95 +25.0% [+20.0%, +30.0%] beyond tolerance 10% and noise"),
		baselineCheck("total", "p99", "ms", 50, 48, 57.6, gate.StatusInconclusive, "p99 +4.2% [-30.0%, +50.0%]: cannot tell"),
		{Scope: "total", Metric: "rps", Op: ">=", Measured: 3, Baseline: ptr(0), Unit: "/s",
			Status: gate.StatusPass, Source: "baseline"},
		{Scope: "total", Metric: "failure_rate", Op: "<=", Limit: 0.75, Measured: 0.4, Baseline: ptr(0.25),
			DeltaPct: ptr(60), Unit: "%", Status: gate.StatusPass, Source: "baseline"},
	}}
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, s := range []string{
		"| Check | Limit | Measured | Baseline ¹ ² | Delta | Result |",
		"| total p95 vs baseline | &lt;= 44 ms | 50 ms | 40 ms | +25% | ❌ fail |",
		"| total p99 vs baseline | &lt;= 57.6 ms | 50 ms | 48 ms | ~ | ❔ inconclusive |",
		"| total rps vs baseline | &gt;= 0 /s | 3 /s | 0 /s | ? | ✅ pass |",
		"| total failure\\_rate vs baseline | &lt;= 0.75 % | 0.4 % | 0.25 % | +0.15 pts | ✅ pass |",
		"- total p95 vs baseline: p95 +25.0% \\[+20.0%, +30.0%\\] beyond tolerance 10% and noise",
		"¹ ⚠️ first note\n\n² ⚠️ second note\n\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("Markdown lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "### Warnings") {
		t.Errorf("verdict warnings repeated in the Warnings section:\n%s", out)
	}
}

// TestBaselineOldOpRendersAsBefore: results written before baseline checks
// had real operators carry Op "baseline"; `loadgate report` renders them
// as it renders the new "<=" and ">=" checks.
func TestBaselineOldOpRendersAsBefore(t *testing.T) {
	r := buildResult(t, scaledEndpoints(1, 1), nil)
	old := []result.Check{
		baselineCheck("total", "p95", "ms", 50, 40, 44, gate.StatusPass, ""),
		baselineCheck("total", "rps", "/s", 30, 32, 28.8, gate.StatusPass, ""),
	}
	for i := range old {
		old[i].Op = "baseline"
	}
	r.Verdict = &result.Verdict{Status: gate.StatusPass, Checks: old}
	var md, term bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	Terminal(&term, r)
	for _, s := range []string{
		"| total p95 vs baseline | &lt;= 44 ms | 50 ms | 40 ms | +25% | ✅ pass |",
		"| total rps vs baseline | &gt;= 28.8 /s | 30 /s | 32 /s | -6.25% | ✅ pass |",
	} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("Markdown lacks %q:\n%s", s, md.String())
		}
	}
	for _, s := range []string{"total p95 vs baseline (measured 50ms, baseline 40ms, +25%, limit <= 44ms)",
		"total rps vs baseline (measured 30/s, baseline 32/s, -6.25%, limit >= 28.8/s)"} {
		if !strings.Contains(term.String(), s) {
			t.Errorf("terminal lacks %q:\n%s", s, term.String())
		}
	}
}

// TestBaselineThresholdRows: compared with a baseline, a threshold check
// shows the baseline and the change in every report that has the columns,
// as the baseline check of the same metric does; the baseline chart keeps
// to the baseline checks.
func TestBaselineThresholdRows(t *testing.T) {
	steady := baselineRuns(t, 0.99, 1.01, 1, 0.995, 1.005)
	r := withBaseline(t, buildResult(t, scaledEndpoints(1.45, 1), map[string][]string{"total": {"p95 < 50ms"}}), steady)

	var md bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"| total p95 | &lt; 50 ms | 85.06 ms | 66.75 ms | +27.42% | ❌ fail |",
		"| total p95 vs baseline | &lt;= 73.43 ms | 85.06 ms | 66.75 ms | +27.42% | ❌ fail |",
	} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("Markdown lacks %q:\n%s", s, md.String())
		}
	}

	var term bytes.Buffer
	Terminal(&term, r)
	if s := "FAIL  total p95 < 50ms (measured 85.06ms, baseline 66.75ms, +27.42%)\n"; !strings.Contains(term.String(), s) {
		t.Errorf("terminal lacks %q:\n%s", s, term.String())
	}

	junit := string(junitOf(t, r, JUnitOptions{}))
	if s := `type="threshold">measured 85.06ms, baseline 66.75ms, +27.42%&#xA;`; !strings.Contains(junit, s) {
		t.Errorf("JUnit lacks %q:\n%s", s, junit)
	}

	var h bytes.Buffer
	if err := HTML(&h, r); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	row := `<td class="name">total p95</td><td class="n">&lt; 50 ms</td><td class="n">85.06 ms</td><td class="n">66.75 ms</td>` +
		"\n" + `<td class="n">&#43;27.42%</td>` // html/template escapes "+"
	if !strings.Contains(page, row) {
		t.Errorf("HTML lacks the threshold row %q", row)
	}
	compared := 0
	for _, c := range r.Verdict.Checks {
		if gate.VsBaseline(c) {
			compared++
		}
	}
	if n := strings.Count(page, "<title>baseline</title></rect>"); n != compared {
		t.Errorf("baseline chart has %d rows, want the %d baseline checks", n, compared)
	}
}
