package theory

import (
	"math"
	"math/rand/v2"
)

// LinearCEFiniteSize is the finite-(d, N, C) prediction of the block norms
// of the linear model under CE, with the softmax weights sampled jointly
// with the samples they weight (see "Finite d" in the package
// documentation). LinearCEFiniteC draws the logits independently of x,
// which is exact only as d → ∞ at fixed C; here nothing is dropped: the
// only error is Monte Carlo.
//
// For one pair of independent samples x, x' and one W (C×d, iid
// N(0, σ²/d)), a block with per-sample weight w(Wx) has
//
//	E‖H‖_F² = (1/N)·E[w(Wx)²‖x‖⁴] + (1 − 1/N)·E[w(Wx) w(Wx') (xᵀx')²],
//
// averaged over W, x, x'. Given x and x', the C pairs (w_k·x, w_k·x') are
// iid bivariate Gaussian with covariance (σ²/d)·Gram(x, x'), so a draw
// needs only ‖x‖², ‖x'‖², xᵀx' (x = ‖x‖e₁, x' = (g, √χ²_{d−1}, 0, …)) and
// 2C Gaussian logits. Each draw contributes every class (diagonal weight
// C·p_k(1−p_k)) and every ordered pair k ≠ l (off-diagonal weight
// C²·p_k p_l), and both blocks use the same draws, so the heavy factors
// ‖x‖⁴ and (xᵀx')² largely cancel in the ratio Off/Diag: its Monte Carlo
// error is much smaller than that of either norm (RatioErr).
type LinearCEFiniteSize struct {
	Classes int     // C ≥ 2
	Inputs  int     // d ≥ 1
	Samples int     // N ≥ 1
	Sigma   float64 // W_kj ~ N(0, σ²/d), σ ≥ 0
	Draws   int     // Monte Carlo draws of (W, x, x') ≥ 2
	Seed    uint64
}

// Validate requires 2 ≤ Classes ≤ 2^24, Inputs, Samples ≥ 1, finite
// Sigma ≥ 0 and 2 ≤ Draws ≤ 2^26, and bounds the Monte Carlo's work:
// Draws·(2·Inputs + Classes) normal draws at most 2^36 (minutes), so that
// no Draws or size makes BlockNorms run on for hours.
func (f LinearCEFiniteSize) Validate() error {
	switch {
	case f.Classes < 2:
		return paramError("LinearCEFiniteSize: Classes must be ≥ 2, got %d", f.Classes)
	case f.Inputs < 1 || f.Samples < 1:
		return paramError("LinearCEFiniteSize: Inputs and Samples must be ≥ 1, got %d, %d", f.Inputs, f.Samples)
	case !isFinite(f.Sigma) || f.Sigma < 0:
		return paramError("LinearCEFiniteSize: Sigma must be finite and ≥ 0, got %v", f.Sigma)
	case f.Draws < 2:
		return paramError("LinearCEFiniteSize: Draws must be ≥ 2, got %d", f.Draws)
	case f.Classes > maxFiniteClasses:
		return paramError("LinearCEFiniteSize: Classes must be ≤ %d (memory), got %d", maxFiniteClasses, f.Classes)
	case f.Draws > maxFiniteDraws:
		return paramError("LinearCEFiniteSize: Draws must be ≤ %d, got %d", maxFiniteDraws, f.Draws)
	case float64(f.Draws)*(2*float64(f.Inputs)+float64(f.Classes)) > maxFiniteSizeWork:
		return paramError("LinearCEFiniteSize: Draws·(2·Inputs + Classes) = %d·%g exceeds the Monte Carlo budget of %g draws; lower Draws",
			f.Draws, 2*float64(f.Inputs)+float64(f.Classes), float64(maxFiniteSizeWork))
	}
	return nil
}

// LinearCEBlockNorms holds expected squared Frobenius norms of the scaled
// blocks C·H_kk (Diag) and C²·H_kl, k ≠ l (Off), with their Monte Carlo
// standard errors.
type LinearCEBlockNorms struct {
	Diag, Off       float64
	DiagErr, OffErr float64
	// RatioErr is the standard error of the ratio R = √(Off/Diag)/C that
	// Ratio returns, from the joint fluctuation of Off and Diag.
	RatioErr float64
}

