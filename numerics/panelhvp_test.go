package numerics

import (
	"fmt"
	"testing"

	"github.com/hessblock/hessblock/kind"
)

// hvpModes are the operator's three modes: dz whole, one dz panel, and
// the probabilities recomputed per panel as well.
var hvpModes = []hvpMode{hvpWhole, hvpPanels, hvpRecompute}

// The panelled linear CE operator equals the dense H·v for every panel
// width (one class, a width that leaves a ragged last panel, all classes)
// in each of its modes (dz whole; U = P̃ dW and one dz panel; and with P̃
// recomputed per panel too).
func TestLinearCEPanelsMatchDense(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 11, D: 6, N: 80, Sigma: 1.5, Seed: 3}
	p, h := denseProblem(t, cfg)
	for _, panel := range []int{1, 4, 11, 64} {
		for _, mode := range hvpModes {
			o := p.newLinearCEHVP(panel, mode)
			op := func(dst, v []float64) ([]float64, error) { return o.apply(dst, v), nil }
			checkProducts(t, fmt.Sprintf("panel %d, mode %d", panel, mode), op, h, 2, 1e-12)
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
	for _, mode := range hvpModes {
		got := p.newLinearCEHVP(4, mode).apply(nil, v)
		if e := RelativeError(got, want); e > 1e-9 {
			t.Errorf("mode %d: relative error %.2e to the forward-pass H·v", mode, e)
		}
	}
}

// After the first product the operator allocates nothing in either mode.
func TestLinearCEPanelsNoAllocations(t *testing.T) {
	p := mustProblem(t, Config{Model: kind.Linear, Loss: kind.CE, C: 300, D: 16, N: 100, Sigma: 1, Seed: 1})
	for _, mode := range hvpModes {
		o := p.newLinearCEHVP(64, mode)
		v := make([]float64, p.NumParams())
		v[7] = 1
		dst := o.apply(nil, v)
		if a := testing.AllocsPerRun(5, func() { o.apply(dst, v) }); a != 0 {
			t.Errorf("mode %d: %v allocations per product, want 0", mode, a)
		}
	}
}

// The Lanczos estimate follows what runs: at C = 10⁵, d = 128, N = 1024
// krylov's ReorthAuto keeps three vectors (300 would be 31 GiB), the
// panelled operator one N×C array, two when the budget allows dz whole,
// and none when even one does not fit (probabilities recomputed).
func TestLambdaMaxBytesLargeC(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 100000, D: 128, N: 1024, Sigma: 1, Seed: 1}
	nc, p := int64(8*cfg.N*cfg.C), int64(8*cfg.NumParams())
	recompute, panels, whole := cfg.LambdaMaxBytes(1<<30), cfg.LambdaMaxBytes(2<<30), cfg.LambdaMaxBytes(16<<30)
	for budget, want := range map[int64]hvpMode{1 << 30: hvpRecompute, 2 << 30: hvpPanels, 16 << 30: hvpWhole} {
		if got := cfg.hvpMode(budget); got != want {
			t.Errorf("budget %d: mode %d, want %d", budget, got, want)
		}
	}
	if recompute < 4*p || recompute > 6*p+nc/10 || recompute > 1<<30 {
		t.Errorf("recompute: %d bytes, want about 5·P floats = %d, nothing N×C, within 1 GiB", recompute, 5*p)
	}
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
