package theory

import "math"

// MLPCECross predicts the hidden–output pair ratio of the one-hidden-layer
// network under CE at random initialization (THEORY §4, "MLP, CE,
// hidden–output blocks"). All moments are taken at
// ‖x‖²/d = 1 with u ~ N(0, σ_w²) for a pre-activation; the law is
// approximate (StatusApproximate): its leading residual term is exact to
// O(1/C), the Gauss–Newton constant rests on a first-order Stein expansion
// and is good to about 25%, the normalizer to about 15%.
type MLPCECross MLPSetting

// Validate checks the sizes, scales and activation.
func (c MLPCECross) Validate() error { return MLPSetting(c).validate("MLPCECross") }

// Terms evaluates the four mean squared norms.
func (c MLPCECross) Terms() (CrossTerms, error) {
	if err := c.Validate(); err != nil {
		return CrossTerms{}, err
	}
	q, sv2, a, C, d, n, m := MLPSetting(c).scalars()
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
	// Hidden diagonal blocks (as mlpCEHiddenRatioSq's denominator, at finite
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

// Ratio returns the predicted R of the hidden–output family.
func (c MLPCECross) Ratio() (float64, error) { return ratioOf(c.Terms) }

// ratioOf returns R = √ratioSq of the terms a cross law evaluates.
func ratioOf(terms func() (CrossTerms, error)) (float64, error) {
	t, err := terms()
	if err != nil {
		return math.NaN(), err
	}
	return math.Sqrt(t.ratioSq()), nil
}

// ScaledRatioLimit returns lim_{C→∞} R at fixed d, N, m: the residual part's
// plateau √(γ E φ'² / (C·√(HiddenDiag·OutputDiag))), which is not zero.
func (c MLPCECross) ScaledRatioLimit() (float64, error) {
	big := c
	big.Classes = limitClasses
	t, err := big.Terms()
	if err != nil {
		return math.NaN(), err
	}
	return math.Sqrt(t.residualRatioSq()), nil
}

// CrossTerms are the pieces of the prediction: mean squared Frobenius
// norms of the cross block's residual part (Residual, ∝ 1/C) and of
// everything else (GaussNewton, ∝ 1/C²: the Gauss–Newton part, the
// sample-mean of the residual part and their cross term), and of the
// diagonal hidden (HiddenDiag) and output (OutputDiag) blocks.
type CrossTerms struct {
	Residual, GaussNewton  float64
	HiddenDiag, OutputDiag float64
}

// ratioSq returns R² = (Residual + GaussNewton)/√(HiddenDiag·OutputDiag).
func (t CrossTerms) ratioSq() float64 {
	return (t.Residual + t.GaussNewton) / math.Sqrt(t.HiddenDiag*t.OutputDiag)
}

// residualRatioSq returns the residual part alone, Residual/√(HiddenDiag·OutputDiag).
func (t CrossTerms) residualRatioSq() float64 {
	return t.Residual / math.Sqrt(t.HiddenDiag*t.OutputDiag)
}

// gaussNewtonRatioSq returns GaussNewton/√(HiddenDiag·OutputDiag).
func (t CrossTerms) gaussNewtonRatioSq() float64 {
	return t.GaussNewton / math.Sqrt(t.HiddenDiag*t.OutputDiag)
}

// MLPMSECross predicts the hidden–output pair ratio of the one-hidden-layer
// network under MSE at random initialization (THEORY §4, "MLP, MSE,
// hidden–output blocks"): √C·R tends to a constant. Approximate:
// the feature moments are first order in the correlations of distinct
// hidden units (cos∠(w_i, w_j) ~ d^{−1/2}), the output normalizer is exact
// at finite m and d.
type MLPMSECross MLPSetting

// Validate checks the sizes, scales and activation.
func (c MLPMSECross) Validate() error { return MLPSetting(c).validate("MLPMSECross") }

// Terms returns the mean squared norms: GaussNewton is the Gauss–Newton
// part V_li·(1/N)Σφ'_i x hᵀ, Residual the residual part (1/N)Σ r_l φ'_i x e_iᵀ
// plus the cross term 2⟨GN, res⟩; HiddenDiag and OutputDiag the diagonal
// blocks.
func (c MLPMSECross) Terms() (CrossTerms, error) {
	if err := c.Validate(); err != nil {
		return CrossTerms{}, err
	}
	q, sv2, a, C, d, n, m := MLPSetting(c).scalars()
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

// Ratio returns the predicted R.
func (c MLPMSECross) Ratio() (float64, error) { return ratioOf(c.Terms) }

// ScaledRatioLimit returns lim √C·R at fixed d, N, m (the law's exponent
// is ½).
func (c MLPMSECross) ScaledRatioLimit() (float64, error) {
	big := c
	big.Classes = limitClasses
	r, err := big.Ratio()
	return r * math.Sqrt(float64(big.Classes)), err
}
