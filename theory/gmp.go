package theory

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"sort"
	"sync"
)

// GeneralizedMP is the generalized Marchenko–Pastur law GMP(γ, ν): the limit
// spectral law of B = (1/N) Σ_n τ_n x_n x_nᵀ with x_n iid N(0, I_d), weights
// τ_n iid ~ ν independent of the x_n, and d/N → γ. Its Stieltjes transform
// solves
//
//	m(z) = 1 / ( −z + E_ν[ τ / (1 + γ τ m(z)) ] ).
//
// Spectral quantities (Stieltjes, Prob, CDF, Quantile, Support) are computed
// for the discrete law Weights.Atoms(); Moment, Mean and Variance use the
// exact weight moments Weights.Moment.
//
// Build values with NewGeneralizedMP, which validates and caches the
// discretized weights, support and interval masses; do not change the fields
// afterwards. A literal GeneralizedMP{Gamma: γ, Weights: ν} also works but
// recomputes that cache at every call. Methods return NaN (Support: nil) when
// Validate fails. Prob and LogProb describe the continuous part; the atom at 0
// is reported by Atom and included by CDF and Quantile.
type GeneralizedMP struct {
	// Gamma is the aspect ratio γ = d/N > 0.
	Gamma float64
	// Weights is the weight law ν.
	Weights WeightLaw
	// Src is the random source of Rand; nil uses the global source.
	Src rand.Source

	cache *gmpState
}

// NewGeneralizedMP validates its arguments and returns a GeneralizedMP with
// its numerical state prepared.
func NewGeneralizedMP(gamma float64, weights WeightLaw) (GeneralizedMP, error) {
	g := GeneralizedMP{Gamma: gamma, Weights: weights}
	if err := g.Validate(); err != nil {
		return GeneralizedMP{}, err
	}
	g.cache = newGMPState(gamma, weights)
	return g, nil
}

// Validate returns an error wrapping ErrInvalidParameter if Gamma is not
// finite and positive, Weights is nil or invalid, or the discrete law
// Weights.Atoms() is not a probability law on [0, ∞) with positive mass on
// (0, ∞) (checked too, since WeightLaw may be implemented outside this
// package). To keep every product γτm and pole −1/(γτ) representable, Gamma
// and every positive atom must lie in [1e−100, 1e100].
func (g GeneralizedMP) Validate() error {
	if !isFinite(g.Gamma) || g.Gamma <= 0 {
		return paramError("GeneralizedMP: Gamma must be finite and > 0, got %v", g.Gamma)
	}
	if g.Gamma < gmpMinScale || g.Gamma > gmpMaxScale {
		return paramError("GeneralizedMP: Gamma %v outside [%g, %g]", g.Gamma, gmpMinScale, gmpMaxScale)
	}
	if g.Weights == nil {
		return paramError("GeneralizedMP: Weights must not be nil")
	}
	if err := g.Weights.Validate(); err != nil {
		return err
	}
	vs, ps := g.Weights.Atoms()
	return checkAtoms(vs, ps)
}

// Range of Gamma and of the positive weight atoms accepted by GeneralizedMP.
const (
	gmpMinScale = 1e-100
	gmpMaxScale = 1e100
)

// checkAtoms validates the discrete law returned by WeightLaw.Atoms: equal
// non-zero lengths, values finite, ≥ 0, strictly increasing, positive ones
// in [gmpMinScale, gmpMaxScale], probabilities finite and > 0 summing to 1
// within 1e−9, and some mass on positive values.
func checkAtoms(vs, ps []float64) error {
	if len(vs) == 0 || len(vs) != len(ps) {
		return paramError("weight law has %d atoms and %d probabilities; need equal, non-zero numbers", len(vs), len(ps))
	}
	sum := 0.0
	for i, v := range vs {
		p := ps[i]
		switch {
		case !isFinite(v) || v < 0:
			return paramError("weight atom %d is %v; must be finite and ≥ 0", i, v)
		case v > 0 && (v < gmpMinScale || v > gmpMaxScale):
			return paramError("weight atom %d is %v, outside [%g, %g]", i, v, gmpMinScale, gmpMaxScale)
		case i > 0 && !(v > vs[i-1]):
			return paramError("weight atoms must be strictly increasing; atom %d (%v) follows %v", i, v, vs[i-1])
		case !isFinite(p) || p <= 0:
			return paramError("weight atom %d has probability %v; must be finite and > 0", i, p)
		}
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		return paramError("weight atom probabilities sum to %v, not 1", sum)
	}
	if vs[len(vs)-1] == 0 {
		return paramError("weight law puts no mass on positive values")
	}
	return nil
}

