package numerics

import (
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
)

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

// The dense path's λmax comes from Lanczos, not the O(P³) decomposition:
// it must agree with the full decomposition to 1e−10 relative on every
// model, loss and activation, including linear CE, whose spectrum has a
// null space, and a saturated softmax.
func TestDenseLambdaMaxMatchesDecomposition(t *testing.T) {
	for _, cfg := range []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 12, D: 20, N: 60, Sigma: 1, Seed: 1},
		{Model: kind.Linear, Loss: kind.CE, C: 5, D: 8, N: 40, Sigma: 0, Seed: 2},
		{Model: kind.Linear, Loss: kind.MSE, C: 4, D: 9, N: 30, Sigma: 1, Seed: 3},
		{Model: kind.Linear, Loss: kind.CE, C: 6, D: 6, N: 20, Sigma: 8, Seed: 4},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: 7, D: 10, N: 40, M: 6, SigmaW: 1, SigmaV: 1, Seed: 5},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.MSE, C: 3, D: 5, N: 25, M: 4, SigmaW: 2, SigmaV: 1, Seed: 6},
		{Model: kind.MLP, Activation: kind.Identity, Loss: kind.CE, C: 4, D: 3, N: 12, M: 2, SigmaW: 1, SigmaV: 1, Seed: 7},
	} {
		p, err := NewProblem(cfg)
		if err != nil {
			t.Fatal(err)
		}
		h, err := p.Hessian()
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Eigenvalues(h)
		if err != nil {
			t.Fatal(err)
		}
		want := ev[len(ev)-1]
		m, err := Measure(p, MeasureOptions{Method: StatsDense, LambdaMax: true, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(m.LambdaMax-want) / math.Abs(want); d > 1e-10 {
			t.Errorf("%v: λmax %.17g, decomposition %.17g (relative %.2g)", cfg, m.LambdaMax, want, d)
		}
	}
}
