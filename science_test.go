package hessblock_test

// Checks of the findings in SCIENCE.md: theory's finite-size and
// network-CE laws against exact block statistics of numerics. Every
// problem comes from a fixed seed; tolerances are stated against the
// seed-to-seed spread measured at these sizes.

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/theory"
)

// scienceStats returns the exact (structured) block statistics.
func scienceStats(t *testing.T, cfg numerics.Config) (*numerics.Problem, *numerics.StructuredStats) {
	t.Helper()
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.StructuredStats(numerics.StructuredOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p, st
}

// crossParts splits the hidden–output blocks of a CE network,
// H_{w_i v_l} = (1/N)Σ_n [a_n x_n h_nᵀ + b_n x_n e_iᵀ] with a_n = φ'_ni
// (A_nV)_li and b_n = r_nl φ'_ni (THEORY §2), into the mean over pairs of
// ‖Gauss–Newton part‖², ‖residual part‖² and the cross term 2⟨GN, res⟩,
// from the problem's data and weights alone (independent of numerics'
// Hessian code). ReLU only.
func crossParts(p *numerics.Problem) (gn, res, cross float64) {
	cfg := p.Config()
	n, c, m := cfg.N, cfg.C, cfg.M
	x, w, v := p.X(), p.W(), p.V()
	var u mat.Dense
	u.Mul(x, w.T())
	h := mat.NewDense(n, m, nil)
	dphi := mat.NewDense(n, m, nil)
	for s := 0; s < n; s++ {
		for i := 0; i < m; i++ {
			if u.At(s, i) > 0 {
				h.Set(s, i, u.At(s, i))
				dphi.Set(s, i, 1)
			}
		}
	}
	var z mat.Dense
	z.Mul(h, v.T())
	prob := mat.NewDense(n, c, nil)
	for s := 0; s < n; s++ {
		mx := math.Inf(-1)
		for k := 0; k < c; k++ {
			mx = math.Max(mx, z.At(s, k))
		}
		var sum float64
		for k := 0; k < c; k++ {
			sum += math.Exp(z.At(s, k) - mx)
		}
		for k := 0; k < c; k++ {
			prob.Set(s, k, math.Exp(z.At(s, k)-mx)/sum)
		}
	}
	var vp, gx, gh mat.Dense
	vp.Mul(prob, v) // (Σ_k p_nk V_ki)
	gx.Mul(x, x.T())
	gh.Mul(h, h.T())
	gg := mat.NewDense(n, n, nil)
	gg.MulElem(&gx, &gh)
	y := p.Labels()
	fa := mat.NewDense(n, c, nil)
	fb := mat.NewDense(n, c, nil)
	fah := mat.NewDense(n, c, nil)
	var t1, t2 mat.Dense
	for i := 0; i < m; i++ {
		for s := 0; s < n; s++ {
			for l := 0; l < c; l++ {
				a := dphi.At(s, i) * prob.At(s, l) * (v.At(l, i) - vp.At(s, i))
				r := prob.At(s, l)
				if y[s] == l {
					r--
				}
				fa.Set(s, l, a)
				fah.Set(s, l, a*h.At(s, i))
				fb.Set(s, l, dphi.At(s, i)*r)
			}
		}
		t1.Mul(gg, fa)
		t2.Mul(&gx, fb)
		for s := 0; s < n; s++ {
			for l := 0; l < c; l++ {
				gn += fa.At(s, l) * t1.At(s, l)
				res += fb.At(s, l) * t2.At(s, l)
				cross += 2 * fah.At(s, l) * t2.At(s, l)
			}
		}
	}
	norm := float64(n) * float64(n) * float64(m*c)
	return gn / norm, res / norm, cross / norm
}

// TestScienceCrossResidual checks finding A: the hidden–output blocks of a
// ReLU network under CE are dominated by their residual part, whose mean
// squared norm is γ·Eφ'²·(1 − 2/C + e^{s²}/C)/C, so R does not decay.
func TestScienceCrossResidual(t *testing.T) {
	const d, n, m, c = 24, 96, 8, 32
	var resMean, rMeas, rGN float64
	const seeds = 3
	for s := uint64(1); s <= seeds; s++ {
		cfg := numerics.Config{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: c, D: d, N: n, M: m, SigmaW: 1, SigmaV: 1, Seed: s}
		p, st := scienceStats(t, cfg)
		gn, res, cr := crossParts(p)
		// The decomposition is exact: it must add up to numerics' sum.
		if got, want := (gn+res+cr)*float64(m*c), st.Sums.Off[kind.HiddenOutput]; math.Abs(got/want-1) > 1e-9 {
			t.Fatalf("seed %d: GN + residual + cross = %v, numerics %v", s, got, want)
		}
		norm := math.Sqrt(st.Sums.Diag[kind.Hidden] / m * st.Sums.Diag[kind.Output] / c)
		resMean += res / seeds
		rMeas += st.Ratio(kind.HiddenOutput) / seeds
		rGN += math.Sqrt(gn/norm) / seeds
	}
	x := theory.MLPCECross{Activation: kind.ReLU, Classes: c, Inputs: d, Samples: n, Width: m, SigmaW: 1, SigmaV: 1}
	terms, err := x.Terms()
	if err != nil {
		t.Fatal(err)
	}
	// The residual's sample-fluctuation term is exact up to the O(1/C²)
	// sample-mean term (≈ 0.1/C², 3% here); its seed spread at these
	// sizes is about 5%, so 15% is three spreads of a single seed.
	if math.Abs(resMean/terms.Residual-1) > 0.15 {
		t.Errorf("residual part %v, predicted %v", resMean, terms.Residual)
	}
	// The residual, not the Gauss–Newton part, carries R.
	if rGN > rMeas/2 {
		t.Errorf("Gauss–Newton part alone gives R = %v of %v", rGN, rMeas)
	}
	pred, _ := x.Ratio()
	t.Logf("residual part %.4g (predicted %.4g); R %.4f (predicted %.4f, GN part alone %.4f)", resMean, terms.Residual, rMeas, pred, rGN)
	// Measured over seeds 1–10 at these sizes the law is within 6%; the
	// 3-seed mean has a spread of about 3%.
	if math.Abs(rMeas/pred-1) > 0.15 {
		t.Errorf("R hidden-output %v, predicted %v", rMeas, pred)
	}
}

// TestScienceLinearCEFiniteSize checks finding B: with the softmax weights
// sampled jointly with x, the prediction of C·R for linear CE at d = 32,
// C = 128 matches the measurement, while the weights-independent-of-x
// equivalent is about 7% low.
func TestScienceLinearCEFiniteSize(t *testing.T) {
	const c, d, n, seeds = 128, 32, 128, 12
	var mean float64
	for s := uint64(1); s <= seeds; s++ {
		_, st := scienceStats(t, numerics.Config{Model: kind.Linear, Loss: kind.CE, C: c, D: d, N: n, Sigma: 1, Seed: s})
		mean += c * st.Ratio(kind.OutputOutput) / seeds
	}
	fs := theory.LinearCEFiniteSize{Classes: c, Inputs: d, Samples: n, Sigma: 1, Draws: 4000, Seed: 1}
	b, err := fs.BlockNorms()
	if err != nil {
		t.Fatal(err)
	}
	pred := math.Sqrt(b.Off / b.Diag) // C·R
	old, _ := theory.LinearCEFiniteC{Classes: c, Sigma: 1, Gamma: float64(d) / n, Draws: 4000, Seed: 1}.RatioFinite(d, n)
	old *= c
	t.Logf("C·R measured %.4f, finite-size %.4f ± %.4f, independent weights %.4f", mean, pred, c*b.RatioErr, old)
	// Seed spread of C·R here is 0.039 (2.9%), so the 12-seed mean has a
	// standard error of 0.8%; the Monte Carlo error (RatioErr) is ≈ 0.5%.
	// 3% is over 3 combined standard errors.
	if math.Abs(mean/pred-1) > 0.03 {
		t.Errorf("C·R measured %v, finite-size prediction %v (±%v)", mean, pred, c*b.RatioErr)
	}
	if mean/old < 1.04 {
		t.Errorf("C·R measured %v only %v above the independent-weights prediction %v", mean, mean/old, old)
	}
}

// TestScienceHiddenTanh checks finding C: for tanh the residual term
// φ”(Vᵀr) of the diagonal hidden blocks sets the constant of √C·R, which
// the first-order hidden law (no φ” term) overestimates fourfold.
func TestScienceHiddenTanh(t *testing.T) {
	const c, d, n, m, seeds = 64, 64, 256, 16, 3
	var mean float64
	for s := uint64(1); s <= seeds; s++ {
		_, st := scienceStats(t, numerics.Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: c, D: d, N: n, M: m, SigmaW: 1, SigmaV: 0.5, Seed: s})
		mean += st.Ratio(kind.HiddenHidden) / seeds
	}
	pred, err := theory.MLPCEHidden{Activation: kind.Tanh, Classes: c, Inputs: d, Samples: n, Width: m, SigmaW: 1, SigmaV: 0.5}.Ratio()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("R measured %.4f, predicted %.4f", mean, pred)
	// Seed spread of R here is 9%, so the 3-seed mean has about 5%; 20%
	// is four of those.
	if math.Abs(mean/pred-1) > 0.2 {
		t.Errorf("R hidden-hidden (tanh, σ_v = ½) %v, predicted %v", mean, pred)
	}
}