// invalid reports whether g fails Validate; values built by
// NewGeneralizedMP were validated once and are not checked again.
func (g GeneralizedMP) invalid() bool {
	return g.cache == nil && g.Validate() != nil
}

func (g GeneralizedMP) state() *gmpState {
	if g.cache != nil {
		return g.cache
	}
	if g.Validate() != nil {
		return nil
	}
	return newGMPState(g.Gamma, g.Weights)
}

// gmpState holds the discretized weight law and lazily computed support.
type gmpState struct {
	gamma    float64
	tau      []float64 // positive atoms, decreasing
	prob     []float64
	zeroMass float64 // ν({0})
	mean     float64 // Σ p τ
	scale    float64 // τ_max (1+√γ)², an upper bound of the support

	supportOnce sync.Once
	intervals   []Interval
	supportErr  error // the support search did not converge

	massOnce sync.Once
	cumMass  []float64 // atom + masses of intervals[0..i]
}

func newGMPState(gamma float64, w WeightLaw) *gmpState {
	vs, ps := w.Atoms()
	s := &gmpState{gamma: gamma}
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i] == 0 {
			s.zeroMass += ps[i]
			continue
		}
		s.tau = append(s.tau, vs[i])
		s.prob = append(s.prob, ps[i])
		s.mean += ps[i] * vs[i]
	}
	r := 1 + math.Sqrt(gamma)
	s.scale = s.tau[0] * r * r
	return s
}

// atom is max(0, 1 − (1 − ν({0}))/γ): B has rank at most #{n : τ_n > 0}.
func (s *gmpState) atom() float64 { return math.Max(0, 1-(1-s.zeroMass)/s.gamma) }

// zOf evaluates the inverse map z(m) = −1/m + Σ p τ/(1+γτm) and z'(m), and
// the size |1/m| + Σ |p τ/(1+γτm)| of its terms, the scale of its
// round-off.
func (s *gmpState) zOf(m complex128) (z, dz complex128, size float64) {
	var s1, s2 complex128
	gm := complex(s.gamma, 0) * m
	for j, t := range s.tau {
		d := 1 / (1 + complex(t, 0)*gm)
		pt := complex(s.prob[j]*t, 0)
		s1 += pt * d
		s2 += pt * complex(t, 0) * d * d
		size += cmplx.Abs(pt * d)
	}
	inv := 1 / m
	return s1 - inv, inv*inv - complex(s.gamma, 0)*s2, size + cmplx.Abs(inv)
}

// newton solves z(m) = z from m. With upper set it keeps Im m > 0 by
// shortening steps, as required for Im z > 0 where the root in C+ is unique.
// It reports success once the residual |z(m) − z| is at round-off level, or
// once steps stall at a residual that is still small: near a spectral edge
// z'(m) is close to 0 and round-off in the step exceeds 1e−15|m|.
func (s *gmpState) newton(z, m complex128, upper bool) (complex128, bool) {
	var tight, loose float64
	for it := 0; it < 100; it++ {
		zm, dz, terms := s.zOf(m)
		// The tolerance scales with the terms of z(m), not with E τ: next
		// to a hard edge at 0, z(m) = x is a cancellation of terms of size
		// |1/m| ~ √x, and a tolerance ~ E τ would accept any m with
		// |z(m)| ≲ 1e−13, losing the density at x below that.
		size := cmplx.Abs(z) + terms
		tight, loose = 4e-16*size, 1e-12*size
		res := cmplx.Abs(zm - z)
		if res <= tight {
			return m, true
		}
		step := (zm - z) / dz
		next := m - step
		for k := 0; upper && imag(next) <= 0 && k < 60; k++ {
			step /= 2
			next = m - step
		}
		if cmplx.IsNaN(next) || cmplx.IsInf(next) || (upper && imag(next) <= 0) {
			return m, false
		}
		if cmplx.Abs(step) <= 1e-15*cmplx.Abs(next) {
			return next, res <= loose
		}
		m = next
	}
	zm, _, _ := s.zOf(m)
	return m, cmplx.Abs(zm-z) <= loose
}

