package numerics

import (
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
)

// With every block enumerated, the sampled path is the dense computation
// in another order; the structured path is exact by construction.
func TestSampledStatsExhaustiveMatchesDense(t *testing.T) {
	for _, cfg := range spectralConfigs() {
		p := mustProblem(t, cfg)
		dense, err := Measure(p, MeasureOptions{Method: StatsDense})
		if err != nil {
			t.Fatal(err)
		}
		for _, method := range []StatsMethod{StatsSampled, StatsStructured} {
			samp, err := Measure(p, MeasureOptions{Method: method, DiagSamples: 1000, PairSamples: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if dense.Method != StatsDense || samp.Method != method {
				t.Fatalf("methods %q, %q", dense.Method, samp.Method)
			}
			close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-10*math.Max(math.Abs(a), math.Abs(b))+1e-300 }
			if !close(dense.Summary.Rho, samp.Summary.Rho) || samp.RhoStdErr != 0 {
				t.Errorf("%v: ρ dense %v, sampled %v ± %v", cfg, dense.Summary.Rho, samp.Summary.Rho, samp.RhoStdErr)
			}
			for i, fr := range dense.Summary.Ratios {
				sr := samp.Summary.Ratios[i]
				if sr.Family != fr.Family || sr.Pairs != fr.Pairs || !close(sr.R, fr.R) || samp.RatioStdErr[i] != 0 {
					t.Errorf("%v %s: dense R %v (%d pairs), %s %v ± %v (%d pairs)", cfg, fr.Family, fr.R, fr.Pairs, method, sr.R, samp.RatioStdErr[i], sr.Pairs)
				}
			}
		}
	}
}

// A sample of blocks estimates R and ρ within its own standard error. The
// bound is 4 standard errors: for a normal estimate the chance of a false
// failure is 6e-5 per quantity (10 quantities here); the delta-method
// normal approximation is good at 300 draws of these light-tailed norms.
func TestSampledStatsWithinStdErr(t *testing.T) {
	for _, cfg := range []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 60, D: 10, N: 150, Sigma: 2, Seed: 21},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: 40, D: 10, N: 150, M: 20, SigmaW: 1, SigmaV: 2, Seed: 22},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.MSE, C: 40, D: 10, N: 150, M: 20, SigmaW: 1, SigmaV: 1, Seed: 23},
	} {
		p := mustProblem(t, cfg)
		dense, err := Measure(p, MeasureOptions{Method: StatsDense})
		if err != nil {
			t.Fatal(err)
		}
		samp, err := Measure(p, MeasureOptions{Method: StatsSampled, DiagSamples: 15, PairSamples: 300, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		check := func(name string, want, got, se float64) {
			if se <= 0 && want != got {
				t.Errorf("%v %s: sampled %v has no standard error but dense is %v", cfg, name, got, want)
			}
			if math.Abs(got-want) > 4*se {
				t.Errorf("%v %s: sampled %.5g ± %.2g, dense %.5g (%.1f s.e.)", cfg, name, got, se, want, math.Abs(got-want)/se)
			}
			t.Logf("%v %s: sampled %.5g ± %.2g, dense %.5g", cfg, name, got, se, want)
		}
		check("ρ", dense.Summary.Rho, samp.Summary.Rho, samp.RhoStdErr)
		for i, fr := range dense.Summary.Ratios {
			check(string(fr.Family), fr.R, samp.Summary.Ratios[i].R, samp.RatioStdErr[i])
		}
	}
}

// At W = 0 every block of the linear CE Hessian is a multiple of S, so the
// structured and the sampled paths must give R = 1/(C−1) and ρ = 1/C exactly (THEORY §5.4) at
// a C where the dense Hessian would not fit.
func TestSampledStatsZeroInitLargeC(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 3000, D: 8, N: 40, Sigma: 0, Seed: 1}
	p := mustProblem(t, cfg)
	p.MaxDenseBytes = 1 << 20
	for _, method := range []StatsMethod{StatsAuto, StatsSampled} {
		st, err := Measure(p, MeasureOptions{Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if method == StatsAuto && st.Method != StatsStructured {
			t.Fatalf("auto chose %q for P = %d", st.Method, p.NumParams())
		}
		c := float64(cfg.C)
		if r := st.Summary.Ratio(kind.OutputOutput); math.Abs(r*(c-1)-1) > 1e-10 {
			t.Errorf("%s: R·(C−1) = %v, want 1", st.Method, r*(c-1))
		}
		if math.Abs(st.Summary.Rho*c-1) > 1e-10 {
			t.Errorf("%s: ρ·C = %v, want 1", st.Method, st.Summary.Rho*c)
		}
	}
}

// Lanczos with as many steps as parameters reproduces the spectrum; with
// 40 steps the top eigenvalues of these Hessians, whose top is separated
// from the bulk, are exact to 1e-8 relative.
func TestTopEigenvaluesMatchDense(t *testing.T) {
	for _, cfg := range []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 6, D: 12, N: 80, Sigma: 1, Seed: 31},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 5, D: 10, N: 80, M: 12, SigmaW: 1, SigmaV: 1, Seed: 32},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.MSE, C: 10, D: 20, N: 200, M: 20, SigmaW: 1, SigmaV: 1, Seed: 33},
	} {
		p, h := denseProblem(t, cfg)
		ev, err := Eigenvalues(h)
		if err != nil {
			t.Fatal(err)
		}
		np := len(ev)
		for _, steps := range []int{np, 40} {
			if steps > np {
				continue
			}
			st, err := Measure(p, MeasureOptions{TopEigenvalues: 3, LanczosSteps: steps, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			for i, got := range st.TopEigenvalues {
				want := ev[np-1-i]
				tol := 1e-8 * ev[np-1]
				if math.Abs(got-want) > tol {
					t.Errorf("%v, %d steps: λ_%d = %.12g, dense %.12g", cfg, steps, i+1, got, want)
				}
			}
			if st.LambdaMax != st.TopEigenvalues[0] {
				t.Errorf("LambdaMax %v ≠ first eigenvalue %v", st.LambdaMax, st.TopEigenvalues[0])
			}
		}
	}
}

// The dense and structured paths of Measure agree on every statistic
// inspect reports: R, ρ, ‖H‖_F, λmax (Lanczos within its residual) and the
// representative block spectra, which come from the same single blocks on
// both paths. Auto falls back to structured, saying why, when H does not fit.
func TestMeasureDenseMatchesStructured(t *testing.T) {
	for _, cfg := range spectralConfigs() {
		p := mustProblem(t, cfg)
		opts := MeasureOptions{Seed: cfg.Seed, LambdaMax: true, Blocks: true, KeepHessian: true}
		opts.Method = StatsDense
		dense, err := Measure(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		p.MaxDenseBytes = 1
		opts.Method = StatsAuto
		st, err := Measure(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		var tooLarge *DenseTooLargeError
		if st.Method != StatsStructured || !asDenseTooLarge(st.DenseRefused, &tooLarge) || st.Hessian != nil {
			t.Fatalf("%v: auto over the limit gave method %q, refusal %v", cfg, st.Method, st.DenseRefused)
		}
		if dense.Hessian == nil || dense.DenseRefused != nil || dense.LambdaMaxResidual != 0 {
			t.Fatalf("%v: dense path kept no Hessian or reported a refusal", cfg)
		}
		near := func(name string, a, b, tol float64) {
			if math.Abs(a-b) > tol*math.Max(math.Abs(a), math.Abs(b))+1e-300 {
				t.Errorf("%v %s: dense %v, structured %v", cfg, name, a, b)
			}
		}
		near("ρ", dense.Summary.Rho, st.Summary.Rho, 1e-10)
		near("‖H‖_F", dense.Frobenius(), st.Frobenius(), 1e-10)
		for i, fr := range dense.Summary.Ratios {
			near(string(fr.Family)+" R", fr.R, st.Summary.Ratios[i].R, 1e-10)
		}
		if math.Abs(dense.LambdaMax-st.LambdaMax) > st.LambdaMaxResidual+1e-12*dense.LambdaMax {
			t.Errorf("%v: λmax dense %v, Lanczos %v ± %v", cfg, dense.LambdaMax, st.LambdaMax, st.LambdaMaxResidual)
		}
		if len(dense.Blocks) != len(dense.Summary.Ratios) {
			t.Fatalf("%v: %d block families for %d ratios", cfg, len(dense.Blocks), len(dense.Summary.Ratios))
		}
		l := p.Layout()
		for i, fb := range dense.Blocks {
			if fb.Family != st.Blocks[i].Family || (fb.Diag == nil) != (fb.Family == kind.HiddenOutput) || fb.Off == nil {
				t.Fatalf("%v: family %d blocks %+v", cfg, i, fb)
			}
			// Both paths take the blocks from Problem.Block: identical.
			if so := st.Blocks[i].Off; fb.Off.SigmaMax != so.SigmaMax || (fb.Off.LambdaMax != nil && *fb.Off.LambdaMax != *so.LambdaMax) {
				t.Errorf("%v %s: off block spectra differ between paths", cfg, fb.Family)
			}
			// The spectrum is that of the block of the dense H.
			a, b, _ := l.Representative(fb.Family)
			blk, err := BlockOfMatrix(dense.Hessian, l, a, b)
			if err != nil {
				t.Fatal(err)
			}
			s, err := SpectralNorm(blk)
			if err != nil {
				t.Fatal(err)
			}
			near(string(fb.Family)+" σmax", s, fb.Off.SigmaMax, 1e-10)
			if fb.Off.A != l.Blocks[a].Name || fb.Off.B != l.Blocks[b].Name {
				t.Errorf("%v %s: off block named (%s, %s), want (%s, %s)", cfg, fb.Family, fb.Off.A, fb.Off.B, l.Blocks[a].Name, l.Blocks[b].Name)
			}
		}
	}
}

// Representative picks the first pair of the family's kinds, and reports a
// kind with a single block as having no pair.
func TestLayoutRepresentative(t *testing.T) {
	cfg := DefaultConfig(kind.MLP)
	cfg.M, cfg.C = 1, 3
	l := cfg.Layout()
	h, o := l.Of(kind.Hidden), l.Of(kind.Output)
	for _, c := range []struct {
		f    kind.Family
		a, b int
		ok   bool
	}{
		{kind.HiddenHidden, h[0], h[0], false},
		{kind.OutputOutput, o[0], o[1], true},
		{kind.HiddenOutput, h[0], o[0], true},
	} {
		if a, b, ok := l.Representative(c.f); a != c.a || b != c.b || ok != c.ok {
			t.Errorf("%s: (%d, %d, %v), want (%d, %d, %v)", c.f, a, b, ok, c.a, c.b, c.ok)
		}
	}
}
