package theory

import (
	"fmt"
	"math"
	"sort"
)

// computeSupport locates the support of the continuous part of GMP(γ, ν)
// for the discrete ν of the state (Silverstein–Choi). On the real m-axis,
// away from 0 and the poles P_j = −1/(γτ_j), the inverse map
// z(m) = −1/m + Σ p_j τ_j/(1+γτ_j m) is real, and the complement of the
// support is exactly the image of the set where z'(m) > 0. With
//
//	g(m) = m² z'(m) = 1 − (1/γ) Σ p_j r_j²,   r_j = γτ_j m/(1+γτ_j m),
//
// the gaps are the images of the intervals where g > 0. Each r_j² is convex
// in m on every pole-free interval of m < 0, so g is concave there: it has at
// most two zeros per interval, found around its maximum by bisection. THEORY
// §3 ("Generalized Marchenko–Pastur", Support) lists the four kinds of
// intervals and their gaps.
func (s *gmpState) computeSupport() ([]Interval, error) {
	type gap struct{ lo, hi float64 }
	var gaps []gap
	gam := s.gamma
	K := len(s.tau)
	pole := func(j int) float64 { return -1 / (gam * s.tau[j]) }
	positive := 1 - s.zeroMass

	// m > 0: Σ p r_j² increases from 0 to 1−ν({0}), so g has one zero iff
	// 1−ν({0}) > γ; the gap is (−∞, z(m0)) with z(m0) the lower edge.
	if positive > gam {
		hi, err := expandBracket(1/(gam*s.tau[0]), func(m float64) bool { return s.g(m) > 0 }, "GMP lower edge")
		if err != nil {
			return nil, err
		}
		m0, err := bisect(s.g, 0, hi, true)
		if err != nil {
			return nil, fmt.Errorf("GMP lower edge: %w", err)
		}
		gaps = append(gaps, gap{math.Inf(-1), s.zReal(m0)})
	}
	// P_0 < m < 0: g rises from −∞ to 1; the gap above the top edge.
	mTop, err := bisect(s.g, pole(0), 0, false)
	if err != nil {
		return nil, fmt.Errorf("GMP top edge: %w", err)
	}
	gaps = append(gaps, gap{s.zReal(mTop), math.Inf(1)})
	// m < P_{K−1}: g decreases from 1 − (1−ν({0}))/γ to −∞; if that limit is
	// positive there is an atom at 0 and the gap (0, lower edge).
	if 1-positive/gam > 0 {
		lo, err := expandBracket(2*pole(K-1), func(m float64) bool { return s.g(m) <= 0 }, "GMP edge above the atom at 0")
		if err != nil {
			return nil, err
		}
		m1, err := bisect(s.g, lo, pole(K-1), true)
		if err != nil {
			return nil, fmt.Errorf("GMP edge above the atom at 0: %w", err)
		}
		gaps = append(gaps, gap{0, s.zReal(m1)})
	}
	// Between consecutive poles: gaps where the concave g is positive.
	for j := 0; j+1 < K; j++ {
		lo, hi := pole(j+1), pole(j)
		excluded, err := s.pairBoundExcludes(j, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("GMP gap between atoms %d and %d: %w", j, j+1, err)
		}
		if excluded {
			continue
		}
		peak, err := bisect(s.dg, lo, hi, true)
		if err != nil {
			return nil, fmt.Errorf("GMP gap between atoms %d and %d: %w", j, j+1, err)
		}
		if s.g(peak) <= 0 {
			continue
		}
		a, err := bisect(s.g, lo, peak, false)
		if err != nil {
			return nil, fmt.Errorf("GMP gap between atoms %d and %d: %w", j, j+1, err)
		}
		b, err := bisect(s.g, peak, hi, true)
		if err != nil {
			return nil, fmt.Errorf("GMP gap between atoms %d and %d: %w", j, j+1, err)
		}
		gaps = append(gaps, gap{s.zReal(a), s.zReal(b)})
	}

	sort.Slice(gaps, func(a, b int) bool { return gaps[a].lo < gaps[b].lo })
	var out []Interval
	pos := 0.0
	for _, gp := range gaps {
		if gp.lo > pos {
			out = append(out, Interval{pos, gp.lo})
		}
		pos = math.Max(pos, gp.hi)
		if math.IsInf(pos, 1) {
			break
		}
	}
	return out, nil
}

// pairBoundExcludes reports whether g ≤ 0 on the whole interval between the
// poles of atoms j and j+1, using g ≤ 1 − (p_j r_j² + p_{j+1} r_{j+1}²)/γ:
// the two-term sum is convex, so its minimum is found by bisection at O(1)
// cost per step. This skips most intervals of a dense empirical law.
func (s *gmpState) pairBoundExcludes(j int, lo, hi float64) (bool, error) {
	gam := s.gamma
	h := func(m float64) float64 {
		sum := 0.0
		for _, i := range [2]int{j, j + 1} {
			u := gam * s.tau[i] * m
			r := u / (1 + u)
			sum += s.prob[i] * r * r
		}
		return sum
	}
	dh := func(m float64) float64 {
		sum := 0.0
		for _, i := range [2]int{j, j + 1} {
			c := gam * s.tau[i]
			u := c * m
			sum += 2 * s.prob[i] * (u / (1 + u)) * c / ((1 + u) * (1 + u))
		}
		return sum
	}
	mid, err := bisect(dh, lo, hi, false)
	return h(mid) >= gam, err
}

