package theory

import "github.com/hessblock/hessblock/kind"

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

// validate checks the sizes, scales and activation; law names the law
// type in the error, so that a caller holding several laws knows which
// one refused.
func (s MLPSetting) validate(law string) error {
	switch {
	case s.Classes < 2:
		return paramError("%s: Classes must be ≥ 2, got %d", law, s.Classes)
	case s.Inputs < 1 || s.Samples < 1 || s.Width < 1:
		return paramError("%s: Inputs, Samples and Width must be ≥ 1, got %d, %d, %d", law, s.Inputs, s.Samples, s.Width)
	case !isFinite(s.SigmaW) || s.SigmaW <= 0 || !isFinite(s.SigmaV) || s.SigmaV <= 0:
		return paramError("%s: SigmaW and SigmaV must be finite and > 0, got %v, %v", law, s.SigmaW, s.SigmaV)
	}
	if _, err := activationStats(s.Activation, s.SigmaW*s.SigmaW); err != nil {
		return paramError("%s: Activation must be identity, relu or tanh, got %q", law, s.Activation)
	}
	return nil
}

// scalars returns what the cross laws' formulas start from: q = σ_w²,
// σ_v², the activation's Gaussian moments at q, and C, d, N, m as floats.
// The setting must be valid.
func (s MLPSetting) scalars() (q, sv2 float64, a actStats, C, d, n, m float64) {
	q, sv2 = s.SigmaW*s.SigmaW, s.SigmaV*s.SigmaV
	a, _ = activationStats(s.Activation, q)
	return q, sv2, a, float64(s.Classes), float64(s.Inputs), float64(s.Samples), float64(s.Width)
}
