package gate

import (
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/result"
)

func TestUnguarded(t *testing.T) {
	total := func(req, fail int64) *result.Stats {
		return &result.Stats{Name: "total", Requests: req, Failures: fail}
	}
	check := []result.Check{{Scope: "total", Metric: "p95", Op: "<", Status: StatusPass}}
	for _, c := range []struct {
		name string
		r    *result.Result
		want string // a part of the warning; "" for none
	}{
		{"all failed, no checks", &result.Result{Total: total(200, 200), Verdict: &result.Verdict{Status: StatusPass}}, "200 of 200 requests failed (100%)"},
		{"some failed, no verdict yet", &result.Result{Total: total(2000, 3)}, "3 of 2000 requests failed (0.15%)"},
		{"failed, but checked", &result.Result{Total: total(200, 200), Verdict: &result.Verdict{Status: StatusPass, Checks: check}}, ""},
		{"no failures", &result.Result{Total: total(200, 0), Verdict: &result.Verdict{Status: StatusPass}}, ""},
		{"nothing measured", &result.Result{}, ""},
	} {
		got := Unguarded(c.r)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want it to say %q", c.name, got, c.want)
		}
	}
}
