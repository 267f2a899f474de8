package hessblock_test

// Statistical properties of THEORY §5 (items 5 and 6, and the finite-C
// deterministic equivalent of linear CE): finite-size numerics against
// laws that hold in expectation or in the limit.
//
// Every test uses fixed seed lists, so it is deterministic. Tolerances are
// built as
//
//	(finite-size bias allowance) + 6 · (seed-to-seed spread) / √(#seeds)
//
// where the spread is a constant measured once with 24 seeds (stated next
// to it, inflated by 1.5 to cover the uncertainty of a 24-seed estimate)
// rather than the spread of the few seeds in the run, whose own error would
// need a Student-t factor of ~40 at 1e−6. A fresh seed list fails a
// 6σ bound with Gaussian two-sided probability 2e−9; the bias allowances
// are deterministic quantities computed from theory (or, where theory's
// constant is only approximate, stated and justified), so the false-failure
// rate of each assertion is below 1e−8 and of the whole file below 1e−6.

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/theory"
)

// seedsFor returns the fixed seed list: n seeds normally, fewer under -short.
func seedsFor(n, short int) []uint64 {
	if testing.Short() {
		n = short
	}
	s := make([]uint64, n)
	for i := range s {
		s[i] = uint64(i + 1)
	}
	return s
}

// ratios runs the structured statistics of cfg for every C and seed and
// returns R[family][seed][c] and ρ[seed][c].
func ratios(t *testing.T, base numerics.Config, classes []int, seeds []uint64, fams []kind.Family) (map[kind.Family][][]float64, [][]float64) {
	t.Helper()
	r := map[kind.Family][][]float64{}
	rho := make([][]float64, len(seeds))
	for _, f := range fams {
		r[f] = make([][]float64, len(seeds))
	}
	for si, seed := range seeds {
		for _, c := range classes {
			cfg := base
			cfg.C, cfg.Seed = c, seed
			p := mustProblem(t, cfg)
			st, err := p.StructuredStats(numerics.StructuredOptions{SkipBlockNorms: true})
			if err != nil {
				t.Fatalf("%v: %v", cfg, err)
			}
			for _, f := range fams {
				r[f][si] = append(r[f][si], st.Ratio(f))
			}
			rho[si] = append(rho[si], st.Rho)
		}
	}
	return r, rho
}

// slopeStats fits log R against log C per seed and returns the mean and
// the observed spread of the slopes (the latter only for the log).
func slopeStats(classes []int, perSeed [][]float64) (mean, sd float64) {
	xs := make([]float64, len(classes))
	for i, c := range classes {
		xs[i] = math.Log(float64(c))
	}
	var sl []float64
	for _, ys := range perSeed {
		sl = append(sl, fitSlope(xs, logs(ys)))
	}
	return meanSD(sl)
}

// slopeOf fits log y against log C.
func slopeOf(classes []int, ys []float64) float64 {
	xs := make([]float64, len(classes))
	for i, c := range classes {
		xs[i] = math.Log(float64(c))
	}
	return fitSlope(xs, logs(ys))
}

// ---------------------------------------------------------------------------
// §5.5 and the deterministic equivalent: linear CE output blocks.

