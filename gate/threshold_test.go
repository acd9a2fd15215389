package gate

import (
	"strings"
	"testing"
	"time"
)

func TestParseThresholdValid(t *testing.T) {
	tests := []struct {
		expr   string
		metric string
		op     string
		limit  float64
		unit   string
	}{
		{"p95 < 500ms", "p95", "<", 500, "ms"},
		{"p95<500ms", "p95", "<", 500, "ms"},
		{"  p95   <=   1.5s  ", "p95", "<=", 1500, "ms"},
		{"p50 > 250us", "p50", ">", 0.25, "ms"},
		{"p75 >= 250µs", "p75", ">=", 0.25, "ms"},
		{"p90 < 250μs", "p90", "<", 0.25, "ms"}, // Greek mu, which time.ParseDuration also takes
		{"p99 < 2s", "p99", "<", 2000, "ms"},
		{"p99.9 < 1m", "p99.9", "<", 60000, "ms"},
		{"avg < 100 ms", "avg", "<", 100, "ms"},
		{"min >= 0ms", "min", ">=", 0, "ms"},
		{"max < 10s", "max", "<", 10000, "ms"},
		{"P95 < 500ms", "p95", "<", 500, "ms"},
		{"median < 20ms", "p50", "<", 20, "ms"},
		{"rps >= 30", "rps", ">=", 30, "/s"},
		{"rps>=30/s", "rps", ">=", 30, "/s"},
		{"rps > 12.5 /s", "rps", ">", 12.5, "/s"},
		{"requests >= 1000", "requests", ">=", 1000, ""},
		{"requests >= 2k", "requests", ">=", 2000, ""},
		{"app_instr_per_req < 2.5M", "app_instr_per_req", "<", 2500000, ""},
		{"app_instr_per_req < 1.1k", "app_instr_per_req", "<", 1100, ""},
		{"app_instr_per_req <= 3G", "app_instr_per_req", "<=", 3e9, ""},
		{"failures < 1", "failures", "<", 1, ""},
		{"failures <= 0", "failures", "<=", 0, ""},
		{"failure_rate < 1%", "failure_rate", "<", 1, "%"},
		{"failure_rate < 1", "failure_rate", "<", 1, "%"},
		{"failure_rate <= 0.5 %", "failure_rate", "<=", 0.5, "%"},
		{"failure_rate <= 100%", "failure_rate", "<=", 100, "%"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			th, err := ParseThreshold(tt.expr)
			if err != nil {
				t.Fatalf("ParseThreshold(%q): %v", tt.expr, err)
			}
			if th.Metric != tt.metric || th.Op != tt.op || th.Limit != tt.limit || th.Unit != tt.unit {
				t.Errorf("got %s %s %v %q, want %s %s %v %q",
					th.Metric, th.Op, th.Limit, th.Unit, tt.metric, tt.op, tt.limit, tt.unit)
			}
			if th.Expr != strings.TrimSpace(tt.expr) {
				t.Errorf("Expr = %q", th.Expr)
			}
		})
	}
}

func TestParseThresholdErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string // substring of the error
	}{
		{"", "empty threshold"},
		{"   ", "empty threshold"},
		{"p95", "no operator"},
		{"p95 500ms", "missing operator"},
		{"p95 < 500", "duration needs a unit, e.g. 500ms"},
		{"p95 <", "no value"},
		{"p95 == 500ms", `unknown operator "=="`},
		{"p95 = 500ms", `unknown operator "="`},
		{"p95 =< 500ms", "did you mean <=?"},
		{"p95 => 500ms", "did you mean >=?"},
		{"p95 != 500ms", `unknown operator "!="`},
		{"p96 < 500ms", `unknown metric "p96" (known: p50, p75, p90, p95, p99, p99.9, avg, min, max, rps, requests, failures, failure_rate, app_cpu_per_req, app_cpu, app_rss_max, app_rss_growth, app_instr_per_req)`},
		{"http_req_duration < 500ms", `unknown metric "http_req_duration"`},
		{"< 500ms", "does not start with a metric"},
		{"p95 < -5ms", "cannot be negative"},
		{"p95 < -5", "cannot be negative"},
		{"p95 < fast", "needs a duration"},
		{"p95 < 5 parsecs", "needs a duration"},
		{"rps >= -1", "cannot be negative"},
		{"rps >= lots", "needs requests per second"},
		{"rps >= NaN", "needs requests per second"},
		{"rps >= Inf", "needs requests per second"},
		{"rps >= 0x10", "needs requests per second"},
		{"requests >= 1.5", "whole number"},
		{"app_instr_per_req < 1.0005k", "whole number"},
		{"app_instr_per_req < 2m", "whole number"},
		{"app_instr_per_req < M", "whole number"},
		{"app_instr_per_req < -2M", "cannot be negative"},
		{"requests >= -3", "cannot be negative"},
		{"failures < 1%", "whole number"},
		{"failure_rate < 150%", "between 0 and 100"},
		{"failure_rate < -1%", "cannot be negative"},
		{"failure_rate < 1ms", "needs a percentage"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := ParseThreshold(tt.expr)
			if err == nil {
				t.Fatalf("ParseThreshold(%q) succeeded, want error containing %q", tt.expr, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseThreshold(%q) error = %q, want it to contain %q", tt.expr, err, tt.want)
			}
		})
	}
}

func TestThresholdString(t *testing.T) {
	for expr, want := range map[string]string{
		"p95<1.5s":          "p95 < 1500ms",
		"rps >= 30/s":       "rps >= 30/s",
		"failure_rate < 1":  "failure_rate < 1%",
		"requests > 100":    "requests > 100",
		"p99 <= 250us":      "p99 <= 0.25ms",
		"median < 12.3456s": "p50 < 12345.6ms",
	} {
		th, err := ParseThreshold(expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := canonical(th); got != want {
			t.Errorf("canonical(%q) = %q, want %q", expr, got, want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 1: "1", 55.1: "55.1", 612.3: "612.3", 0.25: "0.25", 1.23456: "1.235",
		-0.0001: "0", 1e6: "1000000", 99.999: "99.999",
	} {
		if got := FormatNumber(v); got != want {
			t.Errorf("FormatNumber(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestFormatMeasured(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		unit string
		want string
	}{
		{597.503, "ms", "597.5ms"}, {57.695, "ms", "57.7ms"}, {66.751, "ms", "66.75ms"},
		{1.875, "%", "1.875%"}, {0.25, "ms", "0.25ms"}, {3600, "", "3600"}, {12345.6, "ms", "12346ms"},
		{0, "/s", "0/s"}, {40, "/s", "40/s"}, {612.3, "ms", "612.3ms"},
	} {
		if got := FormatMeasured(tt.v, tt.unit); got != tt.want {
			t.Errorf("FormatMeasured(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}

// canonical renders a threshold as Describe shows it, e.g. "p95 < 500ms".
func canonical(t Threshold) string {
	return t.Metric + " " + t.Op + " " + FormatValue(t.Limit, t.Unit)
}

func TestParseThresholdAbort(t *testing.T) {
	for expr, want := range map[string]time.Duration{
		"p95 < 500ms abort":                DefaultAbortGrace,
		"p95 < 500ms, abort after 20s":     20 * time.Second,
		"failure_rate < 1% ABORT after 0s": 0,
	} {
		th, err := ParseThreshold(expr)
		if err != nil || th.Abort == nil || *th.Abort != want {
			t.Errorf("%q: %+v, %v", expr, th, err)
		}
	}
	if th, err := ParseThreshold("p95 < 500ms"); err != nil || th.Abort != nil {
		t.Errorf("no abort: %+v, %v", th, err)
	}
	if _, err := ParseThreshold("p95 < 500ms abort after soon"); err == nil {
		t.Error("abort after soon: accepted")
	}
}
