package theory

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
)

// MarchenkoPastur is the Marchenko–Pastur law MP(γ, s): the limit spectral
// law of s·XXᵀ/N for X ∈ R^{d×N} with iid standard entries and d/N → γ.
//
// The law has an absolutely continuous part on [s(1−√γ)², s(1+√γ)²] with density
//
//	√((b−x)(x−a)) / (2π s γ x)
//
// and, when γ > 1, an atom of mass 1 − 1/γ at 0. Prob and LogProb describe the
// continuous part only (the atom is reported by Atom); CDF and Quantile
// include the atom.
//
// A MarchenkoPastur with invalid parameters (see Validate) returns NaN from
// every method, unlike gonum's distuv types which leave such use undefined.
type MarchenkoPastur struct {
	// Gamma is the aspect ratio γ = d/N > 0.
	Gamma float64
	// Scale s > 0 multiplies the matrix; Scale = 1 is the standard law.
	Scale float64
	// Src is the random source of Rand; nil uses the global source.
	Src rand.Source
}

// Validate returns an error wrapping ErrInvalidParameter if Gamma or Scale is
// not finite and strictly positive.
func (mp MarchenkoPastur) Validate() error {
	if !isFinite(mp.Gamma) || mp.Gamma <= 0 {
		return paramError("MarchenkoPastur: Gamma must be finite and > 0, got %v", mp.Gamma)
	}
	if !isFinite(mp.Scale) || mp.Scale <= 0 {
		return paramError("MarchenkoPastur: Scale must be finite and > 0, got %v", mp.Scale)
	}
	if r := 1 + math.Sqrt(mp.Gamma); !isFinite(mp.Scale * r * r) {
		return paramError("MarchenkoPastur: upper edge s(1+√γ)² overflows for Gamma %v, Scale %v", mp.Gamma, mp.Scale)
	}
	return nil
}

func (mp MarchenkoPastur) valid() bool { return mp.Validate() == nil }

// edges returns the end points a ≤ b of the continuous part.
func (mp MarchenkoPastur) edges() (a, b float64) {
	a, b = mp.unitEdges()
	return mp.Scale * a, mp.Scale * b
}

// unitEdges returns the end points for Scale = 1. Prob, CDF and Quantile
// work in the unit y = x/s, so that neither a tiny nor a huge scale
// underflows or overflows (b−x)(x−a).
func (mp MarchenkoPastur) unitEdges() (a, b float64) {
	r := math.Sqrt(mp.Gamma)
	return (1 - r) * (1 - r), (1 + r) * (1 + r)
}

// Atom returns the mass at 0, max(0, 1 − 1/γ).
func (mp MarchenkoPastur) Atom() float64 {
	if !mp.valid() {
		return math.NaN()
	}
	return math.Max(0, 1-1/mp.Gamma)
}

// Support returns the support of the continuous part, a single interval.
// For γ = 1 its left end is the hard edge 0.
func (mp MarchenkoPastur) Support() []Interval {
	if !mp.valid() {
		return nil
	}
	a, b := mp.edges()
	return []Interval{{a, b}}
}

// Prob returns the density of the continuous part at x; 0 outside the
// support and +Inf at x = 0 when γ = 1.
func (mp MarchenkoPastur) Prob(x float64) float64 {
	if !mp.valid() || math.IsNaN(x) {
		return math.NaN()
	}
	return mp.unitProb(x/mp.Scale) / mp.Scale
}

// unitProb is the density of MP(γ, 1) at y.
func (mp MarchenkoPastur) unitProb(y float64) float64 {
	a, b := mp.unitEdges()
	if y == 0 && a == 0 {
		return math.Inf(1)
	}
	if y <= a || y >= b {
		return 0
	}
	return math.Sqrt((b-y)*(y-a)) / (2 * math.Pi * mp.Gamma * y)
}