// TestScalingLinearCEOutput checks the linear model under CE at σ = 1
// (d = 100, N = 400, C = 8 … 512) three ways:
//
//  1. R(C) and ρ(C), averaged over seeds, against the finite-size
//     deterministic equivalent theory.LinearCEFiniteSize (exact in
//     expectation up to its Monte Carlo error, which it reports).
//     Spread: the per-seed relative sd of R is 0.2–0.7 % over this grid
//     (24 seeds); we use 1 % for R and 2 % for ρ ≈ (C−1)R²/(1+(C−1)R²).
//  2. The fitted slope of log R against log C against the slope of the
//     deterministic equivalent. Spread: per-seed slope sd 0.0024 (24
//     seeds), used as 0.0036.
//  3. The claim of §5.5: slope −1, with the finite-C bias allowance
//     |slope_DE + 1| (C·R still drifts from 1.25 to 1.34 over the grid).
func TestScalingLinearCEOutput(t *testing.T) {
	const (
		d, n       = 100, 400
		sigma      = 1.0
		relSpreadR = 0.01
		slopeSD    = 0.0036
	)
	classes := []int{8, 16, 32, 64, 128, 256, 512}
	seeds := seedsFor(4, 2)
	draws := 8000
	if testing.Short() {
		draws = 2000
	}
	base := numerics.Config{Model: kind.Linear, Loss: kind.CE, D: d, N: n, Sigma: sigma}
	r, rho := ratios(t, base, classes, seeds, []kind.Family{kind.OutputOutput})
	rr := r[kind.OutputOutput]
	ns := float64(len(seeds))

	de := make([]float64, len(classes))
	deRelErr := make([]float64, len(classes))
	for i, c := range classes {
		f := theory.LinearCEFiniteSize{Classes: c, Inputs: d, Samples: n, Sigma: sigma, Draws: draws, Seed: 1}
		b, err := f.BlockNorms()
		if err != nil {
			t.Fatal(err)
		}
		de[i] = math.Sqrt(b.Off/b.Diag) / float64(c)
		deRelErr[i] = b.RatioErr / de[i]

		var meanR, meanRho float64
		for si := range seeds {
			meanR += rr[si][i] / ns
			meanRho += rho[si][i] / ns
		}
		tolR := 6 * math.Hypot(relSpreadR/math.Sqrt(ns), deRelErr[i])
		if e := meanR/de[i] - 1; math.Abs(e) > tolR {
			t.Errorf("C=%d: mean R = %.5f, deterministic equivalent %.5f: relative error %+.4f > %.4f", c, meanR, de[i], e, tolR)
		}
		rhoDE := theory.RhoFromRatio(c, de[i])
		tolRho := 6 * math.Hypot(2*relSpreadR/math.Sqrt(ns), 2*deRelErr[i])
		if e := meanRho/rhoDE - 1; math.Abs(e) > tolRho {
			t.Errorf("C=%d: mean ρ = %.5f, deterministic equivalent %.5f: relative error %+.4f > %.4f", c, meanRho, rhoDE, e, tolRho)
		}
		t.Logf("C=%4d  C·R = %.4f (DE %.4f ± %.4f)  C·ρ = %.4f (DE %.4f)", c, float64(c)*meanR, float64(c)*de[i], float64(c)*b.RatioErr, float64(c)*meanRho, float64(c)*rhoDE)
	}

	mean, sd := slopeStats(classes, rr)
	slopeDE := slopeOf(classes, de)
	// Monte Carlo error of the DE slope: the slope is Σ w_i log R_i with
	// w_i = (x_i − x̄)/Σ(x − x̄)², and the R_i come from independent draws.
	xs := logs(intsToFloats(classes))
	xbar, _ := meanSD(xs)
	var sxx, varDE float64
	for _, x := range xs {
		sxx += (x - xbar) * (x - xbar)
	}
	for i, x := range xs {
		w := (x - xbar) / sxx
		varDE += w * w * deRelErr[i] * deRelErr[i]
	}
	tol := 6 * math.Sqrt(slopeSD*slopeSD/ns+varDE)
	if math.Abs(mean-slopeDE) > tol {
		t.Errorf("slope of log R vs log C: %.4f (seed sd %.4f), deterministic equivalent %.4f: |Δ| > %.4f", mean, sd, slopeDE, tol)
	}
	bias := math.Abs(slopeDE + 1)
	if math.Abs(mean+1) > bias+tol {
		t.Errorf("slope of log R vs log C: %.4f, want −1 within finite-C bias %.4f + %.4f", mean, bias, tol)
	}
	t.Logf("slope %.4f (seed sd %.4f), DE slope %.4f, claim −1 (bias allowance %.4f, sampling %.4f)", mean, sd, slopeDE, bias, tol)
}

