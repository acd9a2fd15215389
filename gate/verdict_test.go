package gate

import (
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load"
)

func TestUnguarded(t *testing.T) {
	total := func(req, fail int64) *load.Stats { return &load.Stats{Name: "total", Requests: req, Failures: fail} }
	check := []load.Check{{Scope: "total", Metric: "p95", Op: "<", Status: StatusPass}}
	for _, c := range []struct {
		name string
		r    *load.Result
		want string // a part of the warning; "" for none
	}{
		{"all failed, no checks", &load.Result{Total: total(200, 200), Verdict: &load.Verdict{Status: StatusPass}}, "200 of 200 requests failed (100%)"},
		{"some failed, no verdict yet", &load.Result{Total: total(2000, 3)}, "3 of 2000 requests failed (0.15%)"},
		{"failed, but checked", &load.Result{Total: total(200, 200), Verdict: &load.Verdict{Status: StatusPass, Checks: check}}, ""},
		{"no failures", &load.Result{Total: total(200, 0), Verdict: &load.Verdict{Status: StatusPass}}, ""},
		{"nothing measured", &load.Result{}, ""},
	} {
		got := Unguarded(c.r)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want it to say %q", c.name, got, c.want)
		}
	}
}
