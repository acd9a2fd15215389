package gate

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// resultWith returns a result whose total and "/api" endpoint report the
// same measured value for every metric, so one table covers them all.
func resultWith(v float64) *result.Result {
	st := func(name string) *result.Stats {
		return &result.Stats{
			Name: name, Requests: int64(v), Failures: int64(v), RPS: v, FailureRate: v,
			LatencyMS: result.Latency{Min: v, Avg: v, P50: v, P75: v, P90: v, P95: v, P99: v, P999: v, Max: v},
		}
	}
	total := st("total")
	g := v
	total.App = &result.AppStats{Source: "proc", CPUPerReqMS: v, CPUPct: v, RSSMaxBytes: int64(v), RSSGrowthBytes: &g, InstrPerReq: &g}
	return &result.Result{Endpoints: []*result.Stats{st("/api")}, Total: total}
}

func TestEvaluateEveryMetricAndOperator(t *testing.T) {
	const measured = 50
	// For each operator: does "measured OP limit" hold for a limit below,
	// equal to and above the measured value?
	ops := []struct {
		op                  string
		below, equal, above bool
	}{
		{"<", false, false, true},
		{"<=", false, true, true},
		{">", true, false, false},
		{">=", true, true, false},
	}
	units := map[string]string{"rps": "/s", "failure_rate": "%", "requests": "", "failures": "", "app_cpu": "%", "app_rss_max": "B", "app_rss_growth": "B", "app_instr_per_req": ""}
	for _, metric := range result.MetricNames(false) {
		unit, ok := units[metric]
		if !ok {
			unit = "ms"
		}
		for _, o := range ops {
			for _, c := range []struct {
				name  string
				limit int
				want  bool
			}{{"below", measured - 1, o.below}, {"equal", measured, o.equal}, {"above", measured + 1, o.above}} {
				expr := fmt.Sprintf("%s %s %d%s", metric, o.op, c.limit, unit)
				t.Run(expr, func(t *testing.T) {
					th, err := ParseThreshold(expr)
					if err != nil {
						t.Fatal(err)
					}
					for _, scope := range []string{"total", "/api"} {
						if m, _ := result.Lookup(metric); m.App && scope != "total" {
							continue // Compile refuses an app metric under an endpoint
						}
						th.Scope = scope
						v := Evaluate(resultWith(measured), []Threshold{th})
						chk := v.Checks[0]
						wantStatus := StatusFail
						if c.want {
							wantStatus = StatusPass
						}
						if chk.Status != wantStatus || v.Status != wantStatus {
							t.Fatalf("%s: check %s, verdict %s, want %s (reason %q)", scope, chk.Status, v.Status, wantStatus, chk.Reason)
						}
						if chk.Measured != measured || chk.Limit != float64(c.limit) || chk.Unit != unit ||
							chk.Source != "threshold" || chk.Scope != scope || chk.Metric != metric || chk.Op != o.op {
							t.Errorf("%s: check = %+v", scope, chk)
						}
						if c.want != (chk.Reason == "") {
							t.Errorf("%s: reason %q with status %s", scope, chk.Reason, chk.Status)
						}
					}
				})
			}
		}
	}
}

func TestEvaluateReason(t *testing.T) {
	r := resultWith(10)
	r.Total.LatencyMS.P95 = 612.3
	th, _ := ParseThreshold("p95 < 500ms")
	th.Scope = "total"
	v := Evaluate(r, []Threshold{th})
	if got, want := v.Checks[0].Reason, "p95 612.3ms is not < 500ms"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
	th, _ = ParseThreshold("failure_rate < 1%")
	th.Scope = "total"
	if got, want := Evaluate(r, []Threshold{th}).Checks[0].Reason, "failure_rate 10% is not < 1%"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
}

