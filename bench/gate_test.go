// Package bench holds the regression gate of the numerics' performance
// (this file) and the peer comparison with PyTorch (peer/). See README.md.
package bench

import (
	"errors"
	"math"
	"os"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
	"github.com/hessblock/hessblock/numerics"
)

// gateKernel is one gated operation at a small, fixed size.
type gateKernel struct {
	name string
	// allocs is the allocation budget per call (testing.AllocsPerRun runs
	// with GOMAXPROCS = 1, so the count is deterministic): the measured
	// count when the budget was set, plus a quarter. A per-row or per-sample
	// allocation slipping into a loop multiplies it many times over.
	allocs float64
	// ratio is the budget of time(kernel)/time(reference GEMM), both
	// measured interleaved in one run through the default build's BLAS
	// (hessblock-avx2): the largest of three idle runs' medians times 3
	// (HESSBLOCK_BENCH_GATE=1 go test -count=1 -run TestTimeRatioGate -v
	// ./bench, 2026-11-30 18:03–18:09 UTC, load 1.6–1.9), the spread seen
	// between runs on the shared 2-core machine.
	ratio float64
	setup func() func()
}

func problem(cfg numerics.Config) *numerics.Problem {
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		panic(err)
	}
	return p
}

var (
	linCfg  = numerics.Config{Model: kind.Linear, Loss: kind.CE, C: 20, D: 50, N: 300, Sigma: 1, Seed: 1}
	wideCfg = numerics.Config{Model: kind.Linear, Loss: kind.CE, C: 3000, D: 16, N: 64, Sigma: 1, Seed: 1}
	mlpCfg  = numerics.Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 20, D: 30, N: 300, M: 10, SigmaW: 1, SigmaV: 1, Seed: 1}
)

func gateKernels() []gateKernel {
	return []gateKernel{
		{"dense-hessian-linear", 243, 3 * 19.7, func() func() {
			p := problem(linCfg)
			return func() { _, _ = p.Hessian() }
		}},
		{"dense-hessian-mlp", 453, 3 * 12.6, func() func() {
			p := problem(mlpCfg)
			return func() { _, _ = p.Hessian() }
		}},
		// H·v reuses its buffers and the GEMM's packing buffers: no
		// allocation after the first product (issue 12), so the budget is 0.
		{"hessvec-linear", 0, 3 * 0.23, func() func() {
			p := problem(linCfg)
			op := p.HessVecOperator()
			v := make([]float64, p.NumParams())
			return func() { _, _ = op(v, v) }
		}},
		{"hessvec-mlp", 0, 3 * 0.29, func() func() {
			p := problem(mlpCfg)
			op := p.HessVecOperator()
			v := make([]float64, p.NumParams())
			return func() { _, _ = op(v, v) }
		}},
		// The linear CE operator at C beyond one class panel (2048), dz
		// whole and, under a budget that refuses a second N×C array, in
		// panels with U = P̃ dW: no allocation after the first product
		// either way.
		{"hessvec-linear-panels", 0, 3 * 2.0, func() func() {
			p := problem(wideCfg)
			op := p.HessVecOperator()
			v := make([]float64, p.NumParams())
			return func() { _, _ = op(v, v) }
		}},
		{"hessvec-linear-streamed", 0, 3 * 2.5, func() func() {
			p := problem(wideCfg)
			// One N×C array, one N×2048 panel and four Lanczos vectors fit;
			// a second N×C array does not.
			p.MaxBytes = wideCfg.DataBytes() + 8*int64(wideCfg.N*wideCfg.C+wideCfg.N*2048+4*wideCfg.NumParams())
			op := p.HessVecOperator()
			v := make([]float64, p.NumParams())
			return func() { _, _ = op(v, v) }
		}},
		// And with the probabilities recomputed per panel, under a budget
		// that refuses even one N×C array (C = 3000 > one panel of 2048).
		{"hessvec-linear-recompute", 0, 3 * 9.1, func() func() {
			p := problem(wideCfg)
			p.MaxBytes = wideCfg.DataBytes() + 4*int64(wideCfg.N*wideCfg.C) // half an N×C array
			op := p.HessVecOperator()
			v := make([]float64, p.NumParams())
			return func() { _, _ = op(v, v) }
		}},
		{"structured-linear", 262, 3 * 5.4, func() func() {
			p := problem(linCfg)
			return func() { _, _ = p.StructuredStats(numerics.StructuredOptions{}) }
		}},
		{"structured-mlp", 1372, 3 * 16.3, func() func() {
			p := problem(mlpCfg)
			return func() { _, _ = p.StructuredStats(numerics.StructuredOptions{}) }
		}},
		// Lanczos on this small problem is bound by memory traffic (vector
		// updates), the reference by arithmetic, so their ratio moves with
		// the machine's load: 4.1–4.2 at load 3–5, 7.1–7.7 idle. The
		// budget is 3× the idle value.
		{"lanczos-20", 450, 3 * 7.7, func() func() {
			p := problem(linCfg)
			return func() {
				_, err := krylov.Lanczos(p.HessVecOperator(), p.NumParams(), krylov.LanczosOptions{MaxIter: 20, Tol: 1e-300})
				if err != nil && !errors.Is(err, krylov.ErrNotConverged) {
					panic(err)
				}
			}
		}},
	}
}

