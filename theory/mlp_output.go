package theory

import "math"

// MLPCEOutput predicts the output–output pair ratio of the one-hidden-layer
// network under CE at random initialization (THEORY §4, "MLP, CE, output
// blocks"). Averaging the softmax weights over the
// Gaussian rows of V first (exact as C → ∞) leaves expectations of
// e^{t·hᵀh'/m} over the features alone, which are evaluated exactly at
// finite m and d: the hidden units are iid given the two inputs, so the
// moment generating function of hᵀh'/m is the m-th power of a
// two-dimensional Gaussian integral. The one approximation is the
// C → ∞ step (softmax denominator replaced by its mean over the classes,
// p_k(1−p_k) by p_k), so C·R is a constant; Status approximate.
type MLPCEOutput MLPSetting

// Validate checks the sizes, scales and activation.
func (o MLPCEOutput) Validate() error { return MLPSetting(o).validate("MLPCEOutput") }

// blockNorms evaluates the four parts of the scaled block norms.
//
// With C p_k ≈ exp(v_k·h − σ_v²‖h‖²/(2m)) (the softmax denominator at its
// mean over Gaussian rows v_j), a diagonal block has weight
// w = exp(a·h − α‖h‖²/(2m)) with a = v_k, α = σ_v², and an off-diagonal
// one the same with a = v_k + v_l, α = 2σ_v²; in both cases a ~ N(0, α/m·I).
// Averaging over a: E_a w(h)² = e^{α‖h‖²/m}, E_a w(h)w(h') = e^{α hᵀh'/m}.
func (o MLPCEOutput) blockNorms() (outputNorms, error) {
	if err := o.Validate(); err != nil {
		return outputNorms{}, err
	}
	m, n, d := float64(o.Width), float64(o.Samples), float64(o.Inputs)
	s := o.SigmaV * o.SigmaV
	k := newFeatureKernel(o.Activation, o.SigmaW)
	// Outer expectation over r = ‖x‖²/d, r' = ‖x'‖²/d and c = cos∠(x, x').
	rs, wr, cs, wc := outerNodes(d, 8, 10)
	var out outputNorms
	for i, r1 := range rs {
		// Same-sample terms: κ = ‖h‖²/m.
		ds, err := k.selfMoment(r1, s, m)
		if err != nil {
			return outputNorms{}, err
		}
		os, err := k.selfMoment(r1, 2*s, m)
		if err != nil {
			return outputNorms{}, err
		}
		out.DiagSelf += wr[i] * ds / n
		out.OffSelf += wr[i] * os / n
		for j, r2 := range rs {
			for l, c := range cs {
				w := wr[i] * wr[j] * wc[l] * (1 - 1/n)
				dc, err := k.pairMoment(r1, r2, c, s, m)
				if err != nil {
					return outputNorms{}, err
				}
				oc, err := k.pairMoment(r1, r2, c, 2*s, m)
				if err != nil {
					return outputNorms{}, err
				}
				out.DiagCross += w * dc
				out.OffCross += w * oc
			}
		}
	}
	return out, nil
}

// ScaledRatioLimit returns lim C·R = √(Off/Diag).
func (o MLPCEOutput) ScaledRatioLimit() (float64, error) {
	b, err := o.blockNorms()
	if err != nil {
		return math.NaN(), err
	}
	return math.Sqrt(b.Off() / b.Diag()), nil
}

// Ratio returns the predicted R = Constant/C.
func (o MLPCEOutput) Ratio() (float64, error) {
	k, err := o.ScaledRatioLimit()
	return k / float64(o.Classes), err
}

// outputNorms are the C → ∞ mean squared Frobenius norms of the scaled
// output blocks C·H_kk (Diag) and C²·H_kl (Off), divided by m², split into
// the same-sample (1/N)·E[w²‖h‖⁴] and the cross-sample
// (1−1/N)·E[w w'(hᵀh')²] parts.
type outputNorms struct {
	DiagSelf, DiagCross float64
	OffSelf, OffCross   float64
}

// Diag returns the diagonal norm DiagSelf + DiagCross.
func (o outputNorms) Diag() float64 { return o.DiagSelf + o.DiagCross }

// Off returns the off-diagonal norm OffSelf + OffCross.
func (o outputNorms) Off() float64 { return o.OffSelf + o.OffCross }

// featureNorms returns ‖Φ‖_F²/m² for Φ = (1/N)Σ h hᵀ:
// (1/N)E(‖h‖²/m)² + (1−1/N)E(hᵀh'/m)², exact at finite m and d.
func (o MLPCEOutput) featureNorms() (float64, error) {
	m, n, d := float64(o.Width), float64(o.Samples), float64(o.Inputs)
	k := newFeatureKernel(o.Activation, o.SigmaW)
	rs, wr, cs, wc := outerNodes(d, 8, 10)
	var out float64
	for i, r1 := range rs {
		s, err := k.selfMoment(r1, 0, m)
		if err != nil {
			return math.NaN(), err
		}
		out += wr[i] * s / n
		for j, r2 := range rs {
			for l, c := range cs {
				p, err := k.pairMoment(r1, r2, c, 0, m)
				if err != nil {
					return math.NaN(), err
				}
				out += wr[i] * wr[j] * wc[l] * (1 - 1/n) * p
			}
		}
	}
	return out, nil
}
