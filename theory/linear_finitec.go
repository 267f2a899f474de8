package theory

import (
	"math"
	"math/rand/v2"
)

// blockNormSq returns E‖(1/N) Σ_n w_n x_n x_nᵀ‖_F² for x_n iid N(0, I_d)
// independent of the iid weights w_n with E w = meanW and E w² = secondW:
//
//	d·[ (d+2)/N · E w² + (1 − 1/N)·(E w)² ],
//
// exact at finite d and N (E‖x‖⁴ = d(d+2), E(xᵀx')² = d). It returns NaN
// for d, n < 1.
func blockNormSq(d, n int, meanW, secondW float64) float64 {
	if d < 1 || n < 1 {
		return math.NaN()
	}
	df, nf := float64(d), float64(n)
	return df * ((df+2)/nf*secondW + (1-1/nf)*meanW*meanW)
}

// blockNormSqLimit returns lim blockNormSq/d = γ E w² + (E w)² as d/N → γ.
func blockNormSqLimit(gamma, meanW, secondW float64) float64 {
	return gamma*secondW + meanW*meanW
}

// linearCEScaledRatioLimit returns lim_{C→∞} C·R for the linear model under CE
// with weights N(0, σ²/d): √((1 + γe^{2σ²}) / (1 + γe^{σ²})). It returns
// NaN for γ < 0 or NaN arguments, and +Inf once the value exceeds the
// float64 range (σ² ≳ 1419).
func linearCEScaledRatioLimit(gamma, sigma float64) float64 {
	if !(gamma >= 0) || math.IsNaN(sigma) {
		return math.NaN()
	}
	s2 := sigma * sigma
	// R² = e^{σ²}·(e^{−2σ²} + γ)/(e^{−σ²} + γ): no intermediate overflows
	// before the result does.
	e1, e2 := math.Exp(-s2), math.Exp(-2*s2)
	if gamma == 0 {
		return 1
	}
	return math.Sqrt((e2 + gamma) / (e1 + gamma) * math.Exp(s2))
}

// linearCEDiagLaw returns the limit law of C·H_kk for the linear model under
// CE: GMP(γ, LogN(−σ²/2, σ²)).
func linearCEDiagLaw(gamma, sigma float64) (GeneralizedMP, error) {
	return NewGeneralizedMP(gamma, LogNormalWeights{Mu: -sigma * sigma / 2, Sigma: sigma})
}

// linearCEOffDiagLaw returns the limit law of −C²·H_kl (k ≠ l) for the
// linear model under CE: GMP(γ, LogN(−σ², 2σ²)).
func linearCEOffDiagLaw(gamma, sigma float64) (GeneralizedMP, error) {
	return NewGeneralizedMP(gamma, LogNormalWeights{Mu: -sigma * sigma, Sigma: math.Sqrt2 * sigma})
}

// Upper bounds that keep the finite-C and finite-size computations from
// allocating absurd amounts of memory (a panic, not an error) on bad input.
const (
	maxFiniteClasses = 1 << 24
	maxFiniteDraws   = 1 << 26
	// maxFiniteSizeWork bounds the normal draws of LinearCEFiniteSize.
	maxFiniteSizeWork = 1 << 36
)

// LinearCEFiniteC is the finite-C deterministic equivalent of the linear
// model under CE. With p = softmax(z), z ~ N(0, σ² I_C), the diagonal block
// is C·H_kk = (1/N) Σ w_n x_n x_nᵀ with w = C p_k(1−p_k) and the off-diagonal
// one is −C²·H_kl = (1/N) Σ w'_n x_n x_nᵀ with w' = C² p_k p_l; their laws are
// GMP(γ, ν_C) and GMP(γ, ν'_C). ν_C and ν'_C are sampled: Draws independent
// logit vectors from a PCG generator seeded with (Seed, Seed^0x9e3779b97f4a7c15).
//
// Weight moments use every class (diagonal) and every ordered pair k ≠ l
// (off-diagonal) of each draw; the empirical weight laws use one value per
// draw (class 0, pair (0, 1)), so their samples are iid.
type LinearCEFiniteC struct {
	Classes int     // C ≥ 2
	Sigma   float64 // logits z ~ N(0, σ²I_C), σ ≥ 0
	Gamma   float64 // γ = d/N > 0
	Draws   int     // Monte Carlo draws of the logits ≥ 1
	Seed    uint64
}

// Validate requires 2 ≤ Classes ≤ 2^24, finite Sigma ≥ 0, finite Gamma > 0
// and 1 ≤ Draws ≤ 2^26 (the samples are kept: 2 float64 per draw).
func (f LinearCEFiniteC) Validate() error {
	switch {
	case f.Classes < 2:
		return paramError("LinearCEFiniteC: Classes must be ≥ 2, got %d", f.Classes)
	case !isFinite(f.Sigma) || f.Sigma < 0:
		return paramError("LinearCEFiniteC: Sigma must be finite and ≥ 0, got %v", f.Sigma)
	case !isFinite(f.Gamma) || f.Gamma <= 0:
		return paramError("LinearCEFiniteC: Gamma must be finite and > 0, got %v", f.Gamma)
	case f.Draws < 1:
		return paramError("LinearCEFiniteC: Draws must be ≥ 1, got %d", f.Draws)
	case f.Classes > maxFiniteClasses || f.Draws > maxFiniteDraws:
		return paramError("LinearCEFiniteC: Classes must be ≤ %d and Draws ≤ %d (memory), got %d, %d",
			maxFiniteClasses, maxFiniteDraws, f.Classes, f.Draws)
	}
	return nil
}

// blockWeightMoments holds E w and E w² of the diagonal weight C p_k(1−p_k)
// and of the off-diagonal weight C² p_k p_l.
type blockWeightMoments struct {
	DiagMean, DiagSecond float64
	OffMean, OffSecond   float64
}

type finiteCSample struct {
	moments   blockWeightMoments
	diag, off []float64
}

func (f LinearCEFiniteC) sample() (finiteCSample, error) {
	if err := f.Validate(); err != nil {
		return finiteCSample{}, err
	}
	rng := rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	C := f.Classes
	cf := float64(C)
	z := make([]float64, C)
	out := finiteCSample{diag: make([]float64, f.Draws), off: make([]float64, f.Draws)}
	var dm, ds, om, os float64
	for n := 0; n < f.Draws; n++ {
		zmax := math.Inf(-1)
		for k := range z {
			z[k] = f.Sigma * rng.NormFloat64()
			zmax = math.Max(zmax, z[k])
		}
		sum := 0.0
		for k := range z {
			z[k] = math.Exp(z[k] - zmax) // log-sum-exp shift
			sum += z[k]
		}
		var s2, s4, d1, d2 float64
		for k := range z {
			p := z[k] / sum
			z[k] = p
			s2 += p * p
			s4 += p * p * p * p
			w := cf * p * (1 - p)
			d1 += w
			d2 += w * w
		}
		dm += d1 / cf
		ds += d2 / cf
		pairs := cf * (cf - 1)
		om += cf * cf * (1 - s2) / pairs
		os += cf * cf * cf * cf * (s2*s2 - s4) / pairs
		out.diag[n] = cf * z[0] * (1 - z[0])
		out.off[n] = cf * cf * z[0] * z[1]
	}
	nd := float64(f.Draws)
	out.moments = blockWeightMoments{dm / nd, ds / nd, om / nd, os / nd}
	return out, nil
}

// weightMoments returns the sampled weight moments.
func (f LinearCEFiniteC) weightMoments() (blockWeightMoments, error) {
	s, err := f.sample()
	return s.moments, err
}

// diagWeights returns the empirical law of Draws iid samples of C p_0(1−p_0).
func (f LinearCEFiniteC) diagWeights() (EmpiricalWeights, error) {
	s, err := f.sample()
	return EmpiricalWeights{Samples: s.diag}, err
}

// offDiagWeights returns the empirical law of Draws iid samples of C² p_0 p_1.
func (f LinearCEFiniteC) offDiagWeights() (EmpiricalWeights, error) {
	s, err := f.sample()
	return EmpiricalWeights{Samples: s.off}, err
}