// g returns m² z'(m) on the real axis.
func (s *gmpState) g(m float64) float64 {
	sum := 0.0
	for j, t := range s.tau {
		u := s.gamma * t * m
		r := u / (1 + u)
		sum += s.prob[j] * r * r
	}
	return 1 - sum/s.gamma
}

// dg returns g'(m).
func (s *gmpState) dg(m float64) float64 {
	sum := 0.0
	for j, t := range s.tau {
		c := s.gamma * t
		u := c * m
		sum += s.prob[j] * (u / (1 + u)) * c / ((1 + u) * (1 + u))
	}
	return -2 * sum / s.gamma
}

// zReal evaluates z(m) for real m.
func (s *gmpState) zReal(m float64) float64 {
	sum := 0.0
	for j, t := range s.tau {
		sum += s.prob[j] * t / (1 + s.gamma*t*m)
	}
	return sum - 1/m
}

// maxBisectSteps caps bisect: halving a finite float64 interval reaches
// adjacent floats within 2·1074 + 53 steps (through the exponent range, then
// the mantissa), so the cap is only met by an interval that is not finite.
const maxBisectSteps = 2300

// maxBracketDoublings caps the doubling searches for a bracket: a finite
// start overflows to ±Inf within 2100 doublings.
const maxBracketDoublings = 2100

// bisect returns the sign change of f in (lo, hi), where f > 0 near lo if
// posLeft and f < 0 near lo otherwise. The ends are never evaluated (they
// may be poles); it stops when the midpoint no longer moves. An interval
// with a NaN or infinite end (whose midpoint can be NaN and never stop
// moving) is an error wrapping ErrNotConverged, as is reaching
// maxBisectSteps.
func bisect(f func(float64) float64, lo, hi float64, posLeft bool) (float64, error) {
	if !isFinite(lo) || !isFinite(hi) {
		return math.NaN(), notConverged("bisection on (%v, %v): the bracket is not finite", lo, hi)
	}
	for range maxBisectSteps {
		mid := 0.5 * (lo + hi)
		if mid <= lo || mid >= hi || math.IsNaN(mid) {
			return mid, nil
		}
		if (f(mid) > 0) == posLeft {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.NaN(), notConverged("bisection stopped after %d steps at (%v, %v)", maxBisectSteps, lo, hi)
}

// expandBracket multiplies x by 2 while keep(x) holds, at most
// maxBracketDoublings times; what names the search in the error.
func expandBracket(x float64, keep func(float64) bool, what string) (float64, error) {
	for range maxBracketDoublings {
		if !keep(x) {
			return x, nil
		}
		x *= 2
	}
	return math.NaN(), notConverged("%s: no bracket after %d doublings (reached %v)", what, maxBracketDoublings, x)
}

// Gauss–Kronrod 7–15 nodes and weights on [−1, 1].
var (
	gkNodes = [8]float64{
		0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
		0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
		0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
		0.207784955007898467600689403773245, 0,
	}
	gkWeights = [8]float64{
		0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
		0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
		0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
		0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
	}
	gaussWeights = [4]float64{ // at gkNodes[1], [3], [5], [7]
		0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
		0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
	}
)

// adaptiveGK integrates f over [a, b] to absolute tolerance tol by recursive
// bisection of the Gauss–Kronrod 7–15 rule. Its work is bounded by depth:
// at most 2^(depth+1) − 1 panels of 15 evaluations; a panel that still
// misses tol at depth 0 contributes its Kronrod estimate. A NaN estimate is
// returned at once, without refinement (NaN never meets a tolerance, and
// refining it would spend the whole budget).
func adaptiveGK(f func(float64) float64, a, b, tol float64, depth int) float64 {
	if b <= a {
		return 0
	}
	c, h := 0.5*(a+b), 0.5*(b-a)
	fc := f(c)
	kron := gkWeights[7] * fc
	gauss := gaussWeights[3] * fc
	for i := 0; i < 7; i++ {
		x := h * gkNodes[i]
		fs := f(c-x) + f(c+x)
		kron += gkWeights[i] * fs
		if i%2 == 1 {
			gauss += gaussWeights[i/2] * fs
		}
	}
	kron *= h
	gauss *= h
	// The floor keeps round-off in f (solved, not closed-form, values) from
	// forcing endless subdivision.
	if math.Abs(kron-gauss) <= math.Max(tol, 1e-15*math.Abs(kron)) || depth <= 0 || math.IsNaN(kron) {
		return kron
	}
	return adaptiveGK(f, a, c, tol/2, depth-1) + adaptiveGK(f, c, b, tol/2, depth-1)
}
