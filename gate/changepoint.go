package gate

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Change points over a history: where a metric's level moved, found over
// the whole series rather than against the last N runs, so a regression is
// not absorbed after N nights and a slow drift is seen. The method is
// binary segmentation with a t statistic, as E-divisive means in MongoDB's
// performance CI (Daly et al., ICPE 2020) and Apache Otava: split the
// series where the means before and after differ most (the largest
// two-sample t over every split position), keep the split if a permutation
// test says a series without a change rarely shows so large a maximum (the
// positions' t values are correlated, which a Bonferroni correction would
// ignore), and repeat on both halves.

// ChangePoint is a change of a series' level at index At (the first
// value of the new level).
type ChangePoint struct {
	At            int
	Before, After float64 // the segments' means, in the metric's unit
	ChangePct     float64 // (After − Before) / Before, in percent
	P             float64 // the split's corrected p-value
}

// ChangeAlpha is the significance a change point needs, after correcting
// for the positions tried (measured: 1 of 100 series of pure noise with 5 %
// spread shows one; docs/gate.md, "Change points").
const ChangeAlpha = 0.01

// minSegment is the fewest values on either side of a change point.
const minSegment = 3

// ChangePoints finds the change points of xs; logScale compares ratios
// (latencies, throughput) rather than differences.
func ChangePoints(xs []float64, logScale bool) []ChangePoint {
	ys := make([]float64, len(xs))
	for i, x := range xs {
		ys[i] = x
		if logScale {
			ys[i] = math.Log(math.Max(x, 1e-9))
		}
	}
	var out []ChangePoint
	var split func(lo, hi int)
	split = func(lo, hi int) {
		if hi-lo < 2*minSegment {
			return
		}
		best, bestT := maxSplit(ys[lo:hi])
		if best < 0 {
			return
		}
		best += lo
		p := permutationP(ys[lo:hi], math.Abs(bestT))
		if p >= ChangeAlpha {
			return
		}
		before, _ := meanVar(xs[lo:best])
		after, _ := meanVar(xs[best:hi])
		out = append(out, ChangePoint{At: best, Before: before, After: after, ChangePct: 100 * (after - before) / before, P: p})
		split(lo, best)
		split(best, hi)
	}
	split(0, len(ys))
	sort.Slice(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// maxSplit returns the split of ys with the largest pooled two-sample t
// (-1 when ys is too short), in one pass over prefix sums.
func maxSplit(ys []float64) (int, float64) {
	n := len(ys)
	var sum, sq float64
	pre := make([]float64, n+1)
	preSq := make([]float64, n+1)
	for i, y := range ys {
		sum += y
		sq += y * y
		pre[i+1], preSq[i+1] = sum, sq
	}
	best, bestT := -1, 0.0
	for k := minSegment; k <= n-minSegment; k++ {
		na, nb := float64(k), float64(n-k)
		ma, mb := pre[k]/na, (sum-pre[k])/nb
		ssa := preSq[k] - na*ma*ma
		ssb := (sq - preSq[k]) - nb*mb*mb
		v := math.Max((ssa+ssb)/float64(n-2), 1e-18*math.Max(1, ma*ma+mb*mb))
		t := (mb - ma) / math.Sqrt(v*(1/na+1/nb))
		if math.Abs(t) > math.Abs(bestT) {
			best, bestT = k, t
		}
	}
	return best, bestT
}

// permutations is how many shuffles estimate a split's p-value: with 999,
// a p-value below ChangeAlpha (0.01) allows up to 8 shuffles as extreme.
const permutations = 999

// permutationP is the share of shuffles of ys whose largest split t
// reaches observed. The shuffles are seeded by the data, so one history
// always gives one answer.
func permutationP(ys []float64, observed float64) float64 {
	var seed uint64
	for _, y := range ys {
		seed = seed*1099511628211 + math.Float64bits(y)
	}
	rng := rand.New(rand.NewPCG(seed, uint64(len(ys))))
	perm := append([]float64(nil), ys...)
	reach := 1
	for range permutations {
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		if _, t := maxSplit(perm); math.Abs(t) >= observed {
			reach++
		}
	}
	return float64(reach) / float64(permutations+1)
}

// NewestStartsChange reports whether the last value of xs is beyond the
// level of the values since the last change point before it, in the worse
// direction: a one-sided 99.9 % prediction interval of a new value, as the
// first night of a regression looks before a later night can confirm it.
// The spread allowed is at least the baseline gate's: PriorRunNoise, and
// for latencies (jitterMS > 0) the scheduler delay, so that a few quiet
// nights do not make a sub-millisecond handler's next night a change.
func NewestStartsChange(xs []float64, logScale, higherIsWorse bool, jitterMS float64) (bool, float64) {
	n := len(xs)
	if n < minSegment+1 {
		return false, 0
	}
	prev := xs[:n-1]
	start := 0
	for _, cp := range ChangePoints(prev, logScale) {
		start = cp.At
	}
	seg := prev[start:]
	if len(seg) < minSegment {
		seg = prev
	}
	ys := make([]float64, len(seg))
	for i, x := range seg {
		ys[i] = x
		if logScale {
			ys[i] = math.Log(math.Max(x, 1e-9))
		}
	}
	last := xs[n-1]
	if logScale {
		last = math.Log(math.Max(last, 1e-9))
	}
	m, v := meanVar(ys)
	if logScale {
		level, _ := meanVar(seg)
		j := 0.0
		if jitterMS > 0 && level > 0 {
			j = math.Log1p(jitterMS / level)
		}
		v += PriorRunNoise*PriorRunNoise + j*j
	}
	sd := math.Max(math.Sqrt(v), 1e-9*math.Max(1, math.Abs(m)))
	t := (last - m) / (sd * math.Sqrt(1+1/float64(len(ys))))
	if !higherIsWorse {
		t = -t
	}
	limit := studentQuantile(0.999, float64(len(ys)-1))
	mean, _ := meanVar(seg)
	return t > limit, 100 * (xs[n-1] - mean) / mean
}