// LogProb returns the logarithm of Prob(x).
func (mp MarchenkoPastur) LogProb(x float64) float64 {
	if !mp.valid() || math.IsNaN(x) {
		return math.NaN()
	}
	a, b := mp.unitEdges()
	y := x / mp.Scale
	if y == 0 && a == 0 {
		return math.Inf(1)
	}
	if y <= a || y >= b {
		return math.Inf(-1)
	}
	return 0.5*(math.Log(b-y)+math.Log(y-a)) - math.Log(2*math.Pi*mp.Gamma*y) - math.Log(mp.Scale)
}

// mpIncrement returns G(x) − G(a) for G an antiderivative of
// √((b−x)(x−a))/x on [a, b] with a, b = (1∓√γ)² the unit edges (derived in
// THEORY §3, "Marchenko–Pastur"):
//
//	G(x) = r + ((a+b)/2)·arcsin u − √(ab)·arcsin v,
//	r = √((b−x)(x−a)), u = (2x−a−b)/(b−a), v = ((a+b)x − 2ab)/(x(b−a)).
//
// arcsin is ill-conditioned next to ±1 (an error ε in u costs √ε), so the
// shifted angles arcsin u + π/2 = 2A, A = atan t, t = √((x−a)/(b−x)), and
// arcsin v + π/2 = 2B, B = atan(kt), k = √(b/a), are formed from the
// distances to the edges instead. With a+b = 2(1+γ) and 2√(ab) = 2|1−γ|,
//
//	(a+b)A − 2√(ab)B = 2[(A−B) + γ(A+B)]  (γ < 1),  2[(A+B) + γ(A−B)]  (γ > 1),
//
// and A − B = −atan((k−1)t/(1+kt²)) with k−1 = 2√γ/(1−√γ) or 2/(√γ−1) in
// closed form. For small γ this avoids subtracting two O(1) angles to get
// an O(γ) result (the naive form loses a factor 1/γ of accuracy; this one
// loses 1/√γ, from r + 2(A−B) = O(γ) with both terms O(√γ)).
func mpIncrement(x, a, b, gamma float64) float64 {
	r := math.Sqrt((b - x) * (x - a))
	t := math.Sqrt((x - a) / (b - x))
	A := math.Atan(t)
	if a <= 0 { // γ = 1: the √(ab) term vanishes
		return r + (a+b)*A
	}
	rg := math.Sqrt(gamma)
	var k, km1 float64
	if gamma < 1 {
		km1 = 2 * rg / (1 - rg)
	} else {
		km1 = 2 / (rg - 1)
	}
	k = 1 + km1
	B := math.Atan(k * t)
	AmB := -math.Atan(km1 * t / (1 + k*t*t))
	if gamma < 1 {
		return r + 2*(AmB+gamma*(A+B))
	}
	return r + 2*((A+B)+gamma*AmB)
}

// CDF returns P(λ ≤ x) in closed form, atom included.
func (mp MarchenkoPastur) CDF(x float64) float64 {
	if !mp.valid() || math.IsNaN(x) {
		return math.NaN()
	}
	if x < 0 {
		return 0
	}
	return mp.unitCDF(x / mp.Scale)
}

// unitCDF is the CDF of MP(γ, 1) at y ≥ 0.
func (mp MarchenkoPastur) unitCDF(y float64) float64 {
	a, b := mp.unitEdges()
	atom := math.Max(0, 1-1/mp.Gamma)
	switch {
	case y <= a:
		return atom
	case y >= b:
		return 1
	}
	var inc float64
	if mp.Gamma < mpQuadratureBelow {
		inc = mpIncrementQuad(y, a, b)
	} else {
		inc = mpIncrement(y, a, b, mp.Gamma) / (2 * math.Pi * mp.Gamma)
	}
	return clamp(atom+inc, atom, 1)
}

// mpQuadratureBelow is the ratio under which unitCDF integrates the density
// numerically: the closed form expresses an O(1) mass as a difference of
// O(√γ) terms divided by γ, losing ~1e−16/γ (3·10⁻⁸ at γ = 10⁻¹⁰).
const mpQuadratureBelow = 1e-3