// scienceMean returns the mean over seeds 1..seeds of f(stats).
func scienceMean(t *testing.T, cfg numerics.Config, seeds int, f func(*numerics.StructuredStats) float64) float64 {
	t.Helper()
	var mean float64
	for s := 1; s <= seeds; s++ {
		cfg.Seed = uint64(s)
		_, st := scienceStats(t, cfg)
		mean += f(st) / float64(seeds)
	}
	return mean
}

// TestScienceOutputCE checks the network CE output law (SCIENCE.md
// finding D): C·R of the output blocks against theory.MLPCEOutput, for
// ReLU (class offsets and finite-m tilt) and tanh, and the finite-width
// hidden law theory.MLPCEHidden (finding C) on the same ReLU problems.
func TestScienceOutputCE(t *testing.T) {
	const c, d, n, m = 256, 64, 256, 32
	cases := []struct {
		act          kind.Activation
		seeds        int
		tolOut, tolH float64
	}{
		// Seed spread of C·R (10 seeds): 1.4% (ReLU), 0.17% (tanh); the
		// limit law is 0.2–0.9% below the measurement at C = 256 (finite C).
		// ReLU √C·R of the hidden blocks: 4.4% per seed, 1.8% for 6 seeds.
		{kind.ReLU, 6, 0.03, 0.07},
		{kind.Tanh, 3, 0.015, 0},
	}
	for _, tc := range cases {
		cfg := numerics.Config{Model: kind.MLP, Activation: tc.act, Loss: kind.CE, C: c, D: d, N: n, M: m, SigmaW: 1, SigmaV: 1}
		var out, hid float64
		for s := 1; s <= tc.seeds; s++ {
			cfg.Seed = uint64(s)
			_, st := scienceStats(t, cfg)
			out += c * st.Ratio(kind.OutputOutput) / float64(tc.seeds)
			hid += st.Ratio(kind.HiddenHidden) / float64(tc.seeds)
		}
		act := kind.Activation(tc.act)
		k, err := theory.MLPCEOutput{Activation: act, Classes: c, Inputs: d, Samples: n, Width: m, SigmaW: 1, SigmaV: 1}.ScaledRatioLimit()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: C·R output %.4f, predicted %.4f", tc.act, out, k)
		if math.Abs(out/k-1) > tc.tolOut {
			t.Errorf("%s: C·R output %v, predicted %v", tc.act, out, k)
		}
		if tc.tolH == 0 {
			continue
		}
		h := theory.MLPCEHidden{Activation: act, Classes: c, Inputs: d, Samples: n, Width: m, SigmaW: 1, SigmaV: 1}
		pred, err := h.Ratio()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: R hidden %.4f, predicted %.4f", tc.act, hid, pred)
		if math.Abs(hid/pred-1) > tc.tolH {
			t.Errorf("%s: R hidden %v, predicted %v", tc.act, hid, pred)
		}
	}
}