func intsToFloats(xs []int) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// TestLinearCEDeterministicEquivalentSigmaHalf repeats the per-C check of
// TestScalingLinearCEOutput at σ = ½ (lighter-tailed weights), where C·R
// falls from 1.17 to 1.04 over the grid, towards the limit
// the C → ∞ limit of the table (theory.Lookup). Same spread constants (the measured per-seed
// spread at σ = ½ is smaller than at σ = 1).
func TestLinearCEDeterministicEquivalentSigmaHalf(t *testing.T) {
	const (
		d, n       = 100, 400
		sigma      = 0.5
		relSpreadR = 0.01
	)
	classes := []int{8, 64, 512}
	seeds := seedsFor(3, 2)
	base := numerics.Config{Model: kind.Linear, Loss: kind.CE, D: d, N: n, Sigma: sigma}
	r, rho := ratios(t, base, classes, seeds, []kind.Family{kind.OutputOutput})
	ns := float64(len(seeds))
	for i, c := range classes {
		f := theory.LinearCEFiniteSize{Classes: c, Inputs: d, Samples: n, Sigma: sigma, Draws: 4000, Seed: 2}
		b, err := f.BlockNorms()
		if err != nil {
			t.Fatal(err)
		}
		de := math.Sqrt(b.Off/b.Diag) / float64(c)
		var meanR, meanRho float64
		for si := range seeds {
			meanR += r[kind.OutputOutput][si][i] / ns
			meanRho += rho[si][i] / ns
		}
		tolR := 6 * math.Hypot(relSpreadR/math.Sqrt(ns), b.RatioErr/de)
		if e := meanR/de - 1; math.Abs(e) > tolR {
			t.Errorf("C=%d: mean R = %.5f, deterministic equivalent %.5f: relative error %+.4f > %.4f", c, meanR, de, e, tolR)
		}
		rhoDE := theory.RhoFromRatio(c, de)
		if e := meanRho/rhoDE - 1; math.Abs(e) > 2*tolR {
			t.Errorf("C=%d: mean ρ = %.5f, deterministic equivalent %.5f: relative error %+.4f > %.4f", c, meanRho, rhoDE, e, 2*tolR)
		}
		lim := predict(t, kind.Linear, kind.CE, kind.OutputOutput, kind.None,
			theory.Setting{Classes: c, Gamma: float64(d) / float64(n), Sigma: sigma, Draws: 1}).ScaledRatioLimit
		t.Logf("C=%3d  C·R = %.4f (DE %.4f, limit %.4f)", c, float64(c)*meanR, float64(c)*de, lim)
	}
}

// ---------------------------------------------------------------------------
// §5.5: the network.

// networkSlopeCase is one activation of the CE network sweep with its
// measured per-seed slope spreads (24 seeds, d = 32, N = 256, m = 32,
// σ_w = σ_v = 1, C = 16 … 512), inflated by 1.5.
type networkSlopeCase struct {
	act             kind.Activation
	outSD, hiddenSD float64 // measured 0.0068 / 0.0181 (ReLU), 0.0010 / 0.0147 (tanh)
}

// TestScalingMLPCE checks the exponents of THEORY §4 for the
// one-hidden-layer network under CE: output blocks separate like C^{−1},
// hidden blocks like C^{−1/2}.
//
// Bias allowances. Output: theory has no exact finite-C law for the
// network; the linear model's deterministic equivalent drifts by 0.02–0.025
// in slope over comparable grids (TestScalingLinearCEOutput), so we allow
// 0.03. Hidden: the table (theory.Lookup without sizes) gives the approximate finite-C
// law; its slope over the grid (−0.47 for ReLU) is the bias estimate, and
// since its constant rests on stated approximations we allow a further
// 0.03 for model error (the measured slopes are within 0.015 of it).
func TestScalingMLPCE(t *testing.T) {
	const d, n, m = 32, 256, 32
	classes := []int{16, 32, 64, 128, 256, 512}
	seeds := seedsFor(4, 2)
	ns := float64(len(seeds))
	cases := []networkSlopeCase{
		{kind.ReLU, 1.5 * 0.0068, 1.5 * 0.0181},
		{kind.Tanh, 1.5 * 0.0010, 1.5 * 0.0147},
	}
	if testing.Short() {
		cases = cases[:1]
	}
	for _, tc := range cases {
		t.Run(string(tc.act), func(t *testing.T) {
			base := numerics.Config{Model: kind.MLP, Activation: tc.act, Loss: kind.CE, D: d, N: n, M: m, SigmaW: 1, SigmaV: 1}
			r, _ := ratios(t, base, classes, seeds, []kind.Family{kind.OutputOutput, kind.HiddenHidden})

			outMean, outSD := slopeStats(classes, r[kind.OutputOutput])
			tolOut := 0.03 + 6*tc.outSD/math.Sqrt(ns)
			if math.Abs(outMean+1) > tolOut {
				t.Errorf("output blocks: slope %.4f (seed sd %.4f), want −1 ± %.4f", outMean, outSD, tolOut)
			}

			// Without Width and Inputs the table gives the first-order
			// d, N, m → ∞ form of the hidden law.
			pred := make([]float64, len(classes))
			for i, c := range classes {
				pred[i] = predict(t, kind.MLP, kind.CE, kind.HiddenHidden, tc.act,
					theory.Setting{Classes: c, Gamma: float64(d) / float64(n), SigmaW: 1, SigmaV: 1}).Ratio
			}
			predSlope := slopeOf(classes, pred)
			hidMean, hidSD := slopeStats(classes, r[kind.HiddenHidden])
			tolHid := 0.03 + 6*tc.hiddenSD/math.Sqrt(ns)
			if math.Abs(hidMean-predSlope) > tolHid {
				t.Errorf("hidden blocks: slope %.4f (seed sd %.4f), approximate finite-C law %.4f: |Δ| > %.4f", hidMean, hidSD, predSlope, tolHid)
			}
			if bias := math.Abs(predSlope + 0.5); math.Abs(hidMean+0.5) > bias+tolHid {
				t.Errorf("hidden blocks: slope %.4f, want −½ within finite-C bias %.4f + %.4f", hidMean, bias, tolHid)
			}
			t.Logf("output slope %.4f (sd %.4f); hidden slope %.4f (sd %.4f), approximate law %.4f", outMean, outSD, hidMean, hidSD, predSlope)
		})
	}
}