// maxContinuationSteps caps the Newton solves of one continuation in
// solve. Jumps grow to 1e8 after successes, so a continuation that succeeds
// crosses the float64 range (and the relative floor) in a few dozen solves,
// and each failure shrinks the jump by a square root until it is given up
// below 1.0001 (about 20 failures in a row); the cap stops only a
// continuation that alternates successes and failures without end.
const maxContinuationSteps = 2000

// solve returns the Stieltjes transform at z (boundary value from above for
// real z) by Newton continuation in Im z: start where |z| dominates the
// support and m ≈ −1/(z − Eτ), then lower Im z in geometric jumps that grow
// after a success and shrink after a failure; finally step to Im z itself.
// Each Newton solve has at most 100 steps and the continuation at most
// maxContinuationSteps solves; ok is false when it stopped short of Im z.
func (s *gmpState) solve(z complex128) (complex128, bool) {
	if imag(z) < 0 {
		m, ok := s.solve(cmplx.Conj(z))
		return cmplx.Conj(m), ok
	}
	x, eta := real(z), imag(z)
	top := 2 * (math.Abs(x) + s.scale)
	if eta >= top {
		return s.newton(z, -1/(z-complex(s.mean, 0)), true)
	}
	zc := complex(x, top)
	m, ok := s.newton(zc, -1/(zc-complex(s.mean, 0)), true)
	if !ok {
		return m, false
	}
	// On the real axis, stop lowering Im z geometrically at a floor relative
	// to the local scale |x| (islands of the spectrum far below the top
	// edge are as narrow as their location), not to the global scale: with
	// atoms spanning many decades a global floor is wider than the low
	// islands, and the last jump to Im z = 0 leaves Newton's basin (or, next
	// to a hard edge at 0, lands on a root in C+ of the real equation that
	// is not the boundary value). At x = 0 the continuation runs down to
	// Im z = 0 itself.
	floor := 1e-10 * math.Abs(x)
	cur, jump := top, 1e3
	for steps := 0; cur > eta; steps++ {
		if steps == maxContinuationSteps {
			return m, false
		}
		next := cur / jump
		if next <= eta || (eta == 0 && next < floor) {
			next = eta
		}
		mn, ok := s.newton(complex(x, next), m, next > 0)
		if ok && (next > 0 || imag(mn) >= 0) {
			m, cur = mn, next
			jump = math.Min(jump*jump, 1e8)
			continue
		}
		jump = math.Sqrt(jump)
		if jump < 1.0001 {
			return m, false
		}
	}
	return m, true
}

// Stieltjes returns m(z) = ∫ dF(λ)/(λ − z), including the atom at 0. For real
// z it returns the boundary value from the upper half-plane. At z = 0, when
// the law has an atom there or its support reaches 0 (hard edge), m is
// infinite and Stieltjes returns cmplx.Inf(). Near the real axis, if the
// Newton continuation cannot reach Im z itself, the value at the lowest
// height reached (a Poisson-smoothed m) is returned.
func (g GeneralizedMP) Stieltjes(z complex128) complex128 {
	s := g.state()
	if s == nil || cmplx.IsNaN(z) {
		return cmplx.NaN()
	}
	if z == 0 && (s.atom() > 0 || s.support()[0].Min <= 0) {
		return cmplx.Inf()
	}
	m, _ := s.solve(z)
	return m
}

// StieltjesErr is Stieltjes with an error, wrapping ErrNotConverged, when
// the Newton continuation could not reach Im z (Stieltjes then returns the
// smoothed value at the lowest height reached), or wrapping
// ErrInvalidParameter for invalid parameters.
func (g GeneralizedMP) StieltjesErr(z complex128) (complex128, error) {
	if err := g.check(); err != nil {
		return cmplx.NaN(), err
	}
	s := g.state()
	if cmplx.IsNaN(z) {
		return cmplx.NaN(), notConverged("GMP Stieltjes transform at %v", z)
	}
	if z == 0 && (s.atom() > 0 || s.support()[0].Min <= 0) {
		return cmplx.Inf(), nil
	}
	m, ok := s.solve(z)
	if !ok || cmplx.IsNaN(m) {
		return m, notConverged("GMP Stieltjes transform at %v: the Newton continuation in Im z did not reach Im z = %g", z, imag(z))
	}
	return m, nil
}

