package theory

import (
	"math"
	"math/cmplx"
	"testing"
)

// The fuzz targets map arbitrary float64 inputs to valid parameters (by
// folding them into a range) so that the engine explores the parameter
// space instead of Validate's rejections; invalid inputs are covered by the
// table tests in robust_test.go. Their seed corpora run under plain go test.

// fold maps any float64 to [lo, hi] (NaN and ±Inf to lo); a periodic map so
// that the fuzzer's mutations keep moving the value.
func fold(v, lo, hi float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return lo
	}
	f := math.Mod(math.Abs(v), 1)
	return lo + (hi-lo)*f
}

func FuzzMarchenkoPastur(f *testing.F) {
	f.Add(0.5, 0.5, 0.3, 0.7, 0.2)
	f.Add(0.0, 0.5, 0.99, 0.01, 0.9)
	f.Add(0.999, 0.1, 1e-9, 0.5, 0.5)
	f.Add(0.5, 0.999, 0.5, 0.999, 1e-6)
	f.Add(0.25, 0.75, 1.0, 0.0, 0.0)
	f.Fuzz(func(t *testing.T, ge, se, p, u, v float64) {
		// γ = 10^[−6, 6], s = 10^[−6, 6].
		mp := MarchenkoPastur{Gamma: math.Pow(10, fold(ge, -6, 6)), Scale: math.Pow(10, fold(se, -6, 6))}
		if err := mp.Validate(); err != nil {
			t.Fatalf("valid parameters rejected: %v", err)
		}
		p = fold(p, 0, 1)
		a, b := mp.edges()
		atom := mp.Atom()
		// Two points spanning the support and a bit beyond.
		x1 := a - 0.1*(b-a) + fold(u, 0, 1)*1.2*(b-a)
		x2 := a - 0.1*(b-a) + fold(v, 0, 1)*1.2*(b-a)
		if x1 > x2 {
			x1, x2 = x2, x1
		}
		c1, c2 := mp.CDF(x1), mp.CDF(x2)
		if !(c1 >= 0 && c1 <= 1 && c2 >= 0 && c2 <= 1) {
			t.Fatalf("%+v: CDF(%v) = %v, CDF(%v) = %v outside [0, 1]", mp, x1, c1, x2, c2)
		}
		// The CDF has absolute error ~1e−16/√γ (see mpIncrement): monotone
		// up to that.
		tol := 1e-12 + 1e-15/math.Sqrt(mp.Gamma)
		if c1 > c2+tol {
			t.Fatalf("%+v: CDF not monotone: CDF(%v) = %v > CDF(%v) = %v", mp, x1, c1, x2, c2)
		}
		for _, x := range []float64{x1, x2} {
			if d := mp.Prob(x); !(d >= 0) {
				t.Fatalf("%+v: Prob(%v) = %v", mp, x, d)
			}
		}
		// Quantile inverts the CDF up to the CDF's own accuracy.
		q := mp.Quantile(p)
		if !(q >= 0 && q <= b) {
			t.Fatalf("%+v: Quantile(%v) = %v outside [0, %v]", mp, p, q, b)
		}
		if p > atom {
			if e := math.Abs(mp.CDF(q) - p); e > tol {
				t.Fatalf("%+v: CDF(Quantile(%v)) − p = %.3g > %.3g", mp, p, e, tol)
			}
		}
		// Stieltjes solves its quadratic, in unit scale w = z/s, m₁ = s·m:
		// γ w m₁² + (w + γ − 1) m₁ + 1 = 0, with Im m > 0 for Im z > 0.
		z := complex(x1, mp.Scale*math.Pow(10, fold(u+v, -8, 2)))
		m := mp.Stieltjes(z)
		if !(imag(m) > 0) {
			t.Fatalf("%+v: Im Stieltjes(%v) = %v, want > 0", mp, z, imag(m))
		}
		w, m1, g := z/complex(mp.Scale, 0), m*complex(mp.Scale, 0), complex(mp.Gamma, 0)
		terms := cmplx.Abs(g*w*m1*m1) + cmplx.Abs((w+g-1)*m1) + 1
		if r := cmplx.Abs(g*w*m1*m1 + (w+g-1)*m1 + 1); r > 1e-12*terms {
			t.Fatalf("%+v: Stieltjes(%v) = %v: residual %.3g (terms %.3g)", mp, z, m, r, terms)
		}
	})
}

