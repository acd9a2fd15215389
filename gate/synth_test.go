package gate

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/loadgate/loadgate/load/result"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Synthetic runs for the noise tests, built the way load builds results:
// requests recorded in HDR histograms, per-second timeline points read
// from per-second histograms. Latencies come from known distributions, so
// the tests know the truth the gate has to find.

// synthEP is one endpoint: its share of requests, its latency law and its
// failure probability.
type synthEP struct {
	name   string
	share  float64
	lat    func(r *rand.Rand) float64 // ms
	failP  float64
	factor float64 // multiplies every latency (a regression); 0 means 1
}

// synthRun describes a run.
type synthRun struct {
	seconds int
	rps     float64
	eps     []synthEP
	burst   map[int]float64 // second (1-based) → latency multiplier in that second
	hash    string
	cpu     string
}

// lognormal returns a latency law with the given median (ms) and log sd.
func lognormal(medianMS, sigma float64) func(r *rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return medianMS * math.Exp(sigma*r.NormFloat64()) }
}

// sleeper is an endpoint whose half of requests wait delay ms, like the
// demo app's even item ids.
func sleeper(delay float64) func(r *rand.Rand) float64 {
	return func(r *rand.Rand) float64 {
		base := 0.4 * math.Exp(0.2*r.NormFloat64())
		if r.IntN(2) == 0 {
			return base
		}
		return delay + 0.5 + base
	}
}

// demoEPs mimics the demo workload: fast hello and create, items with a
// 50 ms wait for half the ids.
func demoEPs(itemsFactor float64) []synthEP {
	return []synthEP{
		{name: "/create_item", share: 1.0 / 6, lat: lognormal(0.32, 0.25)},
		{name: "/hello_world", share: 3.0 / 6, lat: lognormal(0.28, 0.25)},
		{name: "/items/[item_id]", share: 2.0 / 6, lat: sleeper(50), factor: itemsFactor},
	}
}

func synth(t testing.TB, seed uint64, s synthRun) *result.Result {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	if s.hash == "" {
		s.hash = "sha256:demo"
	}
	if s.cpu == "" {
		s.cpu = "Test CPU"
	}
	type acc struct {
		h         *hdrhistogram.Histogram
		req, fail int64
	}
	eps := make([]acc, len(s.eps))
	for i := range eps {
		eps[i].h = result.NewHistogram()
	}
	total := acc{h: result.NewHistogram()}
	r := &result.Result{Schema: result.ResultSchema, DurationS: float64(s.seconds),
		Provenance: result.Provenance{WorkloadHash: s.hash, CPUModel: s.cpu, RunnerOS: "Linux", CPUs: 2, Shard: "1/1"},
		Load:       result.LoadInfo{Model: "closed", Users: 20}}
	for sec := 1; sec <= s.seconds; sec++ {
		n := int(s.rps + math.Sqrt(s.rps)*rng.NormFloat64()*0.3) // closed model: steadier than Poisson
		sh := result.NewHistogram()
		var fails int64
		for range n {
			u, i := rng.Float64(), 0
			for i < len(s.eps)-1 && u > s.eps[i].share {
				u -= s.eps[i].share
				i++
			}
			ep := s.eps[i]
			v := ep.lat(rng)
			if ep.factor > 0 {
				v *= ep.factor
			}
			if m, ok := s.burst[sec]; ok {
				v *= m
			}
			us := int64(math.Max(1, v*1000))
			_ = eps[i].h.RecordValue(us)
			_ = total.h.RecordValue(us)
			_ = sh.RecordValue(us)
			eps[i].req++
			total.req++
			if rng.Float64() < ep.failP {
				eps[i].fail++
				total.fail++
				fails++
			}
		}
		pt := result.TimelinePt{T: sec, Users: 20, RPS: float64(n), Failures: fails}
		if n > 0 {
			pt.P50MS = float64(sh.ValueAtQuantile(50)) / 1000
			pt.P95MS = float64(sh.ValueAtQuantile(95)) / 1000
			pt.P99MS = float64(sh.ValueAtQuantile(99)) / 1000
		}
		r.Timeline = append(r.Timeline, pt)
	}
	stats := func(name string, a acc) *result.Stats {
		st := &result.Stats{Name: name, Requests: a.req, Failures: a.fail, RPS: float64(a.req) / float64(s.seconds)}
		if a.req > 0 {
			st.FailureRate = 100 * float64(a.fail) / float64(a.req)
		}
		if err := st.SetHist(a.h); err != nil {
			t.Fatal(err)
		}
		return st
	}
	for i, ep := range s.eps {
		r.Endpoints = append(r.Endpoints, stats(ep.name, eps[i]))
	}
	r.Total = stats("total", total)
	return r
}

// demoRun is a 10 s run of the demo-like workload at 180 requests/s.
func demoRun(t testing.TB, seed uint64, itemsFactor float64) *result.Result {
	return synth(t, seed, synthRun{seconds: 10, rps: 180, eps: demoEPs(itemsFactor)})
}

// baselineOf wraps results in a baseline.
func baselineOf(rs ...*result.Result) *result.Baseline {
	return &result.Baseline{Schema: result.BaselineSchema, Results: rs}
}

// checkOf finds a check by scope and metric.
func checkOf(t *testing.T, v *result.Verdict, scope, metric string) result.Check {
	t.Helper()
	for _, c := range v.Checks {
		if c.Scope == scope && c.Metric == metric {
			return c
		}
	}
	t.Fatalf("no check %s %s in %+v", scope, metric, v.Checks)
	return result.Check{}
}