// TestScalingIdentityMLPMSEHidden: for the identity network under MSE,
// R(hidden)² = mean_{i≠j}(v^i·v^j)²/mean_i‖v^i‖⁴ exactly
// (TestPropIdentityMLPMSEExactLaw), whose expectation ratio is
// E(v^i·v^j)²/E‖v^i‖⁴ = 1/(C+2) for Gaussian V (THEORY §4.4). The slope of
// log R against log C must match that of −½·log(C+2) over the grid (the
// finite-C form of the exponent −½). Spread: per-seed slope sd 0.0062
// (24 seeds, m = 64, C = 4 … 1024), used as 0.0093; R depends on V only,
// so d and N are kept tiny.
func TestScalingIdentityMLPMSEHidden(t *testing.T) {
	const slopeSD = 1.5 * 0.0062
	classes := []int{4, 16, 64, 256, 1024}
	seeds := seedsFor(4, 2)
	base := numerics.Config{Model: kind.MLP, Activation: kind.Identity, Loss: kind.MSE, D: 4, N: 8, M: 64, SigmaW: 1, SigmaV: 1}
	r, _ := ratios(t, base, classes, seeds, []kind.Family{kind.HiddenHidden})
	exact := make([]float64, len(classes))
	for i, c := range classes {
		exact[i] = predict(t, kind.MLP, kind.MSE, kind.HiddenHidden, kind.Identity,
			theory.Setting{Classes: c, Inputs: 4, Samples: 8, SigmaW: 1, SigmaV: 1}).Ratio
	}
	want := slopeOf(classes, exact)
	mean, sd := slopeStats(classes, r[kind.HiddenHidden])
	tol := 6 * slopeSD / math.Sqrt(float64(len(seeds)))
	if math.Abs(mean-want) > tol {
		t.Errorf("hidden slope %.4f (seed sd %.4f), exact law −½·log(C+2) gives %.4f: |Δ| > %.4f", mean, sd, want, tol)
	}
	t.Logf("hidden slope %.4f (sd %.4f), law %.4f, asymptotic −0.5", mean, sd, want)
}

// ---------------------------------------------------------------------------
// §5.6: spectral laws by Kolmogorov–Smirnov distance.

// ksCase produces, for one d and seed, the eigenvalues of a scaled block
// and the CDF of its predicted law.
type ksCase struct {
	name string
	run  func(t *testing.T, d int, seed uint64) (eigs []float64, cdf func(float64) float64)
}

