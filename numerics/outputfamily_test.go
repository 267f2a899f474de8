package numerics

import (
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
)

// A saturated softmax (one class with probability 1 − q, q ≪ ε) must keep
// the curvature p(1 − p) ≈ q: computed as p − p² it is 0 for q < ε/2.
// Linear CE, C = 2, one sample x = 1 with logits (Δ/2, −Δ/2): H = A exactly,
// A = q(1−q)·[[1, −1], [−1, 1]], so ρ = ½ and R = 1.
func TestSaturatedSoftmaxLinear(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 2, D: 1, N: 1, Sigma: 1, Seed: 1}
	for _, delta := range []float64{10, 40, 200} {
		for _, label := range []int{0, 1} {
			p, err := NewProblemWithData(cfg, mat.NewDense(1, 1, []float64{1}), []int{label})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.SetParams([]float64{delta / 2, -delta / 2}); err != nil {
				t.Fatal(err)
			}
			// q = σ(−Δ) = 1/(1 + e^Δ), accurate in float64 for every Δ here.
			q := 1 / (1 + math.Exp(delta))
			want := q * (1 - q)
			h, err := p.Hessian()
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range []struct {
				i, j int
				v    float64
			}{{0, 0, want}, {1, 1, want}, {0, 1, -want}} {
				if got := h.At(e.i, e.j); math.Abs(got-e.v) > 1e-13*want {
					t.Errorf("Δ = %g, label %d: H[%d,%d] = %.17g, want %.17g", delta, label, e.i, e.j, got, e.v)
				}
			}
			st, err := ComputeBlockStats(h, p.Layout())
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(st.Rho-0.5) > 1e-13 {
				t.Errorf("Δ = %g: ρ = %.17g, want ½", delta, st.Rho)
			}
			hv, err := p.HessVec(nil, []float64{1, 0})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(hv[0]-want) > 1e-13*want || math.Abs(hv[1]+want) > 1e-13*want {
				t.Errorf("Δ = %g: H·e₀ = %v, want (%g, %g)", delta, hv, want, -want)
			}
			// The gradient of the predicted class, p_y − 1 = −q, keeps its
			// digits too.
			g := p.Gradient(nil)
			wantG := []float64{-q, q}
			if label == 1 {
				wantG = []float64{1 - q, -(1 - q)}
			}
			for k := range g {
				if math.Abs(g[k]-wantG[k]) > 1e-13*math.Abs(wantG[k]) {
					t.Errorf("Δ = %g, label %d: gradient %v, want %v", delta, label, g, wantG)
					break
				}
			}
		}
	}
}

// In a saturated MLP the dense Hessian (coefficients (VᵀAV)_ij, (AV)_li)
// and the matrix-free product (A applied to a direction) are computed by
// different code; both are accurate, so they agree to round-off. With the
// plain Σ_k p_k V_ki V_kj − g_i g_j the hidden blocks were noise of size ε
// against entries of size 1 − p_max ≪ ε.
func TestSaturatedSoftmaxMLP(t *testing.T) {
	cfg := Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 4, D: 3, N: 6, M: 3, SigmaW: 1, SigmaV: 1, Seed: 2}
	p := mustProblem(t, cfg)
	theta := p.Params()
	nw := cfg.M * cfg.D
	for i := nw; i < len(theta); i++ {
		theta[i] *= 5000 // logit gaps in the hundreds at least: 1 − p_max far below ε
	}
	if err := p.SetParams(theta); err != nil {
		t.Fatal(err)
	}
	// Label every sample with its predicted class, so that the residuals
	// are O(q) too and the whole Hessian is at the scale the cancellation
	// would destroy.
	f := p.forward()
	labels := make([]int, cfg.N)
	for n := range labels {
		labels[n] = f.predicted(n, 0)
		if f.qtop[n] > 1e-20 {
			t.Fatalf("sample %d is not saturated: 1 − p_max = %g", n, f.qtop[n])
		}
	}
	p, err := NewProblemWithData(cfg, p.X(), labels)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetParams(theta); err != nil {
		t.Fatal(err)
	}
	h, err := p.Hessian()
	if err != nil {
		t.Fatal(err)
	}
	checkProducts(t, "saturated MLP: H·v", p.HessVec, h, 5, 1e-10)
}