// TestScienceCrossMSE checks finding E: under MSE the hidden–output ratio
// decays like C^{−1/2} with the constant of theory.MLPMSECross.
func TestScienceCrossMSE(t *testing.T) {
	const c, d, n, m, seeds = 256, 64, 256, 32, 3
	for _, act := range []kind.Activation{kind.ReLU, kind.Tanh} {
		cfg := numerics.Config{Model: kind.MLP, Activation: act, Loss: kind.MSE, C: c, D: d, N: n, M: m, SigmaW: 1, SigmaV: 1}
		got := scienceMean(t, cfg, seeds, func(st *numerics.StructuredStats) float64 { return st.Ratio(kind.HiddenOutput) })
		pred, err := theory.MLPMSECross{Activation: kind.Activation(act), Classes: c, Inputs: d, Samples: n, Width: m, SigmaW: 1, SigmaV: 1}.Ratio()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: √C·R %.4f, predicted %.4f", act, got*16, pred*16)
		// Seed spread (10 seeds): 1.5% (ReLU), 0.8% (tanh); 3-seed mean
		// ≤ 0.9%. Measured offset of the law at these sizes ≤ 0.8%.
		if math.Abs(got/pred-1) > 0.035 {
			t.Errorf("%s: R %v, predicted %v", act, got, pred)
		}
	}
}