// Atom returns the mass at 0: max(0, 1 − (1 − ν({0}))/γ).
func (g GeneralizedMP) Atom() float64 {
	s := g.state()
	if s == nil {
		return math.NaN()
	}
	return s.atom()
}

// Prob returns the density of the continuous part at x, from Stieltjes
// inversion f(x) = Im m(x + i0)/π with m solved on the real axis itself.
func (g GeneralizedMP) Prob(x float64) float64 { return g.at(x, (*gmpState).prob1) }

// at evaluates f(x) on the prepared state, NaN for invalid parameters or x.
func (g GeneralizedMP) at(x float64, f func(*gmpState, float64) float64) float64 {
	s := g.state()
	if s == nil || math.IsNaN(x) {
		return math.NaN()
	}
	return f(s, x)
}

func (s *gmpState) prob1(x float64) float64 {
	iv := s.support()
	in := false
	for _, v := range iv {
		if v.Contains(x) {
			in = true
			break
		}
	}
	if !in {
		return 0
	}
	if x == 0 {
		return math.Inf(1) // hard edge: density ~ x^{-1/2}
	}
	return s.density(x)
}

// density is Im m(x+i0)/π from the solver.
func (s *gmpState) density(x float64) float64 {
	m, _ := s.solve(complex(x, 0))
	return math.Max(0, imag(m)/math.Pi)
}

// LogProb returns log Prob(x).
func (g GeneralizedMP) LogProb(x float64) float64 { return math.Log(g.Prob(x)) }

// Support returns the intervals carrying the continuous part, in increasing
// order (the atom at 0, if any, is not included; see Atom).
func (g GeneralizedMP) Support() []Interval {
	s := g.state()
	if s == nil {
		return nil
	}
	return append([]Interval(nil), s.support()...)
}

// support returns the support intervals. When the search did not converge
// (supportErr) it is one NaN interval, so that every method built on it
// returns NaN rather than a wrong number or a panic on an empty list.
func (s *gmpState) support() []Interval {
	s.supportOnce.Do(func() {
		s.intervals, s.supportErr = s.computeSupport()
		if s.supportErr != nil {
			s.intervals = []Interval{{math.NaN(), math.NaN()}}
		}
	})
	return s.intervals
}

// SupportErr is Support with the error of a support search that did not
// converge (wrapping ErrNotConverged), or of invalid parameters (wrapping
// ErrInvalidParameter); Support returns one NaN interval in the first case.
func (g GeneralizedMP) SupportErr() ([]Interval, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	s := g.state()
	iv := s.support()
	if s.supportErr != nil {
		return nil, s.supportErr
	}
	return append([]Interval(nil), iv...), nil
}

// check returns Validate's error, nil for a value NewGeneralizedMP built.
func (g GeneralizedMP) check() error {
	if g.cache != nil {
		return nil
	}
	return g.Validate()
}

// Mean returns E λ = E τ.
func (g GeneralizedMP) Mean() float64 { return g.Moment(1) }

// Variance returns γ E τ².
func (g GeneralizedMP) Variance() float64 {
	if g.invalid() {
		return math.NaN()
	}
	return g.Gamma * g.Weights.Moment(2)
}

// Moment returns E λ^k from the free cumulants κ_j = γ^{j−1} E τ^j by the
// non-crossing moment–cumulant recursion (exact weight moments are used).
func (g GeneralizedMP) Moment(k int) float64 {
	if k < 0 || g.invalid() {
		return math.NaN()
	}
	kappa := make([]float64, k+1)
	for j := 1; j <= k; j++ {
		kappa[j] = math.Pow(g.Gamma, float64(j-1)) * g.Weights.Moment(j)
	}
	return freeMoments(kappa)[k]
}

