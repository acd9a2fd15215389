package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// The fixtures build results the way load does — real HDR histograms, stats
// derived from them — so the reports are tested on realistic numbers.

const fixtureDuration = 60.0 // seconds

// endpoint describes one fixture endpoint: latencies spread between lo and
// hi milliseconds, and failure reasons with counts.
type endpoint struct {
	name, method string
	n            int
	lo, hi       float64
	reasons      map[string]int64
}

// latencies returns n deterministic latencies in µs between lo and hi ms,
// skewed towards lo like a real service (a few slow requests).
func latencies(n int, lo, hi float64) []int64 {
	out := make([]int64, n)
	x := uint32(2463534242)
	for i := range out {
		x ^= x << 13 // xorshift: deterministic without math/rand's seeding rules
		x ^= x >> 17
		x ^= x << 5
		f := float64(x%10000) / 10000
		out[i] = int64((lo + (hi-lo)*f*f*f) * 1000)
	}
	return out
}

// buildStats records an endpoint into a histogram and fills its stats.
func buildStats(t testing.TB, e endpoint) *result.Stats {
	t.Helper()
	h := result.NewHistogram()
	for _, v := range latencies(e.n, e.lo, e.hi) {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	s := &result.Stats{Name: e.name, Method: e.method, Requests: int64(e.n),
		StatusCodes: map[string]int64{}, FailureReasons: map[string]int64{}}
	for reason, c := range e.reasons {
		s.Failures += c
		s.FailureReasons[reason] = c
	}
	if ok := int64(e.n) - s.Failures; ok > 0 {
		s.StatusCodes["200"] = ok
	}
	if s.Failures > 0 {
		s.StatusCodes["500"] = s.Failures
	}
	if err := s.SetHist(h); err != nil {
		t.Fatal(err)
	}
	finish(s)
	return s
}

// finish sets the rate fields of stats from their counts.
func finish(s *result.Stats) {
	s.RPS = float64(s.Requests) / fixtureDuration
	if s.Requests > 0 {
		s.FailureRate = float64(s.Failures) / float64(s.Requests) * 100
	}
}

// buildResult assembles a result with a total merged from the endpoints'
// histograms, a timeline, and the verdict of the given thresholds.
func buildResult(t testing.TB, eps []endpoint, thresholds map[string][]string) *result.Result {
	t.Helper()
	r := &result.Result{
		Schema:          result.ResultSchema,
		LoadgateVersion: "1.0.0",
		StartedAt:       time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC),
		DurationS:       fixtureDuration,
		Provenance: result.Provenance{Commit: "0123456789abcdef0123", Ref: "refs/heads/main", RunnerOS: "Linux",
			CPUModel: "AMD EPYC 7763", CPUs: 2, GoVersion: "go1.26.8", WorkloadHash: "sha256:abc", Shard: "1/1"},
		Load: result.LoadInfo{Model: "closed", Users: 50, SpawnRate: 10, WarmupS: 5},
	}
	th := result.NewHistogram()
	tot := &result.Stats{Name: "total", StatusCodes: map[string]int64{}, FailureReasons: map[string]int64{}}
	var names []string
	for _, e := range eps {
		s := buildStats(t, e)
		r.Endpoints = append(r.Endpoints, s)
		names = append(names, e.name)
		h, err := s.Hist()
		if err != nil {
			t.Fatal(err)
		}
		th.Merge(h)
		tot.Requests += s.Requests
		tot.Failures += s.Failures
		for k, v := range s.FailureReasons {
			tot.FailureReasons[k] += v
		}
		for k, v := range s.StatusCodes {
			tot.StatusCodes[k] += v
		}
	}
	if err := tot.SetHist(th); err != nil {
		t.Fatal(err)
	}
	finish(tot)
	r.Total = tot
	for i := 1; i <= int(fixtureDuration); i++ {
		users := min(50, i*10)
		r.Timeline = append(r.Timeline, result.TimelinePt{
			T: i, Users: users, RPS: tot.RPS * float64(users) / 50, Failures: int64(i % 7 / 6),
			P50MS: tot.LatencyMS.P50 + float64(i%5), P95MS: tot.LatencyMS.P95 + float64(i%11),
			P99MS: tot.LatencyMS.P99 + float64(i%13),
		})
	}
	r.Verdict = evaluate(t, r, names, thresholds)
	return r
}

// evaluate compiles thresholds (scope → expressions, in sorted scope order)
// and evaluates them with package gate, as the run command does.
func evaluate(t testing.TB, r *result.Result, names []string, thresholds map[string][]string) *result.Verdict {
	t.Helper()
	var specs []config.ThresholdSpec
	for _, scope := range sortedKeys(thresholds) {
		for i, expr := range thresholds[scope] {
			specs = append(specs, config.ThresholdSpec{Scope: scope, Expr: expr, Pos: config.Pos{Line: 10 + i, Col: 7}})
		}
	}
	ths, err := gate.Compile(specs, names, "loadgate.yml")
	if err != nil {
		t.Fatal(err)
	}
	return gate.Evaluate(r, ths)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func ptr(f float64) *float64 { return &f }

// baselineCheck is a baseline comparison as the baseline gate would record it.
func baselineCheck(scope, metric, unit string, measured, base, limit float64, status, reason string) result.Check {
	op := "<="
	if metric == "rps" || metric == "requests" {
		op = ">="
	}
	return result.Check{Scope: scope, Metric: metric, Op: op, Limit: limit, Measured: measured,
		Baseline: ptr(base), DeltaPct: ptr((measured - base) / base * 100), Unit: unit,
		Status: status, Reason: reason, Source: "baseline"}
}

// manyResult returns a result with n endpoints whose long names and
// reasons are full of characters that escaping expands, to test the size
// limits. The endpoints share one recorded histogram: encoding thousands
// of histograms would make the test slow without testing anything more.
func manyResult(t testing.TB, n int) *result.Result {
	r := buildResult(t, []endpoint{{name: "template", method: "GET", n: 30, lo: 1, hi: 50}}, nil)
	tmpl := *r.Endpoints[0]
	r.Endpoints = nil
	for i := range n {
		s := tmpl
		s.Name = fmt.Sprintf("/api/v1/%04d/%s", i, repeat("&<|", 60))
		s.Requests = int64(20 + i%17)
		s.Failures = 1
		s.FailureReasons = map[string]int64{fmt.Sprintf("status 500 %s", repeat("<&>", 100)): 1}
		finish(&s)
		r.Endpoints = append(r.Endpoints, &s)
		r.Total.Requests += s.Requests
		r.Total.Failures++
	}
	finish(r.Total)
	return r
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }
