package theory

import (
	"math"

	"github.com/hessblock/hessblock/kind"
)

// MLPSetting is the setting of the one-hidden-layer network laws (MLPCECross,
// MLPCEHidden, MLPCEOutput, MLPMSECross, each a type with these fields):
// f(x) = V φ(W x) at random initialization on N samples x ~ N(0, I_d).
type MLPSetting struct {
	Activation kind.Activation // identity, relu or tanh
	Classes    int             // C ≥ 2
	Inputs     int             // d ≥ 1
	Samples    int             // N ≥ 1
	Width      int             // m ≥ 1
	SigmaW     float64         // W_ij ~ N(0, σ_w²/d)
	SigmaV     float64         // V_ki ~ N(0, σ_v²/m)
}

// MLPCECross predicts the hidden–output pair ratio of the one-hidden-layer
// network under CE at random initialization (see "Network, CE, cross
// blocks" in the package documentation). All moments are taken at
// ‖x‖²/d = 1 with u ~ N(0, σ_w²) for a pre-activation; the law is
// approximate (StatusApproximate): its leading residual term is exact to
// O(1/C), the Gauss–Newton constant rests on a first-order Stein expansion
// and is good to about 25%, the normalizer to about 15%.
type MLPCECross MLPSetting

// CrossTerms are the pieces of the prediction: mean squared Frobenius
// norms of the cross block's residual part (Residual, ∝ 1/C) and of
// everything else (GaussNewton, ∝ 1/C²: the Gauss–Newton part, the
// sample-mean of the residual part and their cross term), and of the
// diagonal hidden (HiddenDiag) and output (OutputDiag) blocks.
type CrossTerms struct {
	Residual, GaussNewton  float64
	HiddenDiag, OutputDiag float64
}

// RatioSq returns R² = (Residual + GaussNewton)/√(HiddenDiag·OutputDiag).
func (t CrossTerms) RatioSq() float64 {
	return (t.Residual + t.GaussNewton) / math.Sqrt(t.HiddenDiag*t.OutputDiag)
}

// ResidualRatioSq returns the residual part alone, Residual/√(HiddenDiag·OutputDiag).
func (t CrossTerms) ResidualRatioSq() float64 {
	return t.Residual / math.Sqrt(t.HiddenDiag*t.OutputDiag)
}

// GaussNewtonRatioSq returns GaussNewton/√(HiddenDiag·OutputDiag).
func (t CrossTerms) GaussNewtonRatioSq() float64 {
	return t.GaussNewton / math.Sqrt(t.HiddenDiag*t.OutputDiag)
}

// Validate checks the sizes, scales and activation.
func (c MLPCECross) Validate() error {
	switch {
	case c.Classes < 2:
		return paramError("cross law needs at least 2 classes, got %d", c.Classes)
	case c.Inputs < 1 || c.Samples < 1 || c.Width < 1:
		return paramError("cross law needs d, N, m ≥ 1, got %d, %d, %d", c.Inputs, c.Samples, c.Width)
	case !isFinite(c.SigmaW) || c.SigmaW <= 0 || !isFinite(c.SigmaV) || c.SigmaV <= 0:
		return paramError("cross law needs finite σ_w, σ_v > 0, got %v, %v", c.SigmaW, c.SigmaV)
	}
	if _, err := activationStats(c.Activation, c.SigmaW*c.SigmaW); err != nil {
		return err
	}
	return nil
}

// actStats are Gaussian moments of φ at u ~ N(0, q).
type actStats struct {
	k1     float64 // E φ'
	a1, a2 float64 // E φ'², E φ'⁴
	dd     float64 // E φ'' (ReLU: the density at 0, 1/√(2πq))
	mu     float64 // E φ
	t2, t4 float64 // E φ², E φ⁴
}

func activationStats(act kind.Activation, q float64) (actStats, error) {
	switch act {
	case kind.Identity:
		return actStats{k1: 1, a1: 1, a2: 1, t2: q, t4: 3 * q * q}, nil
	case kind.ReLU:
		return actStats{k1: 0.5, a1: 0.5, a2: 0.5, dd: 1 / math.Sqrt(2*math.Pi*q),
			mu: math.Sqrt(q / (2 * math.Pi)), t2: q / 2, t4: 1.5 * q * q}, nil
	case kind.Tanh:
		s2 := func(u float64) float64 { return sq(sech(u)) }
		a1 := gaussExpect(func(u float64) float64 { return sq(s2(u)) }, q)
		a2 := gaussExpect(func(u float64) float64 { return sq(sq(s2(u))) }, q)
		t2 := gaussExpect(func(u float64) float64 { return sq(math.Tanh(u)) }, q)
		t4 := gaussExpect(func(u float64) float64 { return sq(sq(math.Tanh(u))) }, q)
		return actStats{k1: gaussExpect(s2, q), a1: a1, a2: a2, t2: t2, t4: t4}, nil
	}
	return actStats{}, paramError("cross law: unknown activation %q", act)
}

// Terms evaluates the four mean squared norms.
func (c MLPCECross) Terms() (CrossTerms, error) {
	if err := c.Validate(); err != nil {
		return CrossTerms{}, err
	}
	q := c.SigmaW * c.SigmaW
	sv2 := c.SigmaV * c.SigmaV
	a, _ := activationStats(c.Activation, q)
	C, d, n, m := float64(c.Classes), float64(c.Inputs), float64(c.Samples), float64(c.Width)
	g := d / n
	s2 := sv2 * a.t2        // logit variance
	b2 := sv2 * a.mu * a.mu // variance of the class offsets V_l·E h
	es, eb := math.Exp(s2), math.Exp(b2)
	varh := a.t2 - a.mu*a.mu
	var t CrossTerms
	// Residual part (1/N)Σ r_l φ'_i x: (d/N)·E φ'²·E r_l², E r_l² = 1/C − 2/C² + E p_l².
	t.Residual = g * a.a1 * (1 - 2/C + es/C) / C
	// Gauss–Newton fluctuation, its sample mean (Stein), the residual's
	// sample mean, all ∝ 1/C².
	fl := g * a.a1 * s2 * es
	gnMean := sv2 * q * eb * (sq(a.k1*a.k1) + sq(a.dd*a.mu) + sq(a.k1*a.k1*a.mu)*sv2)
	resMean := sv2*q*sq(a.k1*a.k1)*eb + (eb-1)*q*a.dd*a.dd
	t.GaussNewton = (fl + gnMean + resMean) / (C * C)
	// Hidden diagonal blocks (as MLPCEHiddenRatioSq's denominator, at finite
	// d, N), with the centring of A: E(VᵀAV)_ii ≈ (σ_v²/m)(1 − E Σp²),
	// E Σp² ≈ e^{s²}/(C − 1 + e^{s²}) (→ e^{s²}/C, and 1 at C = 1).
	v := sv2 / m
	cen := sq(1 - es/(C-1+es))
	t.HiddenDiag = d * v * v * cen * ((d+2)/n*a.a2*(1+(3*es-1)/C) + a.a1*a.a1*(1+2/C))
	// Output diagonal blocks: (1/N)E w²E‖h‖⁴ + (E w)²·e^{b²}‖Σ_h‖², with the
	// mean of h shifted by the softmax tilt.
	h4 := m*a.t4 + m*(m-1)*a.t2*a.t2
	sig := m*a.t2*a.t2 + m*(m-1)*(sq(a.mu*a.mu)+sq(a.k1*a.k1*q)/d) + 2*m*a.mu*a.mu*sv2*varh*varh
	t.OutputDiag = (es/n*h4 + sq(1-es/C)*eb*sig) / (C * C)
	return t, nil
}

// RatioSq returns the predicted R² of the hidden–output family.
func (c MLPCECross) RatioSq() (float64, error) {
	t, err := c.Terms()
	if err != nil {
		return math.NaN(), err
	}
	return t.RatioSq(), nil
}

// Ratio returns the predicted R of the hidden–output family.
func (c MLPCECross) Ratio() (float64, error) {
	r2, err := c.RatioSq()
	return math.Sqrt(r2), err
}

// ScaledRatioLimit returns lim_{C→∞} R at fixed d, N, m: the residual part's
// plateau √(γ E φ'² / (C·√(HiddenDiag·OutputDiag))), which is not zero.
func (c MLPCECross) ScaledRatioLimit() (float64, error) {
	big := c
	big.Classes = 1 << 40
	t, err := big.Terms()
	if err != nil {
		return math.NaN(), err
	}
	return math.Sqrt(t.ResidualRatioSq()), nil
}

// MLPCEHidden predicts the hidden–hidden pair ratio of the one-hidden-layer
// network under CE at random initialization, refining MLPCEHiddenRatioSq
// by two effects it leaves out (package documentation, "Network, CE,
// hidden blocks"): the residual term φ”_i (Vᵀr)_i of the diagonal blocks
// (tanh; zero for identity and ReLU), whose weight is of order σ_v/√m and
// so dominates the Gauss–Newton weight σ_v²/m, and the class offsets
// V_k·E h of a non-centred activation (ReLU), which raise the mean square
// of the off-diagonal weight by e^{σ_v²(Eφ)²}. Approximate.
type MLPCEHidden MLPSetting

