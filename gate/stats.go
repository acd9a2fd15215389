package gate

import (
	"math"
	"sort"
)

// The distribution functions the noise model needs: normal and Student t
// quantiles and the exact Wilcoxon signed-rank test. They are small enough
// to own, which keeps gate free of a statistics dependency and lets the
// tests pin every number the docs quote.

// normalQuantile returns z with Φ(z) = p, for 0 < p < 1.
func normalQuantile(p float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

// studentCDF is the Student t distribution function with df degrees of
// freedom (df may be fractional, as Welch–Satterthwaite gives; +Inf is the
// normal distribution).
func studentCDF(t, df float64) float64 {
	if math.IsInf(df, 1) || df > 1e7 {
		return 0.5 * math.Erfc(-t/math.Sqrt2)
	}
	x := df / (df + t*t)
	tail := 0.5 * betaInc(df/2, 0.5, x) // P(T > |t|)
	if t >= 0 {
		return 1 - tail
	}
	return tail
}

// studentQuantile returns t with studentCDF(t, df) = p. Bisection is slow
// by numerical standards but a gate computes a few dozen quantiles per run.
func studentQuantile(p, df float64) float64 {
	if math.IsInf(df, 1) || df > 1e7 {
		return normalQuantile(p)
	}
	if p == 0.5 {
		return 0
	}
	if p < 0.5 {
		return -studentQuantile(1-p, df)
	}
	lo, hi := 0.0, 2.0
	for studentCDF(hi, df) < p {
		lo, hi = hi, hi*2
		if hi > 1e12 {
			return math.Inf(1)
		}
	}
	for i := 0; i < 200 && hi-lo > 1e-12*hi; i++ {
		mid := (lo + hi) / 2
		if studentCDF(mid, df) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// betaInc is the regularized incomplete beta function I_x(a, b), by the
// continued fraction of Numerical Recipes §6.4 (Lentz's method).
func betaInc(a, b, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const (
		maxIter = 500
		eps     = 1e-15
		tiny    = 1e-300
	)
	clamp := func(v float64) float64 {
		if math.Abs(v) < tiny {
			return tiny
		}
		return v
	}
	c, d := 1.0, 1/clamp(1-(a+b)*x/(a+1))
	h := d
	for m := 1; m <= maxIter; m++ {
		fm := float64(m)
		num := fm * (b - fm) * x / ((a + 2*fm - 1) * (a + 2*fm))
		d = 1 / clamp(1+num*d)
		c = clamp(1 + num/c)
		h *= d * c
		num = -(a + fm) * (a + b + fm) * x / ((a + 2*fm) * (a + 2*fm + 1))
		d = 1 / clamp(1+num*d)
		c = clamp(1 + num/c)
		del := d * c
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return h
}

// wilcoxon is the result of a signed-rank test on paired differences.
type wilcoxon struct {
	N        int     // pairs with a non-zero difference
	Positive int     // of which positive
	P        float64 // two-sided p-value
}

// wilcoxonSignedRank tests whether the differences d are centred on zero.
// Zero differences are dropped (Wilcoxon's convention); tied magnitudes
// get average ranks. The p-value is exact, by enumerating every sign
// assignment, for up to 20 pairs and from the normal approximation beyond.
// With k pairs the smallest possible two-sided p is 2/2^k: 0.031 for 6.
func wilcoxonSignedRank(d []float64) wilcoxon {
	var nz []float64
	for _, v := range d {
		if v != 0 && !math.IsNaN(v) {
			nz = append(nz, v)
		}
	}
	n := len(nz)
	w := wilcoxon{N: n, P: 1}
	if n == 0 {
		return w
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return math.Abs(nz[idx[a]]) < math.Abs(nz[idx[b]]) })
	ranks := make([]float64, n)
	for i := 0; i < n; {
		j := i
		for j+1 < n && math.Abs(nz[idx[j+1]]) == math.Abs(nz[idx[i]]) {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			ranks[idx[k]] = avg
		}
		i = j + 1
	}
	var wPlus, total float64
	for i, v := range nz {
		total += ranks[i]
		if v > 0 {
			wPlus += ranks[i]
			w.Positive++
		}
	}
	if n <= 20 {
		// Count sign assignments at least as extreme on each side. Ranks are
		// multiples of 0.5, so doubling makes them integers for exact sums.
		var ge, le int
		for mask := 0; mask < 1<<n; mask++ {
			s := 0.0
			for i := 0; i < n; i++ {
				if mask&(1<<i) != 0 {
					s += ranks[i]
				}
			}
			if s >= wPlus-1e-9 {
				ge++
			}
			if s <= wPlus+1e-9 {
				le++
			}
		}
		all := float64(int(1) << n)
		w.P = math.Min(1, 2*math.Min(float64(ge), float64(le))/all)
		return w
	}
	mean := total / 2
	var sq float64
	for _, r := range ranks {
		sq += r * r
	}
	sd := math.Sqrt(sq / 4)
	z := (math.Abs(wPlus-mean) - 0.5) / sd
	w.P = math.Min(1, math.Erfc(z/math.Sqrt2))
	return w
}

// median returns the median of xs (the mean of the middle two for an even
// count); xs is not modified.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// meanVar returns the mean and the sample variance (n−1 denominator).
func meanVar(xs []float64) (mean, variance float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs)-1)
}
