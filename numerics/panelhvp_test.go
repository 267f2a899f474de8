package numerics

import (
	"fmt"
	"testing"

	"github.com/hessblock/hessblock/kind"
)

// The panelled linear CE operator equals the dense H·v for every panel
// width (one class, a width that leaves a ragged last panel, all classes)
// in both of its modes (dz whole, or U = P̃ dW and one dz panel).
func TestLinearCEPanelsMatchDense(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 11, D: 6, N: 80, Sigma: 1.5, Seed: 3}
	p, h := denseProblem(t, cfg)
	for _, panel := range []int{1, 4, 11, 64} {
		for _, whole := range []bool{true, false} {
			o := p.newLinearCEHVP(panel, whole)
			op := func(dst, v []float64) ([]float64, error) { return o.apply(dst, v), nil }
			checkProducts(t, fmt.Sprintf("panel %d, whole %v", panel, whole), op, h, 2, 1e-12)
		}
	}
}

// With a saturated softmax (σ = 40: 1 − p_top ≈ 1e-9 at most samples) the
// entries of H are of the size of 1 − p_top and the plain p·dz − dz_top
// would lose their digits; the panelled operator keeps them, in both
// modes, to the accuracy of the forward-pass H·v (which centres at the top
// class too).
func TestLinearCEPanelsSaturated(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 9, D: 5, N: 40, Sigma: 40, Seed: 5}
	p := mustProblem(t, cfg)
	f := p.forward()
	v := make([]float64, p.NumParams())
	r := newRand(9, 0)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	want := p.hessVec(f, new(hvpWork), nil, v)
	for _, whole := range []bool{true, false} {
		got := p.newLinearCEHVP(4, whole).apply(nil, v)
		if e := RelativeError(got, want); e > 1e-9 {
			t.Errorf("whole %v: relative error %.2e to the forward-pass H·v", whole, e)
		}
	}
}

// After the first product the operator allocates nothing in either mode.
func TestLinearCEPanelsNoAllocations(t *testing.T) {
	p := mustProblem(t, Config{Model: kind.Linear, Loss: kind.CE, C: 300, D: 16, N: 100, Sigma: 1, Seed: 1})
	for _, whole := range []bool{true, false} {
		o := p.newLinearCEHVP(64, whole)
		v := make([]float64, p.NumParams())
		v[7] = 1
		dst := o.apply(nil, v)
		if a := testing.AllocsPerRun(5, func() { o.apply(dst, v) }); a != 0 {
			t.Errorf("whole %v: %v allocations per product, want 0", whole, a)
		}
	}
}