// TestScienceTanhMSEHidden: under MSE the tanh network's diagonal hidden
// weight carries the residual term φ″(Vᵀr)_i ≈ (Cσ_v²/m)φφ″, so the law
// needs the moments of ψ = φ'² + φφ″ (the table: theory.Lookup); with φ'²
// alone it predicted √C·R = 0.79 where 1.33 is measured.
//
// Tolerance: the per-seed sd of √C·R measured over 8 seeds is 0.046
// (inflated 1.5× below); the law is a C → ∞ limit approached from below
// (−4% at C = 512, −10% at C = 64), so 5% of bias is allowed on top of
// 6 standard errors of the seed mean.
func TestScienceTanhMSEHidden(t *testing.T) {
	const c, d, n, m = 512, 64, 256, 32
	seeds := 8
	if testing.Short() {
		seeds = 4
	}
	var sum float64
	for seed := 1; seed <= seeds; seed++ {
		p, err := numerics.NewProblem(numerics.Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.MSE,
			C: c, D: d, N: n, M: m, SigmaW: 1, SigmaV: 1, Seed: uint64(seed)})
		if err != nil {
			t.Fatal(err)
		}
		st, err := p.StructuredStats(numerics.StructuredOptions{SkipBlockNorms: true})
		if err != nil {
			t.Fatal(err)
		}
		sum += math.Sqrt(c) * st.Ratio(kind.HiddenHidden)
	}
	measured := sum / float64(seeds)
	predicted := math.Sqrt(c) * predict(t, kind.MLP, kind.MSE, kind.HiddenHidden, kind.Tanh,
		theory.Setting{Classes: c, Inputs: d, Samples: n, SigmaW: 1, SigmaV: 1}).Ratio
	tol := 0.05*predicted + 6*1.5*0.046/math.Sqrt(float64(seeds))
	if math.Abs(measured-predicted) > tol {
		t.Errorf("tanh MSE hidden: √C·R measured %.4f, predicted %.4f (tolerance %.4f)", measured, predicted, tol)
	}
	t.Logf("√C·R measured %.4f over %d seeds, predicted %.4f", measured, seeds, predicted)
}
