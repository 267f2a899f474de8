package numerics

import (
	"math"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// smallConfigs returns every model × activation × loss at sizes where the
// finite-difference Hessian is cheap.
func smallConfigs() []Config {
	var cs []Config
	for _, loss := range []kind.Loss{kind.MSE, kind.CE} {
		cs = append(cs, Config{Model: kind.Linear, Loss: loss, C: 4, D: 5, N: 12, Sigma: 1, Seed: 3})
		for _, act := range []kind.Activation{kind.Identity, kind.ReLU, kind.Tanh} {
			cs = append(cs, Config{Model: kind.MLP, Activation: act, Loss: loss, C: 3, D: 4, N: 10, M: 5, SigmaW: 1, SigmaV: 1, Seed: 5})
		}
	}
	return cs
}

func TestFiniteDifferences(t *testing.T) {
	for _, cfg := range smallConfigs() {
		t.Run(cfg.String(), func(t *testing.T) {
			p := mustProblem(t, cfg)
			// The Hessian exists only away from ReLU kinks; with this seed the
			// nearest kink is many steps away (checked, so the test cannot pass
			// by luck of a different seed).
			if k := p.MinAbsPreactivation(); k < 100*DefaultFDStep {
				t.Fatalf("a ReLU kink lies %.2e from θ, too close for the finite-difference step", k)
			}
			g, err := CheckGradient(p, 0)
			if err != nil {
				t.Fatal(err)
			}
			if g > 1e-6 {
				t.Errorf("gradient relative error %.2e > 1e-6", g)
			}
			h, err := CheckHessian(p, 0)
			if err != nil {
				t.Fatal(err)
			}
			if h > 1e-6 {
				t.Errorf("Hessian relative error %.2e > 1e-6", h)
			}
			t.Logf("gradient %.1e, Hessian %.1e", g, h)
		})
	}
}

func TestHessVecMatchesDense(t *testing.T) {
	for _, cfg := range smallConfigs() {
		t.Run(cfg.String(), func(t *testing.T) {
			p, h := denseProblem(t, cfg)
			np := p.NumParams()
			checkProducts(t, "H·v", p.HessVecOperator(), h, 99, 1e-12)
			mustPanic(t, "HessVec(wrong length)", func() { p.HessVec(nil, make([]float64, np+1)) })
		})
	}
}

func TestBlockMatchesDense(t *testing.T) {
	for _, cfg := range smallConfigs() {
		p, _ := NewProblem(cfg)
		h, err := p.Hessian()
		if err != nil {
			t.Fatal(err)
		}
		l := p.Layout()
		for a := range l.Blocks {
			for b := range l.Blocks {
				want, _ := BlockOfMatrix(h, l, a, b)
				got, err := p.Block(a, b)
				if err != nil {
					t.Fatal(err)
				}
				if !mat.EqualApprox(got, want, 1e-14) {
					t.Fatalf("%s: block (%s, %s) differs from the dense Hessian", cfg, l.Blocks[a].Name, l.Blocks[b].Name)
				}
			}
		}
	}
}

func TestLinearCEPSDAndNullSpace(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 6, D: 7, N: 30, Sigma: 2, Seed: 11}
	p, _ := NewProblem(cfg)
	h, _ := p.Hessian()
	l := p.Layout()
	scale := mat.Norm(h, math.Inf(1))
	// Σ_l H_kl = 0: the row sums over blocks vanish.
	for k := 0; k < cfg.C; k++ {
		sum := mat.NewDense(cfg.D, cfg.D, nil)
		for j := 0; j < cfg.C; j++ {
			blk, _ := BlockOfMatrix(h, l, k, j)
			sum.Add(sum, blk)
		}
		if m := mat.Norm(sum, math.Inf(1)); m > 1e-14*scale {
			t.Errorf("Σ_l H_%dl has norm %.2e", k, m)
		}
	}
	ev, _ := Eigenvalues(h)
	if ev[0] < -1e-14*scale {
		t.Errorf("smallest eigenvalue %.3e < 0", ev[0])
	}
	// Rank ≤ (C−1)·min(d, N): at least d eigenvalues vanish.
	for i := 0; i < cfg.D; i++ {
		if math.Abs(ev[i]) > 1e-13*scale {
			t.Errorf("eigenvalue %d = %.3e, want 0 (null space of dimension ≥ d)", i, ev[i])
		}
	}
}

