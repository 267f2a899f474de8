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
	// measured interleaved in one run: the measured ratio times 3, the
	// spread seen between runs on the loaded 2-core machine.
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
		{"dense-hessian-linear", 243, 3 * 6.7, func() func() {
			p := problem(linCfg)
			return func() { _, _ = p.Hessian() }
		}},
		{"dense-hessian-mlp", 453, 3 * 5.2, func() func() {
			p := problem(mlpCfg)
			return func() { _, _ = p.Hessian() }
		}},
		// H·v reuses its buffers and the GEMM's packing buffers: no
		// allocation after the first product (issue 12), so the budget is 0.
		// hessvec-mlp's ratio 0.098 was measured with HESSBLOCK_BLAS=gonum
		// (HESSBLOCK_BENCH_GATE=1 go test -run TestTimeRatioGate -v ./bench).
		{"hessvec-linear", 0, 3 * 0.027, func() func() {
			p := problem(linCfg)
			op := p.HessVecOperator()
			v := make([]float64, p.NumParams())
			return func() { _, _ = op(v, v) }
		}},
		{"hessvec-mlp", 0, 3 * 0.098, func() func() {
			p := problem(mlpCfg)
			op := p.HessVecOperator()
			v := make([]float64, p.NumParams())
			return func() { _, _ = op(v, v) }
		}},
		// The linear CE operator at C beyond one class panel (2048), dz
		// whole and, under a budget that refuses a second N×C array, in
		// panels with U = P̃ dW: no allocation after the first product
		// either way. Ratios 0.31 and 0.28 measured with
		// HESSBLOCK_BLAS=gonum at load 17 (interleaved, so the load
		// mostly cancels).
		{"hessvec-linear-panels", 0, 3 * 0.31, func() func() {
			p := problem(wideCfg)
			op := p.HessVecOperator()
			v := make([]float64, p.NumParams())
			return func() { _, _ = op(v, v) }
		}},
		{"hessvec-linear-streamed", 0, 3 * 0.28, func() func() {
			p := problem(wideCfg)
			p.MaxBytes = wideCfg.DataBytes() + 12*int64(wideCfg.N*wideCfg.C) // one N×C array and a half
			op := p.HessVecOperator()
			v := make([]float64, p.NumParams())
			return func() { _, _ = op(v, v) }
		}},
		{"structured-linear", 262, 3 * 0.85, func() func() {
			p := problem(linCfg)
			return func() { _, _ = p.StructuredStats(numerics.StructuredOptions{}) }
		}},
		{"structured-mlp", 1372, 3 * 4.1, func() func() {
			p := problem(mlpCfg)
			return func() { _, _ = p.StructuredStats(numerics.StructuredOptions{}) }
		}},
		// Lanczos on this small problem is bound by memory traffic (vector
		// updates), the reference by arithmetic, so their ratio moves with
		// the machine's load: 0.93 when the budget was first set on a loaded
		// machine, 2.0–2.2 on an idle one (both before and after the change
		// to its convergence checks). The budget is 3× the idle value.
		{"lanczos-20", 450, 3 * 2.2, func() func() {
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
	if numerics.BLASBackend != "gonum" {
		t.Skip("the ratio budgets are for gonum's pure-Go BLAS: set HESSBLOCK_BLAS=gonum (.ci/bench-gate does)")
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