// freeMoments returns m_0..m_K from free cumulants κ_1..κ_K (kappa[0]
// ignored) using M(z) = 1 + Σ_s κ_s z^s M(z)^s, where the coefficient of z^n
// of M^s involves only m_0..m_{n−s}.
func freeMoments(kappa []float64) []float64 {
	K := len(kappa) - 1
	m := make([]float64, K+1)
	m[0] = 1
	for n := 1; n <= K; n++ {
		// power[j] holds coefficients of M^s truncated to degree n−1.
		power := make([]float64, n)
		power[0] = 1
		sum := 0.0
		for sIdx := 1; sIdx <= n; sIdx++ {
			// power ← power·M (degree < n, uses m_0..m_{n−1} only).
			next := make([]float64, n)
			for i := 0; i < n; i++ {
				for j := 0; i+j < n; j++ {
					next[i+j] += power[i] * m[j]
				}
			}
			power = next
			sum += kappa[sIdx] * power[n-sIdx]
		}
		m[n] = sum
	}
	return m
}

// CDF returns P(λ ≤ x), the atom at 0 plus the adaptive Gauss–Kronrod
// quadrature of Prob over the support intervals below x.
func (g GeneralizedMP) CDF(x float64) float64 { return g.at(x, (*gmpState).cdf) }

func (s *gmpState) cdf(x float64) float64 {
	if x < 0 {
		return 0
	}
	iv := s.support()
	if s.supportErr != nil {
		return math.NaN()
	}
	cum := s.masses()
	below := s.atom()
	for i, v := range iv {
		switch {
		case x >= v.Max:
			below = cum[i]
		case x > v.Min:
			return math.Min(1, below+s.partialMass(v, x))
		default:
			return below
		}
	}
	return math.Min(1, below)
}

// masses integrates the density over each support interval once.
func (s *gmpState) masses() []float64 {
	s.massOnce.Do(func() {
		iv := s.support()
		s.cumMass = make([]float64, len(iv))
		acc := s.atom()
		for i, v := range iv {
			acc += s.partialMass(v, v.Max)
			s.cumMass[i] = acc
		}
	})
	return s.cumMass
}

// partialMass integrates the density over [iv.Min, x] in the angle variable
// x = Min + (Max−Min) sin²(θ/2), in which the integrand is smooth at soft
// (square-root) and hard (inverse square-root) edges.
func (s *gmpState) partialMass(iv Interval, x float64) float64 {
	w := iv.Len()
	if w <= 0 {
		return 0
	}
	theta := 2 * math.Asin(math.Sqrt(clamp((x-iv.Min)/w, 0, 1)))
	f := func(t float64) float64 {
		h := math.Sin(t / 2)
		y := iv.Min + w*h*h
		if y <= iv.Min || y >= iv.Max {
			return 0
		}
		return s.density(y) * w / 2 * math.Sin(t)
	}
	return adaptiveGK(f, 0, theta, 1e-13, 12)
}

// Quantile returns the smallest x ≥ 0 with CDF(x) ≥ p (0 for p ≤ Atom(),
// the top edge of the support for p = 1), NaN for p outside [0, 1] and NaN
// when the inversion or the support search did not converge (QuantileErr
// says which).
func (g GeneralizedMP) Quantile(p float64) float64 { return orNaN(g.QuantileErr(p)) }

// QuantileErr is Quantile with an error: wrapping ErrInvalidParameter for
// invalid parameters or p outside [0, 1], ErrNotConverged when the support
// search or the inversion of the CDF did not converge.
func (g GeneralizedMP) QuantileErr(p float64) (float64, error) {
	if err := g.check(); err != nil {
		return math.NaN(), err
	}
	if !(p >= 0 && p <= 1) {
		return math.NaN(), paramError("GeneralizedMP.Quantile: p must be in [0, 1], got %v", p)
	}
	s := g.state()
	if p <= s.atom() {
		return 0, nil
	}
	iv := s.support()
	if s.supportErr != nil {
		return math.NaN(), s.supportErr
	}
	cum := s.masses()
	i := sort.SearchFloat64s(cum, p)
	// The interval masses are quadratures: their sum can round to 1 before
	// the last interval, so p = 1 maps to the top edge explicitly.
	if i >= len(iv) || p == 1 {
		return iv[len(iv)-1].Max, nil
	}
	x, err := invertOnInterval(iv[i], p, s.cdf, s.prob1)
	if err != nil {
		return math.NaN(), fmt.Errorf("GeneralizedMP.Quantile(%v): %w", p, err)
	}
	return x, nil
}

// Rand draws from the law by inversion of the CDF.
func (g GeneralizedMP) Rand() float64 { return g.Quantile(uniform(g.Src)) }
