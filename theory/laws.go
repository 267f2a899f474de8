package theory

import (
	"fmt"
	"math"

	"github.com/hessblock/hessblock/kind"
)

// Status says how firmly a law is established.
type Status int

// activationAny marks a law that holds for every activation.
const activationAny kind.Activation = "any"

const (
	// StatusExact: holds for every C, d, N (an identity, not a limit).
	StatusExact Status = iota
	// StatusLimitExact: exact in the stated limit, with finite-size corrections.
	StatusLimitExact
	// StatusApproximate: the exponent is firm but the constant rests on
	// stated approximations.
	StatusApproximate
	// StatusOpen: no constant is predicted.
	StatusOpen
)

// String returns the status name.
func (s Status) String() string {
	switch s {
	case StatusExact:
		return "exact"
	case StatusLimitExact:
		return "limit-exact"
	case StatusApproximate:
		return "approximate"
	case StatusOpen:
		return "open"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Law is one row of the block-law table (THEORY §4).
type Law struct {
	Model      kind.Model
	Loss       kind.Loss
	Family     kind.Family
	Activation kind.Activation
	// Exponent is a in R ~ const·C^{−a}; NaN when the off-diagonal blocks
	// are exactly zero (R ≡ 0).
	Exponent float64
	// Status qualifies the constant (the exponents listed are all firm).
	Status Status
	// ScaledRatioFormula states lim_{C→∞} C^a·R (a = Exponent) as a
	// formula, naming the law type that evaluates it.
	ScaledRatioFormula string
	// DiagLaw and OffLaw state the limit laws of the scaled blocks.
	DiagLaw, OffLaw string
}

var lawTable = []Law{
	{kind.Linear, kind.MSE, kind.OutputOutput, kind.None, math.NaN(), StatusExact,
		"R = 0, ρ = 0 (H = I_C ⊗ S)", "H_kk = S → MP(γ)", "H_kl = 0"},
	{kind.Linear, kind.CE, kind.OutputOutput, kind.None, 1, StatusLimitExact,
		"C·R → √((1+γe^{2σ²})/(1+γe^{σ²})); C·ρ → (1+γe^{2σ²})/(1+γe^{σ²}); at σ = 0 exactly R = 1/(C−1), ρ = 1/C",
		"C·H_kk → GMP(γ, LogN(−σ²/2, σ²)); σ = 0: (C²/(C−1))·H_kk = S → MP(γ)",
		"−C²·H_kl → GMP(γ, LogN(−σ², 2σ²)); σ = 0: −C²·H_kl = S → MP(γ)"},
	{kind.MLP, kind.MSE, kind.OutputOutput, activationAny, math.NaN(), StatusExact,
		"R = 0 (V–V part is I_C ⊗ Φ)", "H_vkvk = Φ = (1/N) Σ h hᵀ", "0"},
	{kind.MLP, kind.MSE, kind.HiddenHidden, kind.Identity, 0.5, StatusLimitExact,
		"R² → 1/(C+2) (Gaussian V)", "H_ii/‖v^i‖² = S → MP(γ)", "H_ij/(v^i·v^j) = S → MP(γ)"},
	{kind.MLP, kind.MSE, kind.HiddenHidden, kind.ReLU, 0.5, StatusApproximate,
		"R² ≈ (γP₂ + P₂²)/((C+2)(γ/2 + 1/4)), P₂ = ¼ + arcsin(cos θ_ij)/(2π) ≈ ¼ for random W",
		"H_ii/‖v^i‖² → GMP(γ, Bernoulli(½))", "H_ij/(v^i·v^j) → GMP(γ, Bernoulli(P₂))"},
	{kind.MLP, kind.MSE, kind.HiddenHidden, kind.Tanh, 0.5, StatusApproximate,
		"R² ≈ (γb₂ + b₁²)/((C+2)(γa₂ + a₁²)), a the moments of ψ = φ'² + φφ″ (the residual term), b of φ'_iφ'_j (mlpMSEHiddenMoments)",
		"H_ii/‖v^i‖² → GMP(γ, law of ψ(u))", "H_ij/(v^i·v^j) → GMP(γ, law of φ'(u_i)φ'(u_j))"},
	{kind.MLP, kind.CE, kind.HiddenHidden, activationAny, 0.5, StatusApproximate,
		"C·R² ≈ (γ'S + X)/(γ'Eψ²(1+(3e^{s²}−1)/C) + γ'(m/σ_v²)Eφ″²(1+(e^{s²}−2)/C) + (Eψ)²(1+2/C)), ψ = φ'² + φφ″, γ' = (d+2)/N; S, X the finite-m moments of the tilted off-diagonal weight, → e^{s²}b₂ and e^{σ_b²}b₁² (s² = σ_v²E‖h‖²/m, σ_b² = σ_v²(Eφ)²) as m → ∞ (MLPCEHidden; the first-order form is MLPCEHidden at d, N, m → ∞, and with Eφ″ = 0, σ_b² = 0 the first-order form)",
		"≈ (σ_v²/m)·GMP(γ, ·)", "≈ (σ_v²/(m√C))·(mean-zero GMP-like law)"},
	{kind.MLP, kind.CE, kind.OutputOutput, activationAny, 1, StatusApproximate,
		"(C·R)² → [E e^{2σ_v²κ}κ²/N + E e^{2σ_v²ρ}ρ²] / [E e^{σ_v²κ}κ²/N + E e^{σ_v²ρ}ρ²], κ = ‖h‖²/m, ρ = hᵀh'/m (MLPCEOutput: softmax averaged over V, exact at finite m, d; C → ∞ step only); ReLU σ_v = 1: ≈ √(e^{σ_v²(Eφ)²}) times finite-m factors",
		"as linear CE with x → h", "as linear CE with x → h"},
	{kind.MLP, kind.MSE, kind.HiddenOutput, activationAny, 0.5, StatusApproximate,
		"√C·R → constant: R² ≈ [2(σ_v²/m)K + 2(σ_v²/m)(γ'Eφ'²φ² + q(Eψ)²) + γEφ'²/C] / √(mean‖H_ii‖²·‖Φ‖_F²), K = γ'[(m−1)Eφ'²Eφ² + Eφ'²φ²] + q[(m−1)((Eφ″Eφ)² + (Eφ')⁴) + (Eψ)²], mean‖H_ii‖² ≈ d(σ_v²/m)²(C²+2C)(γ'Eψ² + (Eψ)²), ψ = φ'² + φφ″, γ' = (d+2)/N, Φ = (1/N)Σhhᵀ (MLPMSECross); the Gauss–Newton and residual parts are equal on average",
		"", ""},
	{kind.MLP, kind.CE, kind.HiddenOutput, activationAny, 0, StatusApproximate,
		"R² ≈ [γEφ'²(1 − 2/C + e^{s²}/C)/C + G/C²] / √(mean‖H_ii‖²·mean‖H_ll‖²) (MLPCECross): the residual term r_l φ'_i x e_iᵀ has norm² ≈ γEφ'²/C, the normalizer is O(1/C), so R → √(γEφ'²/(C√(mean‖H_ii‖²mean‖H_ll‖²))) > 0; C^{−1/2} only for γ·C ≪ G/Eφ'²",
		"", ""},
}

// Lookup returns the law for (model, loss, family, activation); it is the
// one place that maps a block family to its law. A row with Activation
// "any" matches every activation of the MLP; the law returned then carries
// the activation asked for, so that Predict uses that activation's moments.
func Lookup(model kind.Model, loss kind.Loss, family kind.Family, act kind.Activation) (Law, error) {
	for _, l := range lawTable {
		if l.Model != model || l.Loss != loss || l.Family != family {
			continue
		}
		if l.Activation == act {
			return l, nil
		}
		if l.Activation == activationAny && act != kind.None {
			l.Activation = act
			return l, nil
		}
	}
	return Law{}, paramError("no block law for model %q, loss %q, family %q, activation %q", model, loss, family, act)
}

// Setting holds the parameters a prediction needs. Sizes are optional
// where a law has a d, N → ∞ form; laws that need them say so by error.
type Setting struct {
	Classes int     // C ≥ 2
	Inputs  int     // d; 0 for the d, N → ∞ limit at ratio Gamma
	Samples int     // N; 0 to derive N = round(d/γ) from Inputs and Gamma
	Width   int     // m, hidden units of the MLP
	Gamma   float64 // γ = d/N > 0; 0 to derive it from Inputs and Samples
	Sigma   float64 // linear model: W_kj ~ N(0, σ²/d)
	SigmaW  float64 // MLP: W_ij ~ N(0, σ_w²/d)
	SigmaV  float64 // MLP: V_ki ~ N(0, σ_v²/m)
	// Draws and Seed size the Monte Carlo of linear CE at σ > 0 (defaults
	// 4000 and 1, used when Draws is 0).
	Draws int
	Seed  uint64
}

// Prediction is what a Law predicts in a Setting. Fields that are not
// predicted are NaN (numbers) or nil (laws).
type Prediction struct {
	// Ratio is R at the setting's C; Rho is the off-block mass ρ (linear
	// model only).
	Ratio, Rho float64
	// ScaledRatioLimit is lim_{C→∞} C^a·R with a the law's Exponent, the
	// other parameters of the setting held fixed (a = 1: lim C·R; a = ½:
	// lim √C·R; a = 0: the plateau of R). NaN when R ≡ 0.
	ScaledRatioLimit float64
	// Diag and Off are the limit laws of the scaled blocks DiagScale·H_aa
	// and OffScale·H_ab; the scales are NaN when they depend on the
	// realization (e.g. 1/‖v^i‖²; see Law.DiagLaw).
	Diag, Off           SpectralLaw
	DiagScale, OffScale float64
	Status              Status
}

// Predict evaluates the law in s. For linear CE with σ > 0 the ratio and ρ
// come from Monte Carlo over the softmax weights: LinearCEFiniteSize when
// s.Inputs is set (weights sampled jointly with x, exact up to Monte Carlo
// error), otherwise the d → ∞ deterministic equivalent LinearCEFiniteC.
func (l Law) Predict(s Setting) (Prediction, error) {
	s, err := s.normalized()
	if err != nil {
		return Prediction{}, err
	}
	nan := math.NaN()
	p := Prediction{Ratio: nan, Rho: nan, ScaledRatioLimit: nan, DiagScale: nan, OffScale: nan, Status: l.Status}
	switch {
	case l.Model == kind.Linear && l.Loss == kind.MSE:
		p.Ratio, p.Rho = 0, 0
		p.Diag, p.DiagScale = MarchenkoPastur{Gamma: s.Gamma, Scale: 1}, 1
		return p, nil
	case l.Model == kind.Linear && l.Loss == kind.CE:
		return predictLinearCE(p, s)
	case l.Family == kind.OutputOutput && l.Loss == kind.MSE:
		p.Ratio = 0
		return p, nil
	case l.Family == kind.HiddenHidden && l.Loss == kind.MSE:
		return predictMLPMSEHidden(p, s, l.activation())
	case l.Family == kind.HiddenHidden && l.Loss == kind.CE:
		return predictMLPCEHidden(p, s, l.activation())
	}
	// The remaining laws need the MLP's sizes.
	if s.Width < 1 || s.Inputs < 1 {
		return Prediction{}, paramError("%s %s %s law needs Width and Inputs ≥ 1", l.Model, l.Loss, l.Family)
	}
	m := s.mlp(l.activation())
	var ratio, limit func() (float64, error)
	switch {
	case l.Family == kind.HiddenOutput && l.Loss == kind.CE:
		ratio, limit = MLPCECross(m).Ratio, MLPCECross(m).ScaledRatioLimit
	case l.Family == kind.OutputOutput && l.Loss == kind.CE:
		ratio, limit = MLPCEOutput(m).Ratio, MLPCEOutput(m).ScaledRatioLimit
	case l.Family == kind.HiddenOutput && l.Loss == kind.MSE:
		ratio, limit = MLPMSECross(m).Ratio, MLPMSECross(m).ScaledRatioLimit
	default:
		return Prediction{}, paramError("law %s %s %s has no prediction", l.Model, l.Loss, l.Family)
	}
	if p.Ratio, err = ratio(); err != nil {
		return Prediction{}, err
	}
	if p.ScaledRatioLimit, err = limit(); err != nil {
		return Prediction{}, err
	}
	return p, nil
}

// normalized checks s and fills in γ or N from the other two of d, N, γ.
func (s Setting) normalized() (Setting, error) {
	if s.Gamma == 0 && s.Inputs >= 1 && s.Samples >= 1 {
		s.Gamma = float64(s.Inputs) / float64(s.Samples)
	}
	if s.Classes < 2 || !isFinite(s.Gamma) || s.Gamma <= 0 {
		return s, paramError("prediction needs Classes ≥ 2 and Gamma > 0 (or Inputs and Samples ≥ 1), got %d, %v", s.Classes, s.Gamma)
	}
	if s.Samples == 0 && s.Inputs >= 1 {
		s.Samples = max(1, int(math.Round(float64(s.Inputs)/s.Gamma)))
	}
	if s.Draws == 0 {
		s.Draws, s.Seed = 4000, 1
	}
	return s, nil
}

// mlp is the MLPSetting of a prediction with activation act.
func (s Setting) mlp(act kind.Activation) MLPSetting {
	return MLPSetting{Activation: act, Classes: s.Classes, Inputs: s.Inputs,
		Samples: s.Samples, Width: s.Width, SigmaW: s.SigmaW, SigmaV: s.SigmaV}
}

// activation is the activation a law predicts for. A law looked up with a
// concrete activation carries it; a row of the table for "any" activation
// predicts for ReLU.
func (l Law) activation() kind.Activation {
	if l.Activation == activationAny {
		return kind.ReLU
	}
	return l.Activation
}

func predictLinearCE(p Prediction, s Setting) (Prediction, error) {
	if !isFinite(s.Sigma) || s.Sigma < 0 {
		return Prediction{}, paramError("linear CE needs Sigma ≥ 0, got %v", s.Sigma)
	}
	C := float64(s.Classes)
	p.ScaledRatioLimit = linearCEScaledRatioLimit(s.Gamma, s.Sigma)
	if s.Sigma == 0 {
		mp := MarchenkoPastur{Gamma: s.Gamma, Scale: 1}
		p.Ratio, p.Rho = 1/(C-1), 1/C
		p.Diag, p.Off, p.DiagScale, p.OffScale = mp, mp, C*C/(C-1), -C*C
		p.Status = StatusExact
		return p, nil
	}
	var err error
	if s.Inputs >= 1 {
		fs := LinearCEFiniteSize{Classes: s.Classes, Inputs: s.Inputs, Samples: s.Samples, Sigma: s.Sigma, Draws: s.Draws, Seed: s.Seed}
		p.Ratio, err = fs.Ratio()
	} else {
		fc := LinearCEFiniteC{Classes: s.Classes, Sigma: s.Sigma, Gamma: s.Gamma, Draws: s.Draws, Seed: s.Seed}
		p.Ratio, err = fc.Ratio()
	}
	if err != nil {
		return Prediction{}, err
	}
	p.Rho = RhoFromRatio(s.Classes, p.Ratio)
	if p.Diag, err = linearCEDiagLaw(s.Gamma, s.Sigma); err != nil {
		return Prediction{}, err
	}
	if p.Off, err = linearCEOffDiagLaw(s.Gamma, s.Sigma); err != nil {
		return Prediction{}, err
	}
	p.DiagScale, p.OffScale = C, -C*C
	return p, nil
}

func predictMLPMSEHidden(p Prediction, s Setting, act kind.Activation) (Prediction, error) {
	a, err := mlpMSEHiddenMoments(act, sq(s.SigmaW))
	if err != nil {
		return Prediction{}, err
	}
	p.Ratio = math.Sqrt(mlpMSEHiddenRatioSq(s.Classes, s.Gamma, a))
	p.ScaledRatioLimit = math.Sqrt(mlpMSEHiddenScaledRatioSqLimit(s.Gamma, a))
	switch act {
	case kind.Identity:
		mp := MarchenkoPastur{Gamma: s.Gamma, Scale: 1}
		p.Diag, p.Off = mp, mp
	case kind.ReLU:
		if p.Diag, err = NewGeneralizedMP(s.Gamma, BernoulliWeights{P: 0.5}); err != nil {
			return Prediction{}, err
		}
		if p.Off, err = NewGeneralizedMP(s.Gamma, BernoulliWeights{P: 0.25}); err != nil {
			return Prediction{}, err
		}
	}
	return p, nil
}

// predictMLPCEHidden uses MLPCEHidden when the sizes are known, and its
// first-order d, N, m → ∞ form otherwise.
func predictMLPCEHidden(p Prediction, s Setting, act kind.Activation) (Prediction, error) {
	if s.Width >= 1 && s.Inputs >= 1 {
		h := MLPCEHidden(s.mlp(act))
		var err error
		if p.Ratio, err = h.Ratio(); err != nil {
			return Prediction{}, err
		}
		if p.ScaledRatioLimit, err = h.ScaledRatioLimit(); err != nil {
			return Prediction{}, err
		}
		return p, nil
	}
	a, err := activationMoments(act, sq(s.SigmaW), 0)
	if err != nil {
		return Prediction{}, err
	}
	s2 := logitVariance(act, s.SigmaW, s.SigmaV)
	p.Ratio = math.Sqrt(mlpCEHiddenRatioSq(s.Classes, s.Gamma, s2, a))
	p.ScaledRatioLimit = math.Sqrt(float64(limitClasses) * mlpCEHiddenRatioSq(limitClasses, s.Gamma, s2, a))
	return p, nil
}

// limitClasses stands for C → ∞ in laws evaluated at finite C: every
// 1/C correction is below 1e−12 there.
const limitClasses = 1 << 40