// FirstOrderRatioSq returns the first-order form
//
//	R² ≈ (γ'e^{s²}B2 + e^{σ_b²}B1²) / (C[γ'A2(1+(3e^{s²}−1)/C) + γ'D2·(m/σ_v²)(1+(e^{s²}−2)/C) + A1²(1+2/C)])
//
// with γ' = (d+2)/N, s² the logit variance, σ_b² = σ_v²(Eφ)², D2 = E φ”².
// RatioSq refines it at finite width.
func (h MLPCEHidden) FirstOrderRatioSq() (float64, error) {
	c := MLPCECross(h)
	if err := c.Validate(); err != nil {
		return math.NaN(), err
	}
	q := h.SigmaW * h.SigmaW
	sv2 := h.SigmaV * h.SigmaV
	a, _ := ActivationMoments(h.Activation, q, 0)
	st, _ := activationStats(h.Activation, q)
	d2 := tanhCurvatureSq(h.Activation, q)
	C, m := float64(h.Classes), float64(h.Width)
	g := (float64(h.Inputs) + 2) / float64(h.Samples)
	s2 := sv2 * st.t2
	es, eb := math.Exp(s2), math.Exp(sv2*st.mu*st.mu)
	num := g*es*a.B2 + eb*a.B1*a.B1
	den := g*a.A2*(1+(3*es-1)/C) + g*d2*(m/sv2)*(1+(es-2)/C) + a.A1*a.A1*(1+2/C)
	return num / (C * den), nil
}

// RatioSq returns
//
//	R² ≈ (γ'S + X) / (C[γ'Eψ²(1+(3e^{s²}−1)/C) + γ'D2·(m/σ_v²)(1+(e^{s²}−2)/C) + (Eψ)²(1+2/C)])
//
// with γ' = (d+2)/N, ψ = φ'² + φφ” and D2 = E φ”². The numerator's
// S = E[‖x‖⁴/(d(d+2))·M_s^{m−2}Q_s²] and X = E[(xᵀx')²/d·M^{m−2}Q²] are the
// exact finite-m moments of the tilted off-diagonal weight (package
// documentation): X → e^{σ_b²}B1² and S → e^{s²}B2 as m → ∞.
func (h MLPCEHidden) RatioSq() (float64, error) {
	c := MLPCECross(h)
	if err := c.Validate(); err != nil {
		return math.NaN(), err
	}
	q := h.SigmaW * h.SigmaW
	sv2 := h.SigmaV * h.SigmaV
	st, _ := activationStats(h.Activation, q)
	d2 := tanhCurvatureSq(h.Activation, q)
	p1, p2 := psiMoments(h.Activation, q)
	C, m := float64(h.Classes), float64(h.Width)
	g := (float64(h.Inputs) + 2) / float64(h.Samples)
	es := math.Exp(sv2 * st.t2)
	if ts, _ := h.TiltScale(); !(ts <= C) {
		return math.NaN(), paramError("hidden law: C = %d is below the softmax tilt scale E e^{σ_v²‖h‖²/m} = %.3g; the finite-width C → ∞ moments do not apply (use FirstOrderRatioSq)", h.Classes, ts)
	}
	self, cross, err := hiddenOffMoments(h.Activation, h.SigmaW, h.SigmaV, h.Inputs, h.Width)
	if err != nil {
		return math.NaN(), err
	}
	num := g*self + cross
	den := g*p2*(1+(3*es-1)/C) + g*d2*(m/sv2)*(1+(es-2)/C) + p1*p1*(1+2/C)
	return num / (C * den), nil
}

// tanhCurvatureSq returns E φ”(u)², u ~ N(0, q): zero for identity and
// ReLU (φ” = 0 almost everywhere), E[(2 tanh u·sech²u)²] for tanh.
func tanhCurvatureSq(act kind.Activation, q float64) float64 {
	if act != kind.Tanh {
		return 0
	}
	return gaussExpect(func(u float64) float64 {
		t := math.Tanh(u)
		return sq(2 * t * (1 - t*t))
	}, q)
}

// psiMoments returns E ψ and E ψ² for ψ = φ'² + φφ” at u ~ N(0, q): the
// mean diagonal hidden weight is (σ_v²/m)(1 − Σp²)ψ once the tilted mean
// Σ_k p_k V_ki ≈ (σ_v²/m)h_i of the residual term φ”(Vᵀr)_i is counted.
// For identity and ReLU ψ = φ'².
func psiMoments(act kind.Activation, q float64) (float64, float64) {
	switch act {
	case kind.Identity:
		return 1, 1
	case kind.ReLU:
		return 0.5, 0.5
	}
	psi := func(u float64) float64 {
		t := math.Tanh(u)
		s := 1 - t*t
		return s*s - 2*t*t*s
	}
	return gaussExpect(psi, q), gaussExpect(func(u float64) float64 { return sq(psi(u)) }, q)
}