// TestAllocationBudget is deterministic and runs with the ordinary tests.
func TestAllocationBudget(t *testing.T) {
	for _, k := range gateKernels() {
		f := k.setup()
		got := testing.AllocsPerRun(3, f)
		t.Logf("%s: %.0f allocs/op (budget %.0f)", k.name, got, k.allocs)
		if got > k.allocs {
			t.Errorf("%s: %.0f allocations per call, budget %.0f", k.name, got, k.allocs)
		}
	}
}

func referenceGEMM() func() {
	const n = 256
	a := make([]float64, n*n)
	for i := range a {
		a[i] = float64(i%13) - 6
	}
	c := make([]float64, n*n)
	g := blas64.General{Rows: n, Cols: n, Stride: n, Data: a}
	return func() {
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, g, g, 0, blas64.General{Rows: n, Cols: n, Stride: n, Data: c})
	}
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestTimeRatioGate times each kernel against a reference GEMM through the
// same BLAS, interleaved (reference, kernel, reference, …) so that both see
// the same machine load, and fails if the median ratio exceeds its budget.
// It runs only with HESSBLOCK_BENCH_GATE=1 (.ci/bench-gate).
func TestTimeRatioGate(t *testing.T) {
	if os.Getenv("HESSBLOCK_BENCH_GATE") == "" {
		t.Skip("set HESSBLOCK_BENCH_GATE=1 (or run .ci/bench-gate)")
	}
	if numerics.BLASBackend != "hessblock-avx2" {
		t.Skipf("the ratio budgets are for the default build's BLAS on AVX2+FMA (hessblock-avx2), not %s", numerics.BLASBackend)
	}
	ref := referenceGEMM()
	const rounds = 5
	for _, k := range gateKernels() {
		f := k.setup()
		var ratios []float64
		for r := 0; r < rounds; r++ {
			tr := testing.Benchmark(func(b *testing.B) {
				for b.Loop() {
					ref()
				}
			})
			tk := testing.Benchmark(func(b *testing.B) {
				for b.Loop() {
					f()
				}
			})
			ratios = append(ratios, float64(tk.NsPerOp())/math.Max(1, float64(tr.NsPerOp())))
		}
		m := median(ratios)
		t.Logf("%s: time ratio to the reference GEMM %.3f (budget %.3f, backend %s)", k.name, m, k.ratio, numerics.BLASBackend)
		if m > k.ratio {
			t.Errorf("%s: median time ratio %.3f over the budget %.3f", k.name, m, k.ratio)
		}
	}
}
