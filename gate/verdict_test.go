package gate

import (
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/result"
)

// TestDefaultChecks: every run has a failure check, and a run in which
// no request got a response never passes, whatever the config checks.
func TestDefaultChecks(t *testing.T) {
	total := func(req, fail, none int64) *result.Result {
		h := result.NewHistogram()
		for i := int64(0); i < req-none; i++ {
			h.RecordValue(500)
		}
		st := &result.Stats{Name: "total", Requests: req, Failures: fail, StatusCodes: map[string]int64{"none": none}}
		if err := st.SetHist(h); err != nil {
			t.Fatal(err)
		}
		if req > 0 {
			st.FailureRate = 100 * float64(fail) / float64(req)
		}
		return &result.Result{DurationS: 10, Total: st}
	}
	parse := func(exprs ...string) []Threshold {
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
	for _, c := range []struct {
		name     string
		r        *result.Result
		ths      []string
		want     string // the verdict
		defaults int    // checks marked default
	}{
		{"no checks, no failures", total(200, 0, 0), nil, StatusPass, 1},
		{"no checks, all refused", total(44, 44, 44), nil, StatusFail, 2},
		{"latency only, all refused", total(44, 44, 44), []string{"p95 < 500ms"}, StatusFail, 2},
		{"latency only, 2% errors", total(100, 2, 0), []string{"p95 < 500ms"}, StatusFail, 1},
		{"own failure check wins", total(100, 2, 0), []string{"failure_rate < 5%"}, StatusPass, 0},
		{"opted out, some failed", total(100, 50, 0), []string{"failure_rate <= 100%"}, StatusPass, 0},
		{"opted out, nothing answered", total(44, 44, 44), []string{"failure_rate <= 100%"}, StatusFail, 1},
		{"counts only, nothing sent", total(0, 0, 0), []string{"failures < 1"}, StatusFail, 1},
	} {
		v := Evaluate(c.r, WithDefaults(parse(c.ths...)))
		n := 0
		for _, ch := range v.Checks {
			if ch.Default {
				n++
				if !strings.HasSuffix(Describe(ch), "(default)") {
					t.Errorf("%s: %q does not say it is a default", c.name, Describe(ch))
				}
			}
		}
		if v.Status != c.want || n != c.defaults {
			t.Errorf("%s: %s with %d default checks %+v, want %s with %d", c.name, v.Status, n, v.Checks, c.want, c.defaults)
		}
	}
}
