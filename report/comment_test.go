package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/result"
)

// TestCommentGolden: the pull-request comment of a pass, a fail, an
// inconclusive verdict and a failing run of 200 endpoints, each with its
// marker, within GitHub's 65,536-character limit.
func TestCommentGolden(t *testing.T) {
	inconclusive := passResult(t)
	p95 := inconclusive.Total.LatencyMS.P95
	inconclusive.Verdict = gate.Combine(inconclusive.Verdict, &result.Verdict{Checks: []result.Check{
		baselineCheck("total", "p99", "ms", p95*1.2, p95, p95*1.2, gate.StatusInconclusive, "p99 +20% [-5%, +52%]: cannot tell"),
	}})
	many := manyResult(t, 200)
	var checks []result.Check
	for _, e := range many.Endpoints {
		checks = append(checks, result.Check{Scope: e.Name, Metric: "p95", Op: "<", Limit: 1, Unit: "ms",
			Measured: e.LatencyMS.P95, Status: gate.StatusFail, Source: "threshold"})
	}
	many.Verdict = &result.Verdict{Status: gate.StatusFail, Checks: checks}
	for name, r := range map[string]*result.Result{"pass": passResult(t), "fail": failResult(t), "inconclusive": inconclusive, "many": many} {
		var b bytes.Buffer
		if err := Comment(&b, r, "https://github.com/o/r/actions/runs/1"); err != nil {
			t.Fatal(err)
		}
		if b.Len() > 65536 || !strings.HasPrefix(b.String(), CommentMarker(r)) {
			t.Errorf("%s: %d bytes, starts %.60q", name, b.Len(), b.String())
		}
		golden(t, "comment_"+name+".md", b.Bytes())
	}
}
