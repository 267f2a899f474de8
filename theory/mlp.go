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