func TestEvaluateNoData(t *testing.T) {
	r := resultWith(0) // every endpoint has Requests == 0
	r.Endpoints = append(r.Endpoints, &result.Stats{Name: "/busy", Requests: 5, Failures: 1})
	tests := []struct {
		scope, expr string
		status      string
		reason      string
	}{
		{"/api", "p95 < 500ms", StatusFail, ReasonNoData},
		{"/api", "p95 > 0ms", StatusFail, ReasonNoData},
		{"/api", "rps >= 0", StatusFail, ReasonNoData},
		{"/api", "failure_rate <= 100%", StatusFail, ReasonNoData},
		{"total", "avg < 1s", StatusFail, ReasonNoData},
		{"/missing", "p95 < 500ms", StatusFail, ReasonNoData},
		// Counts evaluate against zero: "no failures" holds, "some requests" does not.
		{"/api", "failures < 1", StatusPass, ""},
		{"/missing", "failures <= 0", StatusPass, ""},
		{"/api", "requests >= 1", StatusFail, "requests 0 is not >= 1"},
		{"/missing", "requests > 0", StatusFail, "requests 0 is not > 0"},
		{"/busy", "failures < 1", StatusFail, "failures 1 is not < 1"},
	}
	for _, tt := range tests {
		t.Run(tt.scope+" "+tt.expr, func(t *testing.T) {
			th, err := ParseThreshold(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			th.Scope = tt.scope
			c := Evaluate(r, []Threshold{th}).Checks[0]
			if c.Status != tt.status || c.Reason != tt.reason {
				t.Errorf("got %s %q, want %s %q", c.Status, c.Reason, tt.status, tt.reason)
			}
		})
	}
	// A result without any stats at all must not panic.
	th, _ := ParseThreshold("p95 < 1s")
	th.Scope = "total"
	if v := Evaluate(&result.Result{}, []Threshold{th}); v.Status != StatusFail || v.Checks[0].Reason != ReasonNoData {
		t.Errorf("empty result: %+v", v)
	}
	if v := Evaluate(nil, []Threshold{th}); v.Status != StatusFail {
		t.Errorf("nil result: %+v", v)
	}
}

func TestEvaluateVerdict(t *testing.T) {
	r := resultWith(50)
	mk := func(exprs ...string) []Threshold {
		var out []Threshold
		for _, e := range exprs {
			th, err := ParseThreshold(e)
			if err != nil {
				t.Fatal(err)
			}
			th.Scope = "total"
			out = append(out, th)
		}
		return out
	}
	if v := Evaluate(r, nil); v.Status != StatusPass || len(v.Checks) != 0 || v.Checks == nil {
		t.Errorf("no thresholds: %+v", v)
	}
	if v := Evaluate(r, mk("p95 < 1s", "rps > 1")); v.Status != StatusPass {
		t.Errorf("all pass: %+v", v)
	}
	v := Evaluate(r, mk("p95 < 1s", "rps > 100", "failures <= 50"))
	if v.Status != StatusFail || len(v.Checks) != 3 || v.Checks[1].Status != StatusFail {
		t.Errorf("one fails: %+v", v)
	}
	if got := Summary(v); got != "1 of 3 checks failed" {
		t.Errorf("Summary = %q", got)
	}
}

func TestCompile(t *testing.T) {
	specs := []config.ThresholdSpec{
		{Scope: "total", Expr: "p95 < 500ms", Pos: config.Pos{Line: 3, Col: 7}},
		{Scope: "/items/[item_id]", Expr: "p90<200ms", Pos: config.Pos{Line: 5, Col: 7}},
	}
	ths, err := Compile(specs, []string{"/hello", "/items/[item_id]"}, "loadgate.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(ths) != 2 || ths[1].Scope != "/items/[item_id]" || ths[1].Limit != 200 || ths[1].Pos.Line != 5 {
		t.Errorf("Compile = %+v", ths)
	}
}

func TestCompileErrors(t *testing.T) {
	specs := []config.ThresholdSpec{
		{Scope: "total", Expr: "p95 < 500", Pos: config.Pos{Line: 31, Col: 7}},
		{Scope: "total", Expr: "rps >= 30", Pos: config.Pos{Line: 32, Col: 7}},
		{Scope: "/nope", Expr: "p90 < 200ms", Pos: config.Pos{Line: 34, Col: 7}},
		{Scope: "/hello", Expr: "p42 < 1s", Pos: config.Pos{Line: 36, Col: 9}},
	}
	ths, err := Compile(specs, []string{"/hello", "/items/[item_id]"}, "loadgate.yml")
	if err == nil {
		t.Fatalf("Compile succeeded: %+v", ths)
	}
	if ths != nil {
		t.Errorf("thresholds returned with an error: %+v", ths)
	}
	want := []string{
		"loadgate.yml:31:7: thresholds.total: p95: duration needs a unit, e.g. 500ms",
		`loadgate.yml:34:7: thresholds./nope: unknown endpoint "/nope" in thresholds (known: total, /hello, /items/[item_id])`,
		`loadgate.yml:36:9: thresholds./hello: unknown metric "p42" (known: `,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d = %q, want prefix %q", i, lines[i], w)
		}
	}
	var pe *PosError
	if !errors.As(err, &pe) || pe.Line != 31 || pe.Col != 7 || pe.File != "loadgate.yml" || pe.Field != "thresholds.total" {
		t.Errorf("errors.As PosError = %+v", pe)
	}
}