// fuzzWeights builds a discrete weight law with three positive atoms
// in [1e−3, 1e3] (probability of the 2nd and 3rd possibly 0) and an optional
// atom at 0.
func fuzzWeights(v1, v2, v3, p1, p2, p3, p0 float64) DiscreteWeights {
	vals := []float64{math.Pow(10, fold(v1, -3, 3)), math.Pow(10, fold(v2, -3, 3)), math.Pow(10, fold(v3, -3, 3))}
	probs := []float64{fold(p1, 0.05, 1), fold(p2, 0, 1), fold(p3, 0, 1)}
	zero := fold(p0, -0.5, 0.5) // negative: no atom at 0
	if zero > 0 {
		vals = append(vals, 0)
		probs = append(probs, zero)
	}
	sum := 0.0
	for _, p := range probs {
		sum += p
	}
	for i := range probs {
		probs[i] /= sum
	}
	// Renormalize exactly enough for Validate's 1e−9.
	return DiscreteWeights{Values: vals, Probs: probs}
}

func FuzzGeneralizedMP(f *testing.F) {
	f.Add(0.5, 0.0, 0.5, 0.5, 0.3, 0.0, 0.0, 0.0, 0.2)
	f.Add(0.9, 0.1, 0.6, 0.7, 0.5, 0.3, 0.2, 0.3, 0.7)
	f.Add(0.1, 0.99, 0.01, 0.5, 0.2, 0.2, 0.2, 0.9, 0.5)
	f.Add(0.7, 0.5, 0.5, 0.5, 1.0, 0.0, 0.0, 0.45, 0.05)
	f.Fuzz(func(t *testing.T, ge, v1, v2, v3, p1, p2, p3, p0, zx float64) {
		w := fuzzWeights(v1, v2, v3, p1, p2, p3, p0)
		gamma := math.Pow(10, fold(ge, -2, 2))
		g, err := NewGeneralizedMP(gamma, w)
		if err != nil {
			t.Fatalf("valid parameters γ=%v %+v rejected: %v", gamma, w, err)
		}
		vs, ps := w.Atoms()
		sup := g.Support()
		if len(sup) == 0 {
			t.Fatalf("γ=%v %+v: empty support", gamma, w)
		}
		top := sup[len(sup)-1].Max

		// Stieltjes solves m = 1/(−z + E[τ/(1+γτm)]) off the axis.
		z := complex(fold(zx, -0.1, 1.1)*top, top*math.Pow(10, fold(zx*7, -6, 0)))
		m := g.Stieltjes(z)
		if !(imag(m) > 0) {
			t.Fatalf("γ=%v %+v: Im Stieltjes(%v) = %v", gamma, w, z, m)
		}
		var e complex128
		for i, v := range vs {
			e += complex(ps[i]*v, 0) / (1 + complex(gamma*v, 0)*m)
		}
		if r := cmplx.Abs(m*(-z+e) - 1); r > 1e-9 {
			t.Fatalf("γ=%v %+v: Stieltjes(%v) = %v: residual %.3g", gamma, w, z, m, r)
		}

		// Mass: the tanh–sinh integral of Prob over the support plus the
		// atom is 1 (loosely: narrow islands and hard edges make the
		// independent quadrature itself approximate), and the CDF at the top
		// edge agrees.
		mass := integrateLaw(g, 0, 1e-8)[0] + g.Atom()
		if math.Abs(mass-1) > 1e-4 {
			t.Fatalf("γ=%v %+v: ∫Prob + atom = %v, support %v", gamma, w, mass, sup)
		}
		if c := g.CDF(top); math.Abs(c-1) > 1e-7 {
			t.Fatalf("γ=%v %+v: CDF(top) = %v", gamma, w, c)
		}
		// Quantile inverts the CDF.
		p := g.Atom() + (1-g.Atom())*fold(zx*3, 0.01, 0.99)
		if q := g.Quantile(p); math.Abs(g.CDF(q)-p) > 1e-7 {
			t.Fatalf("γ=%v %+v: CDF(Quantile(%v)) = %v", gamma, w, p, g.CDF(q))
		}
	})
}