// TestSpectralLawsKS compares the ESD of scaled diagonal and off-diagonal
// blocks with their predicted laws (THEORY §3–4) and checks that the KS
// distance shrinks as d grows at fixed γ.
//
// Predicted laws use the weights actually drawn (THEORY §3.3: the finite-size
// check uses the empirical law of the τ_n of that matrix), so the only
// error left is the ESD's own, which is O(1/d) by eigenvalue rigidity.
// Measured (10 seeds, d = 32 … 256, every case): d·KS has mean 1.85–3.47
// and sd ≤ 0.57, max 4.0 (the mean creeps up slowly with d, as the
// log-factor of rigidity bounds allows). Bounds:
//   - d·KS ≤ 8 for every d and seed: ≥ 7.9 sd above the largest mean, a
//     one-sided Gaussian tail below 2e−15 per value (and rigidity gives
//     tails lighter than Gaussian), so below 1e−12 for all values of a run.
//   - mean KS at the largest d ≤ ½·mean KS at the smallest (d grows 8×;
//     the measured ratio is 0.16–0.23; failing needs the mean of d·KS to
//     grow 4× instead of ≤ 1.8×).
//
// Continuous weights (linear CE at σ > 0) are binned into 32 equal-mass
// atoms so that the GMP CDF is cheap: binning moved d·KS by ≤ 0.06
// (measured at d = 64, 128), ≤ 1 % of the bound.
func TestSpectralLawsKS(t *testing.T) {
	dims := []int{32, 64, 128, 256}
	seeds := seedsFor(3, 2)
	if testing.Short() {
		dims = []int{32, 64, 128}
	}
	cases := []ksCase{
		{"linear-CE σ=0 C²/(C−1)·H_kk vs MP", func(t *testing.T, d int, seed uint64) ([]float64, func(float64) float64) {
			const c = 7
			p := mustProblem(t, numerics.Config{Model: kind.Linear, Loss: kind.CE, C: c, D: d, N: 4 * d, Seed: seed})
			return blockEigs(t, p, 0, 0, c*c/float64(c-1)), theory.MarchenkoPastur{Gamma: 0.25, Scale: 1}.CDF
		}},
		{"linear-CE σ=0 −C²·H_kl vs MP", func(t *testing.T, d int, seed uint64) ([]float64, func(float64) float64) {
			const c = 7
			p := mustProblem(t, numerics.Config{Model: kind.Linear, Loss: kind.CE, C: c, D: d, N: 4 * d, Seed: seed})
			return blockEigs(t, p, 0, 1, -c*c), theory.MarchenkoPastur{Gamma: 0.25, Scale: 1}.CDF
		}},
		{"linear-CE σ=1 C·H_kk vs GMP(γ, C·p_k(1−p_k))", func(t *testing.T, d int, seed uint64) ([]float64, func(float64) float64) {
			const c = 10
			p := mustProblem(t, numerics.Config{Model: kind.Linear, Loss: kind.CE, C: c, D: d, N: 4 * d, Sigma: 1, Seed: seed})
			tau := sampleWeights(p, func(p0, _ float64) float64 { return c * p0 * (1 - p0) })
			return blockEigs(t, p, 0, 0, c), gmpCDF(t, 0.25, binnedWeights(tau, 32))
		}},
		{"linear-CE σ=1 −C²·H_kl vs GMP(γ, C²·p_k p_l)", func(t *testing.T, d int, seed uint64) ([]float64, func(float64) float64) {
			const c = 10
			p := mustProblem(t, numerics.Config{Model: kind.Linear, Loss: kind.CE, C: c, D: d, N: 4 * d, Sigma: 1, Seed: seed})
			tau := sampleWeights(p, func(p0, p1 float64) float64 { return c * c * p0 * p1 })
			return blockEigs(t, p, 0, 1, -c*c), gmpCDF(t, 0.25, binnedWeights(tau, 32))
		}},
		// ReLU network under MSE: H_ij = (v^i·v^j)·(1/N) Σ 1[u_i>0]1[u_j>0] x xᵀ
		// exactly. γ = 1/8 keeps the off-diagonal law (active fraction ≈ ¼)
		// away from the hard edge γ/q = 1.
		{"relu-MSE H_ii/‖v^i‖² vs GMP(γ, Bernoulli)", func(t *testing.T, d int, seed uint64) ([]float64, func(float64) float64) {
			p, act := reluNetwork(t, d, seed)
			vv := vtv(p)
			return blockEigs(t, p, 0, 0, 1/vv.At(0, 0)), gmpCDF(t, 0.125, theory.EmpiricalWeights{Samples: act[0]})
		}},
		{"relu-MSE H_ij/(v^i·v^j) vs GMP(γ, Bernoulli)", func(t *testing.T, d int, seed uint64) ([]float64, func(float64) float64) {
			p, act := reluNetwork(t, d, seed)
			vv := vtv(p)
			both := make([]float64, len(act[0]))
			for i := range both {
				both[i] = act[0][i] * act[1][i]
			}
			return blockEigs(t, p, 0, 1, 1/vv.At(0, 1)), gmpCDF(t, 0.125, theory.EmpiricalWeights{Samples: both})
		}},
	}
	for _, kc := range cases {
		t.Run(kc.name, func(t *testing.T) {
			means := make([]float64, len(dims))
			for di, d := range dims {
				var row []float64
				for _, seed := range seeds {
					eigs, cdf := kc.run(t, d, seed)
					ks := ksDistance(eigs, cdf)
					if ks*float64(d) > 8 {
						t.Errorf("d=%d seed=%d: KS = %.4f, d·KS = %.2f > 8", d, seed, ks, ks*float64(d))
					}
					row = append(row, ks)
				}
				means[di], _ = meanSD(row)
			}
			if last := means[len(means)-1]; last > 0.5*means[0] {
				t.Errorf("KS does not shrink with d: mean %.4f at d=%d, %.4f at d=%d", means[0], dims[0], last, dims[len(dims)-1])
			}
			t.Logf("mean KS by d %v: %.4f", dims, means)
		})
	}
}

