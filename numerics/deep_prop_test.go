package numerics

import (
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

// drawDeep draws a small network of depth 1 … 4 with or without biases,
// any activation and loss, and random biases; ceBias forces CE with biases.
func drawDeep(t *rapid.T, ceBias bool) *Problem {
	L := rapid.IntRange(1, 4).Draw(t, "L")
	cfg := Config{Loss: rapid.SampledFrom(kind.Losses).Draw(t, "loss"), C: rapid.IntRange(2, 4).Draw(t, "C"),
		D: rapid.IntRange(1, 4).Draw(t, "d"), N: rapid.IntRange(1, 6).Draw(t, "N"),
		Bias: rapid.Bool().Draw(t, "bias"), Seed: rapid.Uint64().Draw(t, "seed")}
	if ceBias {
		cfg.Loss, cfg.Bias = kind.CE, true
	}
	if L == 1 {
		cfg.Model, cfg.Sigma = kind.Linear, 1
	} else {
		cfg.Model, cfg.Depth = kind.MLP, L
		cfg.Activation = rapid.SampledFrom(kind.Activations).Draw(t, "act")
		cfg.M = rapid.IntRange(1, 3).Draw(t, "m")
		cfg.SigmaW, cfg.SigmaV = 1.3, 1
	}
	p, err := NewProblem(cfg)
	if err != nil {
		t.Fatal(err)
	}
	randomizeBiases(t, p, cfg.Seed)
	return p
}

// TestPropDeepSymmetricSplit: H is exactly symmetric as assembled, H·v is
// the product with it (1e−12, round-off of O(P) sums), and G + Hres = H
// (1e−13 relative, one addition per entry).
func TestPropDeepSymmetricSplit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawDeep(t, false)
		h, err := p.Hessian()
		if err != nil {
			t.Fatal(err)
		}
		np := p.NumParams()
		v := make([]float64, np)
		for i := range v {
			v[i] = math.Sin(float64(3*i + 1))
		}
		hv, err := p.HessVec(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		want := mat.NewVecDense(np, nil)
		want.MulVec(h, mat.NewVecDense(np, v))
		scale := mat.Norm(h, math.Inf(1)) * mat.Norm(mat.NewVecDense(np, v), math.Inf(1))
		for i, x := range hv {
			if math.Abs(x-want.AtVec(i)) > 1e-12*scale+1e-300 {
				t.Fatalf("(H·v)[%d] = %v, dense %v", i, x, want.AtVec(i))
			}
		}
		g, err := p.GaussNewton()
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Residual()
		if err != nil {
			t.Fatal(err)
		}
		hn := mat.Norm(h, math.Inf(1))
		for i := 0; i < np; i++ {
			for j := 0; j < np; j++ {
				if d := math.Abs(g.At(i, j) + r.At(i, j) - h.At(i, j)); d > 1e-13*hn {
					t.Fatalf("G + Hres − H at (%d, %d) = %g (‖H‖∞ %g)", i, j, d, hn)
				}
			}
		}
	})
}

// TestPropDeepCEOutputBiasNull: for CE with an output bias, shifting every
// output bias by one constant leaves the loss unchanged, so H·u = 0 for u
// the sum of their coordinates (to round-off relative to ‖H‖).
func TestPropDeepCEOutputBiasNull(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawDeep(t, true)
		cfg := p.Config()
		l := p.Layout()
		u := make([]float64, p.NumParams())
		for _, i := range l.OfLayer(cfg.NumLayers()) {
			u[l.Blocks[i].End()-1] = 1
		}
		hu, err := p.HessVec(nil, u)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := p.Hessian()
		scale := mat.Norm(h, math.Inf(1)) * float64(cfg.C)
		for i, v := range hu {
			if math.Abs(v) > 1e-14*scale+1e-300 {
				t.Fatalf("(H·u)[%d] = %g, want 0 (scale %g)", i, v, scale)
			}
		}
	})
}
