// Package theory holds the laws against which the block structure of
// random-initialization Hessians is checked: the spectral laws of the
// scaled blocks (THEORY §3) and the table of block-ratio laws (THEORY §4).
// The derivations are in THEORY.md; this page says what to call for what.
//
// Package theory imports no other package of the module but kind, for the
// vocabulary of models, losses, activations and block families. Bad
// parameters are errors wrapping ErrInvalidParameter (from Validate, or
// from the call); methods of a distribution with invalid parameters
// return NaN instead of panicking.
//
// # Notation
//
// C classes, d inputs, N samples, m hidden units; γ = d/N (Gamma);
// R the ratio of an off-diagonal to a diagonal block norm (Ratio); ρ the
// off-block mass (Rho). A law's Exponent a says R ~ C^{−a}, and
// ScaledRatioLimit is lim_{C→∞} C^a·R: lim C·R for the output blocks, lim
// √C·R for the hidden ones, lim R for the CE hidden–output blocks, which
// level off. Sizes are named Classes, Inputs, Samples and Width.
//
// # Spectral laws
//
// MarchenkoPastur is MP(γ, s), the law of s·XXᵀ/N; GeneralizedMP, built
// with NewGeneralizedMP, is the law of (1/N) Σ τ_n x_n x_nᵀ for weights τ
// drawn from a WeightLaw (DiscreteWeights, BernoulliWeights,
// LogNormalWeights, EmpiricalWeights). Both follow gonum's stat/distuv
// (Prob, LogProb, CDF, Quantile, Mean, Variance, Rand through Src; they
// satisfy distuv.RandLogProber and distuv.Quantiler) and add Moment,
// Stieltjes, Support and Atom, the mass at 0 that CDF and Quantile include
// and Prob leaves out (SpectralLaw):
//
//	mp := theory.MarchenkoPastur{Gamma: 0.25, Scale: 1}
//	p := mp.CDF(1) // P(λ ≤ 1)
//	g, err := theory.NewGeneralizedMP(0.25, theory.BernoulliWeights{P: 0.5})
//	x := g.Quantile(0.5)
//
// # Block laws
//
// Lookup is the one map from a block family to its law; Law.Predict
// evaluates the law in a Setting:
//
//	law, err := theory.Lookup(kind.MLP, kind.CE, kind.HiddenOutput, kind.ReLU)
//	p, err := law.Predict(theory.Setting{Classes: 64, Inputs: 128, Samples: 512,
//		Width: 32, SigmaW: 1, SigmaV: 1})
//	// p.Ratio is R at C = 64, p.ScaledRatioLimit its C → ∞ plateau,
//	// p.Status how firm the law is.
//
// A Prediction also carries, where the law has them, the limit spectral
// laws of the scaled blocks (Diag, Off, with DiagScale, OffScale) and, for
// the linear model, ρ. Linear CE at σ > 0 is Monte Carlo over the softmax
// weights (Setting.Draws, Setting.Seed): with Inputs set, LinearCEFiniteSize
// samples them jointly with x; without, LinearCEFiniteC is the d → ∞
// deterministic equivalent at γ.
//
// The law types behind the table can be used directly when a caller needs
// their parts: LinearCEFiniteC (RatioFinite: finite d, N),
// LinearCEFiniteSize (BlockNorms with Monte Carlo errors), and, on an
// MLPSetting, MLPCECross and MLPMSECross (Terms: the residual and
// Gauss–Newton parts), MLPCEHidden and MLPCEOutput. Each validates its own
// fields and names itself in its errors.
package theory