func TestPosErrorFormat(t *testing.T) {
	for _, tt := range []struct {
		e    PosError
		want string
	}{
		{PosError{File: "a.yml", Line: 1, Col: 2, Field: "thresholds.total", Msg: "bad"}, "a.yml:1:2: thresholds.total: bad"},
		{PosError{File: "a.yml", Field: "thresholds.total", Msg: "bad"}, "a.yml: thresholds.total: bad"},
		{PosError{Line: 4, Col: 5, Field: "f", Msg: "bad"}, "4:5: f: bad"},
		{PosError{Msg: "bad"}, "bad"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestCombineAndCounts(t *testing.T) {
	pass := result.Check{Status: StatusPass}
	fail := result.Check{Status: StatusFail}
	inc := result.Check{Status: StatusInconclusive}
	tests := []struct {
		vs   []*result.Verdict
		want string
	}{
		{nil, StatusPass},
		{[]*result.Verdict{nil, {Checks: []result.Check{pass}}}, StatusPass},
		{[]*result.Verdict{{Checks: []result.Check{pass}}, {Checks: []result.Check{inc}}}, StatusInconclusive},
		{[]*result.Verdict{{Checks: []result.Check{inc}}, {Checks: []result.Check{fail, pass}}}, StatusFail},
		{[]*result.Verdict{{Checks: []result.Check{{Status: "bogus"}}}}, StatusFail},
	}
	for i, tt := range tests {
		if got := Combine(tt.vs...).Status; got != tt.want {
			t.Errorf("case %d: Combine status = %s, want %s", i, got, tt.want)
		}
	}
	v := Combine(&result.Verdict{Checks: []result.Check{pass, fail}, Warnings: []string{"w1"}},
		&result.Verdict{Checks: []result.Check{inc}, Warnings: []string{"w2"}})
	if p, f, i := Counts(v); p != 1 || f != 1 || i != 1 {
		t.Errorf("Counts = %d %d %d", p, f, i)
	}
	if len(v.Warnings) != 2 || len(Failed(v)) != 1 {
		t.Errorf("Combine = %+v", v)
	}
	if got := Summary(&result.Verdict{Checks: []result.Check{pass}}); got != "1 of 1 check passed" {
		t.Errorf("Summary = %q", got)
	}
}

func TestDescribe(t *testing.T) {
	c := result.Check{Scope: "total", Metric: "p95", Op: "<", Limit: 500, Unit: "ms"}
	if got := Describe(c); got != "total p95 < 500ms" {
		t.Errorf("Describe = %q", got)
	}
	// A baseline check has a real operator too: its Source tells it apart.
	c.Op, c.Limit, c.Source = "<=", 55, "baseline"
	if got := Describe(c); got != "total p95 vs baseline" {
		t.Errorf("Describe = %q", got)
	}
	if got := Describe(MissingBaseline("b.json", "fail").Checks[0]); got != "baseline file exists" {
		t.Errorf("Describe = %q", got)
	}
}
