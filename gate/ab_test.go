package gate

import (
	"strings"
	"testing"

	"github.com/loadgate/loadgate/load/config"
	"github.com/loadgate/loadgate/load/result"
)

// abRounds makes k pairs of rounds; drift[i] scales every latency of pair i
// on both sides, as a machine that slows down and recovers would.
func abRounds(t *testing.T, seed uint64, k int, headFactor float64, drift []float64) ABInput {
	var in ABInput
	for i := range k {
		d := 1.0
		if i < len(drift) {
			d = drift[i]
		}
		b := synth(t, seed+uint64(2*i), synthRun{seconds: 5, rps: 180, eps: demoEPs(d)})
		h := synth(t, seed+uint64(2*i+1), synthRun{seconds: 5, rps: 180, eps: demoEPs(d * headFactor)})
		in.Base, in.Head = append(in.Base, b), append(in.Head, h)
	}
	return in
}

func TestCompareABCatchesSlowdown(t *testing.T) {
	// +15% on the waiting endpoint, while the machine drifts by ±20%
	// between pairs: the pairs cancel the drift.
	drift := []float64{1, 1.2, 0.85, 1.1, 0.9, 1.15}
	for seed := uint64(1); seed <= 10; seed++ {
		v, err := CompareAB(abRounds(t, seed*100, 6, 1.15, drift), Options{})
		if err != nil {
			t.Fatal(err)
		}
		c := checkOf(t, v, "/items/[item_id]", "p95")
		if c.Status != StatusFail {
			t.Errorf("seed %d: +15%% not caught: %s", seed, c.Reason)
			continue
		}
		if !strings.Contains(c.Reason, "6 of 6 pairs worse, Wilcoxon p=0.031") {
			t.Errorf("reason lacks the pair test: %s", c.Reason)
		}
	}
}

func TestCompareABIdentical(t *testing.T) {
	drift := []float64{1, 1.2, 0.85, 1.1, 0.9, 1.15}
	for seed := uint64(1); seed <= 20; seed++ {
		v, err := CompareAB(abRounds(t, seed*100, 6, 1, drift), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if f := Failed(v); len(f) > 0 {
			t.Errorf("seed %d: identical builds failed %s: %s", seed, Describe(f[0]), f[0].Reason)
		}
	}
}

func TestCompareABTooFewPairs(t *testing.T) {
	// Four pairs cannot reach p ≤ 0.05 in a signed-rank test: even a 50%
	// slowdown is inconclusive, and the report says why.
	v, err := CompareAB(abRounds(t, 1, 4, 1.5, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := checkOf(t, v, "/items/[item_id]", "p95")
	if c.Status != StatusInconclusive || !strings.Contains(c.Reason, "4 of 4 pairs") {
		t.Errorf("4 pairs: %s: %s", c.Status, c.Reason)
	}
	if !hasWarning(v, "only 4 round pairs") {
		t.Errorf("no warning about the pair count: %q", v.Warnings)
	}
}

func TestCompareABPooledValues(t *testing.T) {
	in := abRounds(t, 1, 6, 1.3, nil)
	in.HeadPooled = &result.Result{Total: &result.Stats{Name: "total", Requests: 1, LatencyMS: result.Latency{P95: 123}}}
	v, err := CompareAB(in, Options{Tolerance: map[string]config.Tolerance{"p95": {Pct: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	if c := checkOf(t, v, "total", "p95"); c.Measured != 123 {
		t.Errorf("measured %g, want the pooled 123", c.Measured)
	}
}

func TestCompareABErrors(t *testing.T) {
	in := abRounds(t, 1, 3, 1, nil)
	in.Head = in.Head[:2]
	if _, err := CompareAB(in, Options{}); err == nil {
		t.Error("unequal rounds accepted")
	}
	if _, err := CompareAB(abRounds(t, 1, 1, 1, nil), Options{}); err == nil {
		t.Error("a single pair accepted")
	}
}
