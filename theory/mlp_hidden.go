package theory

import (
	"math"

	"github.com/hessblock/hessblock/kind"
)

// mlpMSEHiddenRatioSq returns R² = (γB2 + B1²)/((C+2)(γA2 + A1²)) for the
// hidden blocks under MSE. For ReLU with cos θ = 0 it is
// (γ/4 + 1/16)/((C+2)(γ/2 + 1/4)).
func mlpMSEHiddenRatioSq(classes int, gamma float64, a actMoments) float64 {
	return (gamma*a.B2 + a.B1*a.B1) / ((float64(classes) + 2) * (gamma*a.A2 + a.A1*a.A1))
}

// mlpMSEHiddenScaledRatioSqLimit returns lim_{C→∞} C·R² of the MSE hidden
// law, (γB2 + B1²)/(γA2 + A1²).
func mlpMSEHiddenScaledRatioSqLimit(gamma float64, a actMoments) float64 {
	return (gamma*a.B2 + a.B1*a.B1) / (gamma*a.A2 + a.A1*a.A1)
}

// mlpCEHiddenRatioSq returns the approximate hidden-block R² under CE:
//
//	R² ≈ (γe^{s²}B2 + B1²) / (C·[γA2(1 + (3e^{s²}−1)/C) + A1²(1 + 2/C)]),
//
// derived in THEORY §4 ("MLP, CE, hidden blocks"). At s² = 0 it reduces to
// the MSE form.
func mlpCEHiddenRatioSq(classes int, gamma, s2 float64, a actMoments) float64 {
	C, e := float64(classes), math.Exp(s2)
	return (gamma*e*a.B2 + a.B1*a.B1) / (C * (gamma*a.A2*(1+(3*e-1)/C) + a.A1*a.A1*(1+2/C)))
}

// MLPCEHidden predicts the hidden–hidden pair ratio of the one-hidden-layer
// network under CE at random initialization, refining the first-order
// mlpCEHiddenRatioSq by two effects it leaves out (THEORY §4, "Tanh and
// class offsets", "Finite width"): the residual term φ”_i (Vᵀr)_i of the diagonal blocks
// (tanh; zero for identity and ReLU), whose weight is of order σ_v/√m and
// so dominates the Gauss–Newton weight σ_v²/m, and the class offsets
// V_k·E h of a non-centred activation (ReLU), which raise the mean square
// of the off-diagonal weight by e^{σ_v²(Eφ)²}. Approximate.
type MLPCEHidden MLPSetting

// Validate checks the sizes, scales and activation.
func (h MLPCEHidden) Validate() error { return MLPSetting(h).validate("MLPCEHidden") }