func blockEigs(t *testing.T, p *numerics.Problem, a, b int, scale float64) []float64 {
	t.Helper()
	blk, err := p.Block(a, b)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := numerics.SymmetricEigenvalues(blk)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ev {
		ev[i] *= scale
	}
	return ev
}

func gmpCDF(t *testing.T, gamma float64, w theory.WeightLaw) func(float64) float64 {
	t.Helper()
	g, err := theory.NewGeneralizedMP(gamma, w)
	if err != nil {
		t.Fatal(err)
	}
	return g.CDF
}

// binnedWeights replaces samples by nb equal-mass atoms at the bin means.
func binnedWeights(xs []float64, nb int) theory.DiscreteWeights {
	s := slices.Clone(xs)
	slices.Sort(s)
	var vals, probs []float64
	for b := 0; b < nb; b++ {
		lo, hi := b*len(s)/nb, (b+1)*len(s)/nb
		if hi <= lo {
			continue
		}
		var m float64
		for _, v := range s[lo:hi] {
			m += v
		}
		vals = append(vals, m/float64(hi-lo))
		probs = append(probs, float64(hi-lo)/float64(len(s)))
	}
	return theory.DiscreteWeights{Values: vals, Probs: probs}
}

// softmaxRows returns p_n = softmax(W x_n) for the linear model, one row
// per sample, recomputed here from THEORY §1.
func softmaxRows(p *numerics.Problem) *mat.Dense {
	cfg := p.Config()
	z := mat.NewDense(cfg.N, cfg.C, nil)
	z.Mul(p.X(), p.W().T())
	for n := 0; n < cfg.N; n++ {
		row := z.RawRowView(n)
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		var s float64
		for k := range row {
			row[k] = math.Exp(row[k] - mx)
			s += row[k]
		}
		for k := range row {
			row[k] /= s
		}
	}
	return z
}

// reluNetwork is a ReLU network under MSE with N = 8d (γ = 1/8), m = 4;
// it also returns the activity indicators 1[u_ni > 0] of units 0 and 1.
func reluNetwork(t *testing.T, d int, seed uint64) (*numerics.Problem, [2][]float64) {
	p := mustProblem(t, numerics.Config{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.MSE, C: 10, D: d, N: 8 * d, M: 4, SigmaW: 1, SigmaV: 1, Seed: seed})
	u := mat.NewDense(8*d, 4, nil)
	u.Mul(p.X(), p.W().T())
	var act [2][]float64
	for k := range act {
		act[k] = make([]float64, 8*d)
		for i := range act[k] {
			if u.At(i, k) > 0 {
				act[k][i] = 1
			}
		}
	}
	return p, act
}

func vtv(p *numerics.Problem) *mat.Dense {
	_, m := p.V().Dims()
	vv := mat.NewDense(m, m, nil)
	vv.Mul(p.V().T(), p.V())
	return vv
}

// sampleWeights returns the GMP weight of every sample, w(p_n0, p_n1), from
// the class probabilities of classes 0 and 1 (softmaxRows: computed here,
// independently of numerics).
func sampleWeights(p *numerics.Problem, w func(p0, p1 float64) float64) []float64 {
	pr := softmaxRows(p)
	n, _ := pr.Dims()
	tau := make([]float64, n)
	for i := range tau {
		tau[i] = w(pr.At(i, 0), pr.At(i, 1))
	}
	return tau
}