func TestMSEOffDiagonalBlocksExactlyZero(t *testing.T) {
	cfgs := []Config{{Model: kind.Linear, Loss: kind.MSE, C: 5, D: 4, N: 20, Sigma: 1, Seed: 2}}
	for _, act := range []kind.Activation{kind.Identity, kind.ReLU, kind.Tanh} {
		cfgs = append(cfgs, Config{Model: kind.MLP, Activation: act, Loss: kind.MSE, C: 5, D: 4, N: 20, M: 3, SigmaW: 1, SigmaV: 1, Seed: 2})
	}
	for _, cfg := range cfgs {
		p, _ := NewProblem(cfg)
		h, _ := p.Hessian()
		l := p.Layout()
		out := l.Of(kind.Output)
		for _, a := range out {
			for _, b := range out {
				if a == b {
					continue
				}
				blk, _ := BlockOfMatrix(h, l, a, b)
				if m := mat.Norm(blk, 1); m != 0 {
					t.Errorf("%s: block (%d, %d) has norm %g, want exactly 0", cfg, a, b, m)
				}
			}
		}
		st, _ := ComputeBlockStats(h, l)
		if r := st.Ratio(kind.OutputOutput); r != 0 {
			t.Errorf("%s: R(output) = %g, want 0", cfg, r)
		}
	}
}

func TestLinearCEAtZero(t *testing.T) {
	for _, c := range []int{2, 3, 10, 100} {
		cfg := Config{Model: kind.Linear, Loss: kind.CE, C: c, D: 3, N: 8, Sigma: 0, Seed: 4}
		p, _ := NewProblem(cfg)
		h, err := p.Hessian()
		if err != nil {
			t.Fatal(err)
		}
		st, _ := ComputeBlockStats(h, p.Layout())
		// Round-off: the sums run over C² blocks, so allow 1e-12 relative.
		wantRho, wantR := 1/float64(c), 1/float64(c-1)
		if math.Abs(st.Rho-wantRho) > 1e-12*wantRho {
			t.Errorf("C=%d: ρ = %.17g, want 1/C = %.17g", c, st.Rho, wantRho)
		}
		if r := st.Ratio(kind.OutputOutput); math.Abs(r-wantR) > 1e-12*wantR {
			t.Errorf("C=%d: R = %.17g, want 1/(C−1) = %.17g", c, r, wantR)
		}
	}
}

func TestHessianSymmetricAndDeterministic(t *testing.T) {
	for _, cfg := range smallConfigs() {
		p1, _ := NewProblem(cfg)
		p2, _ := NewProblem(cfg)
		h1, _ := p1.Hessian()
		h2, _ := p2.Hessian()
		if !mat.Equal(h1, h2) {
			t.Errorf("%s: same seed, different Hessians", cfg)
		}
		if !floats.Equal(p1.Gradient(nil), p2.Gradient(nil)) {
			t.Errorf("%s: same seed, different gradients", cfg)
		}
	}
}

func TestExtremeLogitsFinite(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 3, D: 2, N: 2, Sigma: 1, Seed: 1}
	x := mat.NewDense(2, 2, []float64{1, 0, 0, 1})
	p, err := NewProblemWithData(cfg, x, []int{0, 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetWeights(mat.NewDense(3, 2, []float64{1e4, -1e4, -1e4, 1e4, 0, 0}), nil); err != nil {
		t.Fatal(err)
	}
	loss := p.Loss()
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		t.Fatalf("loss = %v for logits ±1e4", loss)
	}
	// Sample 0 is right with margin 2e4 (loss ≈ 0); sample 1 has logits
	// (−1e4, 1e4, 0) with label 2: loss = 1e4.
	if want := 1e4 / 2; math.Abs(loss-want) > 1e-9*want {
		t.Errorf("loss = %.17g, want %g", loss, want)
	}
	for _, v := range p.Gradient(nil) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("gradient entry %v", v)
		}
	}
	h, _ := p.Hessian()
	for _, v := range h.RawSymmetric().Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("Hessian entry %v", v)
		}
	}
}

func TestDenseMemoryGuard(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 100, D: 100, N: 10, Sigma: 1, Seed: 1}
	p, _ := NewProblem(cfg)
	p.MaxDenseBytes = 1 << 20
	_, err := p.Hessian()
	var tooLarge *DenseTooLargeError
	if err == nil || !asDenseTooLarge(err, &tooLarge) {
		t.Fatalf("Hessian above the limit: err = %v, want *DenseTooLargeError", err)
	}
	if tooLarge.Bytes != 8*1e8 {
		t.Errorf("reported %d bytes, want %d", tooLarge.Bytes, int64(8e8))
	}
	if msg := err.Error(); !strings.Contains(msg, "StructuredStats") || !strings.Contains(msg, "HessVec") {
		t.Errorf("error does not name the structured alternatives: %s", msg)
	}
}
