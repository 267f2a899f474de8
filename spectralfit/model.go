package spectralfit

import (
	"fmt"
	"math"

	"github.com/hessblock/hessblock/theory"
)

// Model is a family of limit spectral laws at a known ratio γ, indexed by
// the parameters a Fit reports.
type Model int

const (
	// MP is the Marchenko–Pastur law MP(γ, σ²) of σ²·XXᵀ/N.
	// Params: [σ²].
	MP Model = iota + 1
	// GMPLogNormal is the generalized MP law of (1/N) Σ τ_n x_n x_nᵀ with
	// log-normal weights τ = exp(μ + s·g), g ~ N(0, 1); e^μ is the scale.
	// Params: [μ, s]. The weight law is discretized by LogNormalNodes
	// Gauss–Hermite nodes (theory.LogNormalWeights).
	GMPLogNormal
	// GMPTwoPoint is the generalized MP law with weights τ = Low with
	// probability 1 − P and τ = High with probability P, 0 < Low < High.
	// Params: [Low, High, P].
	GMPTwoPoint
)

// LogNormalNodes is the number of Gauss–Hermite nodes of the log-normal
// weight law in GMPLogNormal fits: a few per cent of spectral mass moves
// between neighbouring atoms' islands against 100 nodes, far below the KS
// distance of any sample of a size worth fitting, at a third of the cost.
const LogNormalNodes = 32

func (m Model) String() string {
	switch m {
	case MP:
		return "MP"
	case GMPLogNormal:
		return "GMPLogNormal"
	case GMPTwoPoint:
		return "GMPTwoPoint"
	}
	return fmt.Sprintf("Model(%d)", int(m))
}

// NumParams returns the number of parameters of the model, 0 for an
// unknown one.
func (m Model) NumParams() int {
	switch m {
	case MP:
		return 1
	case GMPLogNormal:
		return 2
	case GMPTwoPoint:
		return 3
	}
	return 0
}

// The optimizer works on unconstrained coordinates u; params maps them to
// the model's parameters and coords back.

func (m Model) params(u []float64) []float64 {
	switch m {
	case MP:
		return []float64{math.Exp(u[0])}
	case GMPLogNormal:
		return []float64{u[0], math.Abs(u[1])}
	case GMPTwoPoint:
		lo := math.Exp(u[0])
		return []float64{lo, lo * (1 + math.Exp(u[1])), 1 / (1 + math.Exp(-u[2]))}
	}
	return nil
}

func (m Model) coords(p []float64) []float64 {
	switch m {
	case MP:
		return []float64{math.Log(p[0])}
	case GMPLogNormal:
		return []float64{p[0], p[1]}
	case GMPTwoPoint:
		return []float64{math.Log(p[0]), math.Log(p[1]/p[0] - 1), math.Log(p[2] / (1 - p[2]))}
	}
	return nil
}

// law builds the spectral law of the parameters; an error for parameters
// the law rejects (the optimizer then sees +Inf).
func (m Model) law(gamma float64, p []float64) (theory.SpectralLaw, error) {
	switch m {
	case MP:
		mp := theory.MarchenkoPastur{Gamma: gamma, Scale: p[0]}
		return mp, mp.Validate()
	case GMPLogNormal:
		return theory.NewGeneralizedMP(gamma, theory.LogNormalWeights{Mu: p[0], Sigma: p[1], Nodes: LogNormalNodes})
	case GMPTwoPoint:
		return theory.NewGeneralizedMP(gamma, theory.DiscreteWeights{Values: []float64{p[0], p[1]}, Probs: []float64{1 - p[2], p[2]}})
	}
	return nil, fmt.Errorf("spectralfit: unknown model %v", m)
}

// initial returns moment estimates of the parameters from the sample mean
// and squared coefficient of variation cv2 = variance/mean²: a GMP law has
// mean E τ and variance γ·E τ² (for MP, σ² and γσ⁴), so they fix E τ and
// E τ² = mean²·cv2/γ.
func (m Model) initial(gamma, mean, cv2 float64) []float64 {
	second := mean * mean * math.Max(cv2/gamma, 1+1e-4)
	switch m {
	case MP:
		return []float64{mean}
	case GMPLogNormal:
		// E τ = e^{μ+s²/2}, E τ² = e^{2μ+2s²}.
		// Inside the explored region even for heavy-tailed samples.
		s2 := clamp(math.Log(second/(mean*mean)), 0.01, 0.5*maxLogNormalWidth*maxLogNormalWidth)
		return []float64{math.Log(mean) - s2/2, math.Sqrt(s2)}
	case GMPTwoPoint:
		// P = 1/2: Low, High = E τ ∓ sd(τ), kept positive.
		sd := math.Min(math.Sqrt(second-mean*mean), 0.9*mean)
		return []float64{mean - sd, mean + sd, 0.5}
	}
	return nil
}

// maxLogNormalWidth bounds the log-normal width s the fit explores: at
// s = 3 the central 95% of the weights spread over e^{±6}, a factor 10⁵,
// and the spectrum breaks into isolated islands rather than a bulk with an
// edge (and each evaluation solves the GMP equation on dozens of them).
const maxLogNormalWidth = 3

// sane reports whether parameters lie in the region the optimizer
// explores (the objective is +Inf outside it).
func (m Model) sane(p []float64) bool {
	for _, x := range p {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	switch m {
	case MP:
		return p[0] > 1e-300 && p[0] < 1e300
	case GMPLogNormal:
		return math.Abs(p[0]) < 600 && p[1] <= maxLogNormalWidth
	case GMPTwoPoint:
		return p[0] > 1e-300 && p[1] < 1e300 && p[1] > p[0]*(1+1e-9) && p[2] > 1e-6 && p[2] < 1-1e-6
	}
	return false
}

// interior reports whether fitted parameters lie well inside the explored
// region: a fit that runs to its border (a scale of 0 or ∞, a log-normal
// width above 0.9·maxLogNormalWidth, a two-point probability of 0 or 1, Low =
// High) has not converged to a law of the family.
func (m Model) interior(p []float64) bool {
	if !m.sane(p) {
		return false
	}
	switch m {
	case MP:
		return p[0] > 1e-290 && p[0] < 1e290
	case GMPLogNormal:
		return math.Abs(p[0]) < 590 && p[1] < 0.9*maxLogNormalWidth
	case GMPTwoPoint:
		return p[0] > 1e-290 && p[1] < 1e290 && p[1] > p[0]*(1+1e-6) && p[2] > 1e-4 && p[2] < 1-1e-4
	}
	return false
}
