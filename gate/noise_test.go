package gate

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/loadgate/loadgate/load/result"
)

func TestStudentQuantile(t *testing.T) {
	for _, c := range []struct {
		p, df, want float64
	}{
		{0.975, 1, 12.7062},
		{0.975, 4, 2.7764},
		{0.975, 5, 2.5706},
		{0.995, 10, 3.1693},
		{0.95, 30, 1.6973},
		{0.975, 2.5, 3.5747}, // fractional, as Welch–Satterthwaite gives
		{0.975, math.Inf(1), 1.95996},
		{0.025, 4, -2.7764},
		{0.5, 3, 0},
	} {
		got := studentQuantile(c.p, c.df)
		if math.Abs(got-c.want) > 1e-3*math.Max(1, math.Abs(c.want)) {
			t.Errorf("t(%g; df %g) = %.5f, want %.4f", c.p, c.df, got, c.want)
		}
		if !math.IsInf(c.df, 1) {
			if back := studentCDF(got, c.df); math.Abs(back-c.p) > 1e-9 {
				t.Errorf("CDF(t(%g; %g)) = %g", c.p, c.df, back)
			}
		}
	}
}

func TestWilcoxonSignedRank(t *testing.T) {
	for _, c := range []struct {
		name string
		d    []float64
		pos  int
		p    float64
	}{
		{"6 of 6 up: the smallest p of 6 pairs", []float64{.1, .2, .3, .4, .5, .6}, 6, 2.0 / 64},
		{"6 of 6 down", []float64{-.1, -.2, -.3, -.4, -.5, -.6}, 0, 2.0 / 64},
		{"smallest one down", []float64{-.1, .2, .3, .4, .5, .6}, 5, 4.0 / 64},
		{"largest one down", []float64{.1, .2, .3, .4, .5, -.6}, 5, 28.0 / 64}, // W+ = 15: 14 of 64 sums ≥ 15
		{"zeros dropped", []float64{0, .1, .2, .3, .4, .5, .6}, 6, 2.0 / 64},
		{"ties averaged", []float64{.1, .1, .1, .1, .1, .1}, 6, 2.0 / 64},
		{"balanced", []float64{-.1, .1, -.2, .2, -.3, .3}, 3, 1},
		{"10 of 10", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10, 2.0 / 1024},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := wilcoxonSignedRank(c.d)
			if w.Positive != c.pos || math.Abs(w.P-c.p) > 1e-12 {
				t.Errorf("got %+v, want positive %d p %g", w, c.pos, c.p)
			}
		})
	}
	// Beyond 20 pairs the normal approximation takes over; 25 of 25 up is
	// far below 0.001.
	d := make([]float64, 25)
	for i := range d {
		d[i] = float64(i + 1)
	}
	if w := wilcoxonSignedRank(d); w.P > 1e-3 {
		t.Errorf("25 of 25: p = %g", w.P)
	}
}

// TestQuantileSEKnownDistributions compares the order-statistic standard
// error with the asymptotic one, sqrt(q(1−q)/n)/f(ξ_q), for distributions
// whose density is known: ln ξ's error is that divided by ξ.
func TestQuantileSEKnownDistributions(t *testing.T) {
	const n = 5000
	for _, c := range []struct {
		name   string
		inv    func(u float64) float64 // quantile function, ms
		theory func(q float64) float64 // SE of ln ξ̂_q
	}{
		{"uniform 10–110 ms",
			func(u float64) float64 { return 10 + 100*u },
			func(q float64) float64 { return math.Sqrt(q*(1-q)/n) * 100 / (10 + 100*q) }},
		{"exponential, mean 20 ms",
			func(u float64) float64 { return -20 * math.Log(1-u) },
			func(q float64) float64 { return math.Sqrt(q/((1-q)*n)) / -math.Log(1-q) }},
	} {
		h := result.NewHistogram()
		for i := range n {
			_ = h.RecordValue(int64(c.inv((float64(i)+0.5)/n) * 1000))
		}
		for _, q := range []float64{0.5, 0.9, 0.95, 0.99} {
			got, want := quantileSE(h, q, n), c.theory(q)
			if math.Abs(got-want) > 0.15*want {
				t.Errorf("%s q=%g: SE %.5f, theory %.5f", c.name, q, got, want)
			}
		}
	}
}