// BlockNorms returns E‖C·H_kk‖_F² and E‖C²·H_kl‖_F².
func (f LinearCEFiniteSize) BlockNorms() (LinearCEBlockNorms, error) {
	if err := f.Validate(); err != nil {
		return LinearCEBlockNorms{}, err
	}
	rng := rand.New(rand.NewPCG(f.Seed, f.Seed^0x2545f4914f6cdd1d))
	C, d := f.Classes, f.Inputs
	cf, df, nf := float64(C), float64(d), float64(f.Samples)
	sd := f.Sigma / math.Sqrt(df)
	p := make([]float64, C)
	q := make([]float64, C)
	// Per draw: the diagonal and off-diagonal contributions to E‖·‖².
	var sD, sO, sDD, sOO, sDO float64
	for range f.Draws {
		var r2 float64
		for range d {
			g := rng.NormFloat64()
			r2 += g * g
		}
		g1 := rng.NormFloat64()
		var q2 float64
		for range d - 1 {
			g := rng.NormFloat64()
			q2 += g * g
		}
		r, qn := math.Sqrt(r2), math.Sqrt(q2)
		for k := range C {
			a, b := rng.NormFloat64(), rng.NormFloat64()
			p[k] = sd * r * a
			q[k] = sd * (g1*a + qn*b)
		}
		softmaxInPlace(p)
		softmaxInPlace(q)
		r2p := g1*g1 + q2 // ‖x'‖²
		dot2 := r2 * g1 * g1
		// Diagonal weights a_k = C p_k(1−p_k).
		var aa2, bb2, ab float64
		var sp2, sp4, sq2, sq4, spq, spq2 float64
		for k := range C {
			a := cf * p[k] * (1 - p[k])
			b := cf * q[k] * (1 - q[k])
			aa2 += a * a
			bb2 += b * b
			ab += a * b
			sp2 += p[k] * p[k]
			sp4 += p[k] * p[k] * p[k] * p[k]
			sq2 += q[k] * q[k]
			sq4 += q[k] * q[k] * q[k] * q[k]
			pq := p[k] * q[k]
			spq += pq
			spq2 += pq * pq
		}
		pairs := cf * (cf - 1)
		c4 := cf * cf * cf * cf
		// Fluctuation term E[w²‖x‖⁴], from both x and x'.
		dFl := 0.5 * (aa2*r2*r2 + bb2*r2p*r2p) / cf
		oFl := 0.5 * c4 / pairs * ((sp2*sp2-sp4)*r2*r2 + (sq2*sq2-sq4)*r2p*r2p)
		// Mean term E[w w' (xᵀx')²].
		dMn := (ab / cf) * dot2
		oMn := c4 / pairs * (spq*spq - spq2) * dot2
		dv := dFl/nf + (1-1/nf)*dMn
		ov := oFl/nf + (1-1/nf)*oMn
		sD += dv
		sO += ov
		sDD += dv * dv
		sOO += ov * ov
		sDO += dv * ov
	}
	k := float64(f.Draws)
	mD, mO := sD/k, sO/k
	if !(mD > minBlockNorm && mO > minBlockNorm) || !isFinite(mD) || !isFinite(mO) {
		return LinearCEBlockNorms{}, paramError("LinearCEFiniteSize: block norms %v, %v are degenerate: softmax weights underflow at Sigma = %v", mD, mO, f.Sigma)
	}
	vD := (sDD/k - mD*mD) / (k - 1)
	vO := (sOO/k - mO*mO) / (k - 1)
	cDO := (sDO/k - mD*mO) / (k - 1)
	out := LinearCEBlockNorms{Diag: mD, Off: mO, DiagErr: math.Sqrt(math.Max(vD, 0)), OffErr: math.Sqrt(math.Max(vO, 0))}
	// Delta method for √(O/D)/C: relative variance ¼(vO/O² + vD/D² − 2c/(OD)).
	rv := 0.25 * (vO/(mO*mO) + vD/(mD*mD) - 2*cDO/(mO*mD))
	out.RatioErr = math.Sqrt(math.Max(rv, 0)) * math.Sqrt(mO/mD) / cf
	return out, nil
}

// Ratio returns the predicted pair ratio R = √(E‖H_kl‖²/E‖H_kk‖²).
func (f LinearCEFiniteSize) Ratio() (float64, error) {
	b, err := f.BlockNorms()
	if err != nil {
		return math.NaN(), err
	}
	return math.Sqrt(b.Off/b.Diag) / float64(f.Classes), nil
}

// rho returns the predicted ρ = (C−1)R²/((C−1)R² + 1).
func (f LinearCEFiniteSize) rho() (float64, error) {
	r, err := f.Ratio()
	return RhoFromRatio(f.Classes, r), err
}

// softmaxInPlace overwrites z by softmax(z), shifting by the maximum.
func softmaxInPlace(z []float64) {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	var s float64
	for k, v := range z {
		z[k] = math.Exp(v - mx)
		s += z[k]
	}
	for k := range z {
		z[k] /= s
	}
}