// Ratio returns the predicted R of the hidden–hidden family.
func (h MLPCEHidden) Ratio() (float64, error) {
	r2, err := h.RatioSq()
	return math.Sqrt(r2), err
}

// MLPMSECross predicts the hidden–output pair ratio of the one-hidden-layer
// network under MSE at random initialization (package documentation,
// "Network, MSE, cross blocks"): √C·R tends to a constant. Approximate:
// the feature moments are first order in the correlations of distinct
// hidden units (cos∠(w_i, w_j) ~ d^{−1/2}), the output normalizer is exact
// at finite m and d.
type MLPMSECross MLPSetting

// Terms returns the mean squared norms: GaussNewton is the Gauss–Newton
// part V_li·(1/N)Σφ'_i x hᵀ, Residual the residual part (1/N)Σ r_l φ'_i x e_iᵀ
// plus the cross term 2⟨GN, res⟩; HiddenDiag and OutputDiag the diagonal
// blocks.
func (c MLPMSECross) Terms() (CrossTerms, error) {
	if err := MLPCECross(c).Validate(); err != nil {
		return CrossTerms{}, err
	}
	q := c.SigmaW * c.SigmaW
	sv2 := c.SigmaV * c.SigmaV
	a, _ := activationStats(c.Activation, q)
	C, d, n, m := float64(c.Classes), float64(c.Inputs), float64(c.Samples), float64(c.Width)
	g, g2 := d/n, (d+2)/n
	v := sv2 / m
	p1, p2 := psiMoments(c.Activation, q)
	d2 := tanhCurvatureSq(c.Activation, q)
	dphi2 := selfDerivMoment(c.Activation, q) // E φ'²φ²
	// K_i = (1/N)Σ φ'_i x hᵀ: fluctuation γ'[(m−1)A1t2 + Eφ'²φ²] and, by
	// Stein's lemma, mean columns w_iEφ”Eφ + w_jκ₁² (j ≠ i) and w_iEψ.
	k := g2*((m-1)*a.a1*a.t2+dphi2) + q*((m-1)*(sq(a.dd*a.mu)+sq(a.k1*a.k1))+p1*p1)
	var t CrossTerms
	t.GaussNewton = v * k
	// The residual part averages to the same over V (E_V z_l z'_l =
	// v·hᵀh'), plus the labels' γA1/C, plus the cross term
	// 2E[V_li K_i[:,i]·ρ_il] = 2v‖(1/N)Σφ'_i h_i x‖².
	t.Residual = v*k + g*a.a1/C + 2*v*(g2*dphi2+q*p1*p1)
	// Hidden diagonal weight c = Σ_k V_ki²φ'² + φ”(Vᵀr)_i: mean
	// v·C·ψ, mean square v²(C²+2C)Eψ² + v(Cσ_v²t2 + 1)Eφ”².
	ec2 := v*v*(C*C+2*C)*p2 + v*(C*sv2*a.t2+1)*d2
	t.HiddenDiag = d * (g2*ec2 + (1-1/n)*v*v*(C*C+2*C)*p1*p1)
	// Output diagonal blocks Φ = (1/N)Σ hhᵀ (the same for every class).
	o, err := MLPCEOutput(c).featureNorms()
	if err != nil {
		return CrossTerms{}, err
	}
	t.OutputDiag = m * m * o
	return t, nil
}

// RatioSq returns the predicted R² of the hidden–output family under MSE.
func (c MLPMSECross) RatioSq() (float64, error) {
	t, err := c.Terms()
	if err != nil {
		return math.NaN(), err
	}
	return t.RatioSq(), nil
}

// Ratio returns the predicted R.
func (c MLPMSECross) Ratio() (float64, error) {
	r2, err := c.RatioSq()
	return math.Sqrt(r2), err
}

// ScaledRatioLimit returns lim √C·R at fixed d, N, m.
func (c MLPMSECross) ScaledRatioLimit() (float64, error) {
	big := c
	big.Classes = 1 << 40
	r, err := big.Ratio()
	return r * math.Sqrt(float64(big.Classes)), err
}

// selfDerivMoment returns E φ'(u)²φ(u)², u ~ N(0, q).
func selfDerivMoment(act kind.Activation, q float64) float64 {
	switch act {
	case kind.Identity:
		return q
	case kind.ReLU:
		return q / 2
	}
	return gaussExpect(func(u float64) float64 {
		t := math.Tanh(u)
		return sq(t * (1 - t*t))
	}, q)
}
