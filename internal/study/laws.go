package study

import (
	"math"
	"sync"

	"github.com/hessblock/hessblock/theory"
)

// The report's theory curves come from package theory; this file only
// adapts them to the grid's sizes and fixes their Monte Carlo seeds, so
// that the same Options give the same report.

// finiteCSeed seeds the Monte Carlo over logits behind every finite-C
// prediction of the report.
const finiteCSeed = 20250502

// linearCEFinite returns the finite-C predictions of R and ρ for linear CE
// at sizes d, N (theory.LinearCEFiniteC.RatioFinite: softmax weights drawn
// independently of the samples). At σ = 0 the law is exact: R = 1/(C−1),
// ρ = 1/C.
func linearCEFinite(c, d, n int, sigma float64) (r, rho float64) {
	if sigma == 0 {
		return 1 / float64(c-1), 1 / float64(c)
	}
	fc := theory.LinearCEFiniteC{Classes: c, Sigma: sigma, Gamma: float64(d) / float64(n),
		Draws: max(4000, 400000/c), Seed: finiteCSeed} // ≈ 4e5 class samples whatever C
	r, err := fc.RatioFinite(d, n)
	if err != nil {
		return math.NaN(), math.NaN()
	}
	return r, theory.OffBlockMassFromRatio(c, r)
}

// linearCELimitKappa2 is lim C²R² = lim C·ρ for linear CE (THEORY §4).
func linearCELimitKappa2(gamma, sigma float64) float64 {
	return theory.LinearCEOffBlockMassLimit(gamma, sigma)
}

// mlpMSEHiddenR2 is THEORY §4's approximate hidden-block law of the ReLU
// network under MSE: R² ≈ (γ/4 + 1/16) / ((C+2)(γ/2 + 1/4)).
func mlpMSEHiddenR2(c int, gamma float64) float64 {
	r := theory.MLPMSEReLURatio(c, gamma)
	return r * r
}

// The finite-size prediction of linear CE costs a Monte Carlo run per C;
// the report asks for the same C many times, so results are memoized.
var (
	finiteMu   sync.Mutex
	finiteMemo = map[[4]float64][2]float64{}
)

// linearCEFiniteSize returns R and ρ for linear CE at C, d, N, σ from
// theory.LinearCEFiniteSize, which samples the softmax weights jointly
// with the samples (exact up to Monte Carlo error). At σ = 0 it is exact.
func linearCEFiniteSize(c, d, n int, sigma float64) (r, rho float64) {
	if sigma == 0 {
		return 1 / float64(c-1), 1 / float64(c)
	}
	key := [4]float64{float64(c), float64(d), float64(n), sigma}
	finiteMu.Lock()
	v, ok := finiteMemo[key]
	finiteMu.Unlock()
	if ok {
		return v[0], v[1]
	}
	fs := theory.LinearCEFiniteSize{Classes: c, Inputs: d, Samples: n, Sigma: sigma,
		Draws: max(2000, 320000/c), Seed: finiteCSeed}
	r, err := fs.Ratio()
	if err != nil {
		return math.NaN(), math.NaN()
	}
	rho = theory.OffBlockMassFromRatio(c, r)
	finiteMu.Lock()
	finiteMemo[key] = [2]float64{r, rho}
	finiteMu.Unlock()
	return r, rho
}

// reluNet returns the report's ReLU network settings (σ_w = σ_v = 1) for
// the cross and hidden laws of theory.
func reluNetCross(c, d, n, m int) theory.MLPCECross {
	return theory.MLPCECross{Activation: theory.ActivationReLU, Classes: c, Inputs: d, Samples: n, Width: m, SigmaW: 1, SigmaV: 1}
}

// mlpCECrossRatio is the approximate hidden–output ratio of the ReLU
// network under CE (theory.MLPCECross).
func mlpCECrossRatio(c, d, n, m int) float64 {
	r, err := reluNetCross(c, d, n, m).Ratio()
	if err != nil {
		return math.NaN()
	}
	return r
}

// mlpCECrossLimit is its C → ∞ plateau.
func mlpCECrossLimit(d, n, m int) float64 {
	r, err := reluNetCross(2, d, n, m).RatioLimit()
	if err != nil {
		return math.NaN()
	}
	return r
}

// mlpCEHiddenRatio is the approximate hidden–hidden ratio of the ReLU
// network under CE (theory.MLPCEHidden).
func mlpCEHiddenRatio(c, d, n, m int) float64 {
	r, err := theory.MLPCEHidden(reluNetCross(c, d, n, m)).Ratio()
	if err != nil {
		return math.NaN()
	}
	return r
}

// mlpMSEHiddenLimit is lim (C+2)·R² of the ReLU network's hidden blocks
// under MSE: (γ/4 + 1/16)/(γ/2 + 1/4).
func mlpMSEHiddenLimit(gamma float64) float64 {
	a, _ := theory.ActivationMoments(theory.ActivationReLU, 1, 0)
	return theory.MLPMSEHiddenRatioSq(0, gamma, a) * 2 // (0+2)·R² at C = 0 is the constant
}