// diagLaw returns GMP(γ, ν_C), the law of C·H_kk at finite C.
func (f LinearCEFiniteC) diagLaw() (GeneralizedMP, error) {
	w, err := f.diagWeights()
	if err != nil {
		return GeneralizedMP{}, err
	}
	return NewGeneralizedMP(f.Gamma, w)
}

// offDiagLaw returns GMP(γ, ν'_C), the law of −C²·H_kl at finite C.
func (f LinearCEFiniteC) offDiagLaw() (GeneralizedMP, error) {
	w, err := f.offDiagWeights()
	if err != nil {
		return GeneralizedMP{}, err
	}
	return NewGeneralizedMP(f.Gamma, w)
}

// Ratio returns the pair ratio R at this C in the limit d, N → ∞ with
// d/N = Gamma: R² = (1/C²)·(γ E w'² + (E w')²)/(γ E w² + (E w)²).
func (f LinearCEFiniteC) Ratio() (float64, error) {
	m, err := f.weightMoments()
	if err != nil {
		return math.NaN(), err
	}
	num := blockNormSqLimit(f.Gamma, m.OffMean, m.OffSecond)
	den := blockNormSqLimit(f.Gamma, m.DiagMean, m.DiagSecond)
	return ratioFromNorms(num, den, f.Classes, f.Sigma)
}

// minBlockNorm is the smallest squared block norm trusted by the ratios:
// below it the weights' squares are subnormal or zero, and num/den is
// round-off.
const minBlockNorm = 1e-280

// ratioFromNorms returns √(num/den)/C, or an error when the softmax weights
// underflowed (σ so large that draws are numerically one-hot) and the
// ratio would be 0/0 or round-off.
func ratioFromNorms(num, den float64, classes int, sigma float64) (float64, error) {
	if !(den > minBlockNorm && num > minBlockNorm) || !isFinite(num) || !isFinite(den) {
		return math.NaN(), paramError("LinearCEFiniteC: block norms %v/%v are degenerate: softmax weights underflow at Sigma = %v", num, den, sigma)
	}
	return math.Sqrt(num/den) / float64(classes), nil
}

// RatioFinite returns R at this C for finite d and N (blockNormSq form).
// Gamma is ignored; d, n ≥ 1.
func (f LinearCEFiniteC) RatioFinite(d, n int) (float64, error) {
	if d < 1 || n < 1 {
		return math.NaN(), paramError("LinearCEFiniteC: RatioFinite needs d, n ≥ 1, got %d, %d", d, n)
	}
	m, err := f.weightMoments()
	if err != nil {
		return math.NaN(), err
	}
	num := blockNormSq(d, n, m.OffMean, m.OffSecond)
	den := blockNormSq(d, n, m.DiagMean, m.DiagSecond)
	return ratioFromNorms(num, den, f.Classes, f.Sigma)
}

// RhoFromRatio returns ρ = (C−1)R²/((C−1)R² + 1), the off-block
// share of ‖H‖_F² when H has C diagonal and C(C−1) off-diagonal blocks of
// mean squared norms in the ratio 1 : R².
// It returns NaN for classes < 1 or a negative or NaN ratio.
func RhoFromRatio(classes int, ratio float64) float64 {
	if classes < 1 || !(ratio >= 0) {
		return math.NaN()
	}
	if math.IsInf(ratio, 1) {
		if classes == 1 {
			return 0
		}
		return 1
	}
	q := float64(classes-1) * ratio * ratio
	return q / (q + 1)
}

// rho returns ρ at this C in the limit d, N → ∞.
func (f LinearCEFiniteC) rho() (float64, error) {
	r, err := f.Ratio()
	return RhoFromRatio(f.Classes, r), err
}

// rhoFinite returns ρ at this C for finite d and N.
func (f LinearCEFiniteC) rhoFinite(d, n int) (float64, error) {
	r, err := f.RatioFinite(d, n)
	return RhoFromRatio(f.Classes, r), err
}
