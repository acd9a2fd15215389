package gate_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
	"github.com/loadgate/loadgate/report"
)

// TestMetricTableIsTheOnlyList: every row of the metric table is accepted
// by thresholds, by baseline tolerances (when tolerable), measured from a
// result, and rendered by the reports, with nothing but the row to say so.
func TestMetricTableIsTheOnlyList(t *testing.T) {
	limits := map[result.Kind]string{result.Duration: "1s", result.Rate: "1/s", result.Count: "1", result.Percent: "1%",
		result.Utilization: "150%", result.Bytes: "1MiB"}
	tolerances := map[string]string{"app_rss_growth": "64KiB"}
	for _, m := range result.Metrics {
		t.Run(m.Name, func(t *testing.T) {
			expr := fmt.Sprintf("%s < %s", m.Name, limits[m.Kind])
			th, err := gate.ParseThreshold(expr)
			if err != nil || th.Metric != m.Name || th.Unit != m.Unit() {
				t.Fatalf("threshold %q: %+v, %v", expr, th, err)
			}
			for _, a := range m.Aliases {
				if th, err := gate.ParseThreshold(a + " < " + limits[m.Kind]); err != nil || th.Metric != m.Name {
					t.Errorf("alias %q: %+v, %v", a, th, err)
				}
			}
			tol := tolerances[m.Name]
			if tol == "" {
				tol = "5%"
			}
			yml := fmt.Sprintf("target: {url: http://127.0.0.1:1}\ntasks: [{get: /}]\nthresholds: {total: [%q]}\nbaseline: {tolerance: {%s: %s}}\n", expr, m.Name, tol)
			cfg, err := config.ParseConfig("t.yml", ".", []byte(yml), config.Overrides{}, func(string) (string, bool) { return "", false })
			switch {
			case m.Tolerable && err != nil:
				t.Fatalf("tolerance: %v", err)
			case !m.Tolerable && (err == nil || !strings.Contains(err.Error(), "unknown metric")):
				t.Fatalf("a tolerance of %s should be refused: %v", m.Name, err)
			case m.Tolerable && cfg.Baseline.Tolerance[m.Name].Absolute != m.ByDifference:
				t.Errorf("tolerance %+v", cfg.Baseline.Tolerance[m.Name])
			}
			h := result.NewHistogram()
			for i := int64(1); i <= 1000; i++ {
				h.RecordValue(i * 100)
			}
			growth := 2048.0
			st := &result.Stats{Name: "total", Requests: 1000, Failures: 5, RPS: 100, FailureRate: 0.5,
				StatusCodes: map[string]int64{"200": 995}, FailureReasons: map[string]int64{"status 500": 5},
				App: &result.AppStats{Source: "proc", CPUSeconds: 1, CPUPerReqMS: 1, CPUPct: 10, RSSMaxBytes: 100 << 20, RSSGrowthBytes: &growth, InstrPerReq: &growth}}
			if err := st.SetHist(h); err != nil {
				t.Fatal(err)
			}
			v, ok := st.Metric(m.Name)
			if !ok || v != m.Value(st) {
				t.Fatalf("Stats.Metric(%s) = %v, %v", m.Name, v, ok)
			}
			if (m.Quantile > 0 || m.App) && v <= 0 {
				t.Errorf("%s reads 0 from a full measurement", m.Name)
			}
			r := &result.Result{Schema: result.ResultSchema, DurationS: 10, Total: st}
			ths, err := gate.Compile([]config.ThresholdSpec{{Scope: "total", Expr: expr}}, nil, "t.yml")
			if err != nil {
				t.Fatal(err)
			}
			r.Verdict = gate.Evaluate(r, ths)
			c := r.Verdict.Checks[0]
			if c.Metric != m.Name || c.Unit != m.Unit() || c.Measured != v {
				t.Errorf("check %+v", c)
			}
			var md bytes.Buffer
			if err := report.Markdown(&md, r); err != nil || !strings.Contains(strings.ReplaceAll(md.String(), `\_`, "_"), m.Name) {
				t.Errorf("the Markdown report does not show %s: %v", m.Name, err)
			}
		})
	}
}