// TestQuantileIntervalCoverage draws lognormal runs and checks that the
// 95% interval from the histogram covers the true quantile about 95% of
// the time: the interval is neither a wish nor a wall.
func TestQuantileIntervalCoverage(t *testing.T) {
	const (
		reps  = 300
		n     = 1000
		med   = 20.0
		sigma = 0.6
	)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, q := range []float64{0.5, 0.95, 0.99} {
		truth := math.Log(med) + sigma*normalQuantile(q)
		covered := 0
		for range reps {
			h := result.NewHistogram()
			for range n {
				_ = h.RecordValue(int64(med * math.Exp(sigma*rng.NormFloat64()) * 1000))
			}
			est := math.Log(float64(h.ValueAtQuantile(100*q)) / 1000)
			if math.Abs(est-truth) <= z95*quantileSE(h, q, n) {
				covered++
			}
		}
		rate := float64(covered) / reps
		if rate < 0.90 || rate > 0.995 {
			t.Errorf("q=%g: 95%% interval covered the truth in %.1f%% of runs", q, 100*rate)
		}
	}
}

func TestDesignEffect(t *testing.T) {
	quiet := demoRun(t, 7, 1)
	if d := analyse(quiet).deff; d > 2.5 {
		t.Errorf("independent requests: design effect %.2f, want about 1", d)
	}
	// Two seconds in which every request is 5× slower (a noisy neighbour):
	// the seconds disagree far beyond sampling, so the run counts as fewer
	// independent requests and its intervals widen.
	bursty := synth(t, 7, synthRun{seconds: 10, rps: 180, eps: demoEPs(1), burst: map[int]float64{3: 5, 4: 5}})
	rn := analyse(bursty)
	if rn.deff < 5 {
		t.Errorf("bursty run: design effect %.2f, want well above 1", rn.deff)
	}
	qs, _ := measure(quiet, analyse(quiet), "/hello_world", "p95")
	bs, _ := measure(bursty, rn, "/hello_world", "p95")
	if bs.se < 2*qs.se {
		t.Errorf("bursty run's p95 SE %.4f is not wider than the quiet run's %.4f", bs.se, qs.se)
	}
	// Too short a timeline says nothing about correlation.
	short := synth(t, 7, synthRun{seconds: 3, rps: 180, eps: demoEPs(1), burst: map[int]float64{2: 5}})
	if d := analyse(short).deff; d != 1 {
		t.Errorf("3 s run: design effect %.2f, want 1 (not estimated)", d)
	}
}

func TestMeasureMetrics(t *testing.T) {
	r := synth(t, 3, synthRun{seconds: 10, rps: 200, eps: []synthEP{
		{name: "/a", share: 0.5, lat: lognormal(10, 0.5), failP: 0.02},
		{name: "/b", share: 0.5, lat: lognormal(10, 0.5)},
	}})
	rn := analyse(r)
	for _, c := range []struct {
		scope, metric string
		lo, hi        float64 // plausible SE range
	}{
		{"total", "p50", 0.01, 0.06},
		{"/a", "p99", 0.03, 0.4},
		{"/a", "avg", 0.005, 0.05},
		{"/a", "max", 0, 1},
		{"/a", "min", 0, 1},
		{"total", "rps", 0, 0.05},
		{"/a", "rps", 0.01, 0.06},     // binomial share of 2000 requests: sqrt(0.5/1000)
		{"/a", "failure_rate", .2, 1}, // points: 2% of 1000 ± 0.45
		{"/b", "failure_rate", 0, .3}, // none failed: Agresti–Coull still gives a width
	} {
		s, ok := measure(r, rn, c.scope, c.metric)
		if !ok || s.se < c.lo || s.se > c.hi {
			t.Errorf("%s %s: se %.4f (ok %v), want in [%g, %g]", c.scope, c.metric, s.se, ok, c.lo, c.hi)
		}
	}
	if _, ok := measure(r, rn, "/none", "p95"); ok {
		t.Error("an unknown scope measured something")
	}
}
