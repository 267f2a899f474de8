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

// The Lanczos estimate follows what runs: at C = 10⁵, d = 128, N = 1024
// krylov's ReorthAuto keeps three vectors (300 would be 31 GiB), the
// panelled operator one N×C array, or two when the budget allows dz whole.
func TestLambdaMaxBytesLargeC(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 100000, D: 128, N: 1024, Sigma: 1, Seed: 1}
	nc, p := int64(8*cfg.N*cfg.C), int64(8*cfg.NumParams())
	panels, whole := cfg.LambdaMaxBytes(1<<30), cfg.LambdaMaxBytes(16<<30)
	if panels < nc+4*p || panels > nc+6*p+nc/10 {
		t.Errorf("panels: %d bytes, want about N·C + 5·P floats = %d", panels, nc+5*p)
	}
	if whole-panels < nc*9/10 || whole-panels > nc {
		t.Errorf("dz whole adds %d bytes, want about N·C floats = %d", whole-panels, nc)
	}
	if full := cfg.lanczosBytes(300, true); full < 300*p {
		t.Errorf("full basis of 300 vectors: %d bytes, want ≥ %d", full, 300*p)
	}
}