// mpIncrementQuad returns the continuous mass of MP(γ, 1) on [a, y]. In the
// angle φ of x = a + (b−a) sin²(φ/2), with (b−a)² = 16γ, the mass element
// is f(x)dx = 2 sin²φ / (π x(φ)) dφ: smooth, and free of cancellation.
func mpIncrementQuad(y, a, b float64) float64 {
	w := b - a
	theta := 2 * math.Asin(math.Sqrt(clamp((y-a)/w, 0, 1)))
	f := func(phi float64) float64 {
		h := math.Sin(phi / 2)
		s := math.Sin(phi)
		return 2 * s * s / (math.Pi * (a + w*h*h))
	}
	return adaptiveGK(f, 0, theta, 1e-16, 20)
}

// Quantile returns the smallest x ≥ 0 with CDF(x) ≥ p: 0 for p ≤ Atom()
// (so Quantile(0) = 0 even when γ < 1 and the support starts at a > 0), the
// upper edge for p = 1. It returns NaN for p outside [0, 1], and NaN if
// the inversion did not converge (QuantileErr returns the error).
func (mp MarchenkoPastur) Quantile(p float64) float64 { return orNaN(mp.QuantileErr(p)) }

// QuantileErr is Quantile with an error: wrapping ErrInvalidParameter for
// invalid parameters or p outside [0, 1], ErrNotConverged when the
// inversion of the CDF did not converge.
func (mp MarchenkoPastur) QuantileErr(p float64) (float64, error) {
	if err := mp.Validate(); err != nil {
		return math.NaN(), err
	}
	if !(p >= 0 && p <= 1) {
		return math.NaN(), paramError("MarchenkoPastur.Quantile: p must be in [0, 1], got %v", p)
	}
	a, b := mp.unitEdges()
	atom := mp.Atom()
	switch {
	case p <= atom:
		return 0, nil
	case p == 1:
		return mp.Scale * b, nil
	}
	x, err := invertOnInterval(Interval{a, b}, p, mp.unitCDF, mp.unitProb)
	if err != nil {
		return math.NaN(), fmt.Errorf("MarchenkoPastur.Quantile(%v): %w", p, err)
	}
	return mp.Scale * x, nil
}

// invertOnInterval solves cdf(x) = p for x in iv, where cdf is increasing on
// iv with derivative density. It works in the angle θ of
// x = Min + (Max−Min)·sin²(θ/2), which turns square-root (soft) and
// inverse-square-root (hard) edge behaviour into smooth behaviour, and uses
// Newton steps safeguarded by bisection, at most maxInvertSteps of them.
// A NaN from cdf, a bracket still open after the cap, or a residual
// |cdf(x) − p| above 1e−8 where the bracket closed (cdf not continuous and
// increasing, or not reaching p on iv) is an error wrapping ErrNotConverged.
func invertOnInterval(iv Interval, p float64, cdf, density func(float64) float64) (float64, error) {
	w := iv.Len()
	xOf := func(t float64) float64 {
		s := math.Sin(t / 2)
		return math.Min(iv.Max, iv.Min+w*s*s)
	}
	lo, hi := 0.0, math.Pi
	t := math.Pi / 2
	closed := false
	res := math.Inf(1)
	for range maxInvertSteps {
		x := xOf(t)
		f := cdf(x) - p
		if math.IsNaN(f) {
			return math.NaN(), notConverged("inverting the CDF at p = %v on [%v, %v]: the CDF is NaN at %v", p, iv.Min, iv.Max, x)
		}
		if f == 0 {
			return x, nil
		}
		res = math.Abs(f)
		if f < 0 {
			lo = t
		} else {
			hi = t
		}
		if hi-lo <= 1e-15*math.Pi {
			closed = true
			break
		}
		slope := density(x) * w / 2 * math.Sin(t)
		next := t - f/slope
		if !(next > lo && next < hi) || math.IsNaN(next) {
			next = 0.5 * (lo + hi)
		}
		if math.Abs(next-t) <= 1e-16*math.Pi {
			t = next
			closed = true
			break
		}
		t = next
	}
	if !closed || res > 1e-8 {
		return math.NaN(), notConverged("inverting the CDF at p = %v on [%v, %v]: residual |CDF − p| = %.3g after %d steps", p, iv.Min, iv.Max, res, maxInvertSteps)
	}
	return xOf(t), nil
}

