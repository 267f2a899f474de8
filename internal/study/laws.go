package study

import (
	"context"
	"math"
	"sync"

	"github.com/hessblock/hessblock/internal/pool"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/theory"
)

// The report's theory curves come from the law table of package theory
// (theory.Lookup, Law.Predict); this file only adapts them to the grid's
// sizes, fixes their Monte Carlo seeds, so that the same Options give the
// same report, and memoizes the expensive ones.

// finiteCSeed seeds the Monte Carlo over logits behind every finite-C
// prediction of the report.
const finiteCSeed = 20250502

// predict evaluates the table's law for (model, loss, family) in s. The
// report's MLP is the ReLU network with σ_w = σ_v = 1. A law that cannot be
// evaluated gives NaN fields, which the figures leave out.
func predict(model kind.Model, loss kind.Loss, fam kind.Family, s theory.Setting) theory.Prediction {
	nan := math.NaN()
	bad := theory.Prediction{Ratio: nan, Rho: nan, ScaledRatioLimit: nan}
	act := kind.None
	if model == kind.MLP {
		act, s.SigmaW, s.SigmaV = kind.ReLU, 1, 1
	}
	law, err := theory.Lookup(model, loss, fam, act)
	if err != nil {
		return bad
	}
	p, err := law.Predict(s)
	if err != nil {
		return bad
	}
	return p
}

// linearCELimitKappa2 is κ² = lim C²R² = lim C·ρ for linear CE (THEORY §4).
func linearCELimitKappa2(gamma, sigma float64) float64 {
	// One draw: only the C → ∞ limit, which needs no Monte Carlo, is used.
	k := predict(kind.Linear, kind.CE, kind.OutputOutput, theory.Setting{Classes: 2, Gamma: gamma, Sigma: sigma, Draws: 1}).ScaledRatioLimit
	return k * k
}

// mlpMSEHiddenR2 is THEORY §4's approximate hidden-block law of the ReLU
// network under MSE: R² ≈ (γ/4 + 1/16) / ((C+2)(γ/2 + 1/4)).
func mlpMSEHiddenR2(c int, gamma float64) float64 {
	r := predict(kind.MLP, kind.MSE, kind.HiddenHidden, theory.Setting{Classes: c, Gamma: gamma}).Ratio
	return r * r
}

// The finite-size prediction of linear CE costs a Monte Carlo run per C;
// the report asks for the same C many times, so results are memoized.
var (
	finiteMu   sync.Mutex
	finiteMemo = map[[4]float64][2]float64{}
)

// finiteSizeDraws is the Monte Carlo size of linearCEFiniteSize at C
// classes. Each draw averages over its C classes, so at small C more draws
// are needed; at large C the error is set by the draws of x (relative
// standard error of R ≈ 0.2/√Draws, measured), so 2·10⁴ draws keep it near
// 0.15% — well below the seed-to-seed spread of the measured C·R, and
// below a pixel on the linear C·R axis of Figure 3 — at about 0.8 s per
// call at C = 1024. It depends on C alone, so a memoized value does not
// depend on which caller asked first.
func finiteSizeDraws(c int) int { return max(20000, 320000/c) }

// prefetchLinearCEFiniteSize evaluates linearCEFiniteSize at every C of cs
// with the given number of goroutines, filling the memo; the results are
// those of sequential calls (every C has its own fixed seed). It stops
// early, returning ctx.Err(), when ctx is cancelled.
func prefetchLinearCEFiniteSize(ctx context.Context, cs []int, d, n int, sigma float64, workers int, done func(c int)) error {
	// Largest C first: they are the most expensive.
	return pool.Run(ctx, len(cs), workers, func(i int) error {
		c := cs[len(cs)-1-i]
		linearCEFiniteSize(c, d, n, sigma)
		done(c)
		return nil
	})
}

// linearCEFiniteSize returns R and ρ for linear CE at C, d, N, σ from the
// table (theory.LinearCEFiniteSize with d set: the softmax weights are
// sampled jointly with the samples, exact up to Monte Carlo error). At
// σ = 0 it is exact.
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
	p := predict(kind.Linear, kind.CE, kind.OutputOutput, theory.Setting{Classes: c, Inputs: d, Samples: n, Sigma: sigma,
		Draws: finiteSizeDraws(c), Seed: finiteCSeed})
	if math.IsNaN(p.Ratio) {
		return math.NaN(), math.NaN()
	}
	finiteMu.Lock()
	finiteMemo[key] = [2]float64{p.Ratio, p.Rho}
	finiteMu.Unlock()
	return p.Ratio, p.Rho
}

// mlpAt is the MLP setting of the report's network laws.
func mlpAt(c, d, n, m int) theory.Setting {
	return theory.Setting{Classes: c, Inputs: d, Samples: n, Width: m}
}

// mlpCECrossRatio is the approximate hidden–output ratio of the ReLU
// network under CE (theory.MLPCECross).
func mlpCECrossRatio(c, d, n, m int) float64 {
	return predict(kind.MLP, kind.CE, kind.HiddenOutput, mlpAt(c, d, n, m)).Ratio
}

// mlpCECrossLimit is its C → ∞ plateau (the law's exponent is 0).
func mlpCECrossLimit(d, n, m int) float64 {
	return predict(kind.MLP, kind.CE, kind.HiddenOutput, mlpAt(2, d, n, m)).ScaledRatioLimit
}

// mlpCEHiddenRatio is the approximate hidden–hidden ratio of the ReLU
// network under CE (theory.MLPCEHidden).
func mlpCEHiddenRatio(c, d, n, m int) float64 {
	return predict(kind.MLP, kind.CE, kind.HiddenHidden, mlpAt(c, d, n, m)).Ratio
}

// mlpMSEHiddenLimit is lim (C+2)·R² = lim C·R² of the ReLU network's hidden
// blocks under MSE: (γ/4 + 1/16)/(γ/2 + 1/4).
func mlpMSEHiddenLimit(gamma float64) float64 {
	k := predict(kind.MLP, kind.MSE, kind.HiddenHidden, theory.Setting{Classes: 2, Gamma: gamma}).ScaledRatioLimit
	return k * k
}

// mlpCEOutputConstant is the C → ∞ constant C·R of the ReLU network's
// output blocks under CE (theory.MLPCEOutput; approximate: exact at
// finite m, d up to the C → ∞ step).
func mlpCEOutputConstant(d, n, m int) float64 {
	return predict(kind.MLP, kind.CE, kind.OutputOutput, mlpAt(2, d, n, m)).ScaledRatioLimit
}

// mlpMSECrossRatio is the approximate hidden–output ratio of the ReLU
// network under MSE (theory.MLPMSECross), and mlpMSECrossConstant its
// C → ∞ constant √C·R.
func mlpMSECrossRatio(c, d, n, m int) float64 {
	return predict(kind.MLP, kind.MSE, kind.HiddenOutput, mlpAt(c, d, n, m)).Ratio
}

func mlpMSECrossConstant(d, n, m int) float64 {
	return predict(kind.MLP, kind.MSE, kind.HiddenOutput, mlpAt(2, d, n, m)).ScaledRatioLimit
}