// FirstOrderRatioSq returns the first-order form
//
//	R² ≈ (γ'e^{s²}B2 + e^{σ_b²}B1²) / (C[γ'A2(1+(3e^{s²}−1)/C) + γ'D2·(m/σ_v²)(1+(e^{s²}−2)/C) + A1²(1+2/C)])
//
// with γ' = (d+2)/N, s² the logit variance, σ_b² = σ_v²(Eφ)², D2 = E φ”².
// RatioSq refines it at finite width.
func (h MLPCEHidden) FirstOrderRatioSq() (float64, error) {
	if err := h.Validate(); err != nil {
		return math.NaN(), err
	}
	q := h.SigmaW * h.SigmaW
	sv2 := h.SigmaV * h.SigmaV
	a, _ := activationMoments(h.Activation, q, 0)
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

// ratioSq returns
//
//	R² ≈ (γ'S + X) / (C[γ'Eψ²(1+(3e^{s²}−1)/C) + γ'D2·(m/σ_v²)(1+(e^{s²}−2)/C) + (Eψ)²(1+2/C)])
//
// with γ' = (d+2)/N, ψ = φ'² + φφ” and D2 = E φ”². The numerator's
// S = E[‖x‖⁴/(d(d+2))·M_s^{m−2}Q_s²] and X = E[(xᵀx')²/d·M^{m−2}Q²] are the
// exact finite-m moments of the tilted off-diagonal weight (package
// documentation): X → e^{σ_b²}B1² and S → e^{s²}B2 as m → ∞.
func (h MLPCEHidden) ratioSq() (float64, error) {
	if err := h.Validate(); err != nil {
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
		return math.NaN(), paramError("MLPCEHidden: C = %d is below the softmax tilt scale E e^{σ_v²‖h‖²/m} = %.3g; the finite-width C → ∞ moments do not apply (the first-order form applies)", h.Classes, ts)
	}
	self, cross, err := hiddenOffMoments(h.Activation, h.SigmaW, h.SigmaV, h.Inputs, h.Width)
	if err != nil {
		return math.NaN(), err
	}
	num := g*self + cross
	den := g*p2*(1+(3*es-1)/C) + g*d2*(m/sv2)*(1+(es-2)/C) + p1*p1*(1+2/C)
	return num / (C * den), nil
}

// Ratio returns the predicted R of the hidden–hidden family.
func (h MLPCEHidden) Ratio() (float64, error) {
	r2, err := h.ratioSq()
	return math.Sqrt(r2), err
}

// ScaledRatioLimit returns lim √C·R at fixed d, N, m (the law's exponent
// is ½).
func (h MLPCEHidden) ScaledRatioLimit() (float64, error) {
	big := h
	big.Classes = limitClasses
	r, err := big.Ratio()
	return math.Sqrt(float64(limitClasses)) * r, err
}

// TiltScale returns E_x e^{σ_v²‖h‖²/m}, the C → ∞ value of C·E Σ_k p_k²
// (the softmax weights' mean square). The finite-width moments of
// RatioSq are those of the softmax tilt, which a finite C realizes only
// for C ≫ TiltScale; RatioSq refuses C < TiltScale.
func (h MLPCEHidden) TiltScale() (float64, error) {
	if err := h.Validate(); err != nil {
		return math.NaN(), err
	}
	k := newFeatureKernel(h.Activation, h.SigmaW)
	m := float64(h.Width)
	tau := h.SigmaV * h.SigmaV / m
	rs, wr, _, _ := outerNodes(float64(h.Inputs), 8, 1)
	var out float64
	for i, r := range rs {
		ms, _, err := k.unitSelfMoments(r, tau)
		if err != nil {
			return math.Inf(1), nil
		}
		out += wr[i] * math.Pow(ms, m)
	}
	return out, nil
}

// hiddenOffMoments returns the finite-m moments of the hidden–hidden
// off-diagonal weight, in units of (σ_v²/m)²/C:
// self = E[‖x‖⁴/(d(d+2))·M_s^{m−2}Q_s²] (same sample) and
// cross = E[(xᵀx')²/d·M^{m−2}Q²] (two samples); they replace e^{s²}B2 and
// e^{σ_b²}B1² of the first-order law.
func hiddenOffMoments(act kind.Activation, sw, sv float64, d, m int) (self, cross float64, err error) {
	k := newFeatureKernel(act, sw)
	df, mf := float64(d), float64(m)
	tau := sv * sv / mf
	rs, wr, cs, wc := outerNodes(df, 8, 10)
	for i, r1 := range rs {
		ms, qs, err := k.unitSelfMoments(r1, tau)
		if err != nil {
			return math.NaN(), math.NaN(), err
		}
		self += wr[i] * r1 * r1 * df / (df + 2) * math.Pow(ms, mf-2) * qs * qs
		for j, r2 := range rs {
			for l, c := range cs {
				mm, qq, err := k.unitMoments(r1, r2, c, tau)
				if err != nil {
					return math.NaN(), math.NaN(), err
				}
				cross += wr[i] * wr[j] * wc[l] * df * r1 * r2 * c * c * math.Pow(mm, mf-2) * qq * qq
			}
		}
	}
	return self, cross, nil
}
