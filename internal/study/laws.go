package study

import (
	"context"
	"math"
	"sync"

	"github.com/hessblock/hessblock/kind"
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
	return r, theory.RhoFromRatio(c, r)
}

// linearCELimitKappa2 is lim C²R² = lim C·ρ for linear CE (THEORY §4).
func linearCELimitKappa2(gamma, sigma float64) float64 {
	return theory.LinearCEScaledRhoLimit(gamma, sigma)
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
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				linearCEFiniteSize(c, d, n, sigma)
				done(c)
			}
		}()
	}
	// Largest C first: they are the most expensive.
	var err error
feed:
	for i := len(cs) - 1; i >= 0; i-- {
		select {
		case jobs <- cs[i]:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return err
}

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
		Draws: finiteSizeDraws(c), Seed: finiteCSeed}
	r, err := fs.Ratio()
	if err != nil {
		return math.NaN(), math.NaN()
	}
	rho = theory.RhoFromRatio(c, r)
	finiteMu.Lock()
	finiteMemo[key] = [2]float64{r, rho}
	finiteMu.Unlock()
	return r, rho
}

// reluNet returns the report's ReLU network settings (σ_w = σ_v = 1) for
// the cross and hidden laws of theory.
func reluNetCross(c, d, n, m int) theory.MLPCECross {
	return theory.MLPCECross{Activation: kind.ReLU, Classes: c, Inputs: d, Samples: n, Width: m, SigmaW: 1, SigmaV: 1}
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
	r, err := reluNetCross(2, d, n, m).ScaledRatioLimit()
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
	a, _ := theory.ActivationMoments(kind.ReLU, 1, 0)
	return theory.MLPMSEHiddenRatioSq(0, gamma, a) * 2 // (0+2)·R² at C = 0 is the constant
}

// mlpCEOutputConstant is the C → ∞ constant C·R of the ReLU network's
// output blocks under CE (theory.MLPCEOutput; approximate: exact at
// finite m, d up to the C → ∞ step).
func mlpCEOutputConstant(d, n, m int) float64 {
	o := theory.MLPCEOutput{Activation: kind.ReLU, Classes: 2, Inputs: d, Samples: n, Width: m, SigmaW: 1, SigmaV: 1}
	k, err := o.ScaledRatioLimit()
	if err != nil {
		return math.NaN()
	}
	return k
}

// mlpMSECrossRatio is the approximate hidden–output ratio of the ReLU
// network under MSE (theory.MLPMSECross), and mlpMSECrossConstant its
// C → ∞ constant √C·R.
func mlpMSECrossRatio(c, d, n, m int) float64 {
	r, err := theory.MLPMSECross(reluNetCross(c, d, n, m)).Ratio()
	if err != nil {
		return math.NaN()
	}
	return r
}

func mlpMSECrossConstant(d, n, m int) float64 {
	k, err := theory.MLPMSECross(reluNetCross(2, d, n, m)).ScaledRatioLimit()
	if err != nil {
		return math.NaN()
	}
	return k
}
