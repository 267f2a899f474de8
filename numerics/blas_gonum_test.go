//go:build !openblas

package numerics

import (
	"math"
	"os"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"

	fastgemm "github.com/hessblock/hessblock/internal/gemm"
	"github.com/hessblock/hessblock/kind"
)

// TestBLASBackendNamed: the default build names the Dgemm it installed.
func TestBLASBackendNamed(t *testing.T) {
	want := fastgemm.Backend()
	if os.Getenv("HESSBLOCK_BLAS") == "gonum" {
		want = "gonum"
	}
	if BLASBackend != want {
		t.Fatalf("BLASBackend = %q, want %q", BLASBackend, want)
	}
}

// TestResultsAcrossBackends: the dense Hessian and the structured
// statistics agree between internal/gemm's Dgemm and gonum's to round-off
// (1e-12 relative to ‖H‖_max; 1e-12 relative for ρ, R and ‖H‖_F²).
func TestResultsAcrossBackends(t *testing.T) {
	cfgs := []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 12, D: 30, N: 200, Sigma: 1, Seed: 3},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: 6, D: 20, N: 150, M: 10, SigmaW: 1, SigmaV: 1, Seed: 4},
	}
	run := func(impl blas.Float64, cfg Config) ([]float64, *StructuredStats) {
		blas64.Use(impl)
		p, h := denseProblem(t, cfg)
		st, err := p.StructuredStats(StructuredOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := h.SymmetricDim()
		out := make([]float64, 0, n*n)
		for i := range n {
			for j := range n {
				out = append(out, h.At(i, j))
			}
		}
		return out, st
	}
	defer blas64.Use(blas64.Implementation())
	rel := func(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b)) }
	for _, cfg := range cfgs {
		hg, sg := run(gonum.Implementation{}, cfg)
		hf, sf := run(fastgemm.Implementation{}, cfg)
		var scale, diff float64
		for i := range hg {
			scale = math.Max(scale, math.Abs(hg[i]))
			diff = math.Max(diff, math.Abs(hg[i]-hf[i]))
		}
		t.Logf("%v: max |ΔH| %.3g, ‖H‖_max %.3g, ρ %v vs %v", cfg.Model, diff, scale, sg.Rho, sf.Rho)
		if diff > 1e-12*scale {
			t.Errorf("%v: dense Hessians differ by %.3g (‖H‖_max %.3g)", cfg, diff, scale)
		}
		if r := rel(sg.Rho, sf.Rho); r > 1e-12 {
			t.Errorf("%v: ρ %v vs %v (rel %.3g)", cfg, sg.Rho, sf.Rho, r)
		}
		if r := rel(sg.Ratio(kind.OutputOutput), sf.Ratio(kind.OutputOutput)); r > 1e-12 {
			t.Errorf("%v: R %v vs %v (rel %.3g)", cfg, sg.Ratio(kind.OutputOutput), sf.Ratio(kind.OutputOutput), r)
		}
	}
}