// maxInvertSteps caps invertOnInterval: bisection alone closes the bracket
// to 1e−15·π in 50 steps, so the cap leaves Newton 150 more.
const maxInvertSteps = 200

// Mean returns s.
func (mp MarchenkoPastur) Mean() float64 {
	if !mp.valid() {
		return math.NaN()
	}
	return mp.Scale
}

// Variance returns s²γ.
func (mp MarchenkoPastur) Variance() float64 {
	if !mp.valid() {
		return math.NaN()
	}
	return mp.Scale * mp.Scale * mp.Gamma
}

// StdDev returns the square root of Variance.
func (mp MarchenkoPastur) StdDev() float64 { return math.Sqrt(mp.Variance()) }

// Moment returns E λ^k = s^k Σ_{r=0}^{k−1} N(k, r+1) γ^r with the Narayana
// numbers N(k, r+1) = C(k,r)C(k−1,r)/(r+1). Moment(0) = 1; NaN for k < 0.
func (mp MarchenkoPastur) Moment(k int) float64 {
	if !mp.valid() || k < 0 {
		return math.NaN()
	}
	if k == 0 {
		return 1
	}
	sum := 0.0
	for r := k - 1; r >= 0; r-- { // Horner in γ
		sum = sum*mp.Gamma + binomial(k, r)*binomial(k-1, r)/float64(r+1)
	}
	return math.Pow(mp.Scale, float64(k)) * sum
}

func binomial(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
	}
	return math.Round(c)
}

// Stieltjes returns m(z) = ∫ dF(λ)/(λ − z) for z off the support. For s = 1 it
// is the root of γ z m² + (z + γ − 1) m + 1 = 0 that behaves like −1/z at
// infinity; in general m_s(z) = m_1(z/s)/s. On the support it returns the
// boundary value from the upper half-plane. At z = 0 when γ ≥ 1 (an atom
// or, for γ = 1, the hard edge there) m is infinite and Stieltjes returns
// cmplx.Inf(). NaN z gives NaN.
func (mp MarchenkoPastur) Stieltjes(z complex128) complex128 {
	if !mp.valid() || cmplx.IsNaN(z) {
		return cmplx.NaN()
	}
	g := mp.Gamma
	if z == 0 && g >= 1 {
		return cmplx.Inf()
	}
	a, b := mp.unitEdges()
	w := z / complex(mp.Scale, 0)
	if imag(w) == 0 && real(w) > a && real(w) < b {
		// Boundary value from above: the branch √(w−a)√(w−b) jumps on [a,b].
		w = complex(real(w), 0)
		root := complex(0, math.Sqrt((real(w)-a)*(b-real(w))))
		return -2 / ((w + complex(g-1, 0)) + root) / complex(mp.Scale, 0)
	}
	// The product of principal square roots is analytic off [a, b] and ~ w at
	// infinity. Writing the root as −2/((w+γ−1) + √…) (Vieta) avoids the
	// cancellation of the textbook form for large |w|.
	root := cmplx.Sqrt(w-complex(a, 0)) * cmplx.Sqrt(w-complex(b, 0))
	if imag(w) < 0 {
		// Use the conjugate symmetry m(z̄) = conj m(z) so that the
		// branch for Im z < 0 follows from the one for Im z > 0.
		return cmplx.Conj(mp.Stieltjes(cmplx.Conj(z)))
	}
	return -2 / ((w + complex(g-1, 0)) + root) / complex(mp.Scale, 0)
}

// Rand draws a value from the law by inversion of the CDF.
func (mp MarchenkoPastur) Rand() float64 {
	if !mp.valid() {
		return math.NaN()
	}
	return mp.Quantile(uniform(mp.Src))
}
