package numerics

import (
	"fmt"
	"math"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
)

// The memory estimates of this file are checked against one budget,
// Problem.MaxBytes (zero: the process budget, membudget.Limit: by default
// 3/4 of the memory available, the command's -max-memory), before the
// allocation they describe is made. Each counts the arrays that grow with
// the sizes; fixed overheads of a few kilobytes are left out.

// DataBytes is the memory a Problem of the configuration holds: the data
// X (N×d), the labels and the weights W and V.
func (c Config) DataBytes() int64 {
	n, d, cc, m := float64(c.N), float64(c.D), float64(c.C), float64(c.M)
	w := cc * d
	if c.Model == kind.MLP {
		w = m*d + cc*m
	}
	if !c.legacy() {
		w = float64(c.NumParams())
	}
	return membudget.Floats(n*d, n, w)
}

// ForwardBytes is the memory of one forward pass (loss, gradient and every
// Hessian path evaluate one): two N×C arrays (logits turned into
// probabilities, residuals) and for CE the top-class arrays; for the MLP
// six N×m arrays (pre-activations, activations, two derivatives,
// backpropagated residuals) and for CE a copy of the probabilities; plus
// the gradient (P).
func (c Config) ForwardBytes() int64 {
	if !c.legacy() {
		return c.deepForwardBytes()
	}
	n, cc, m := float64(c.N), float64(c.C), float64(c.M)
	floats := 2*n*cc + 2*n + float64(c.NumParams())
	if c.Model == kind.MLP {
		floats += 6 * n * m
		if c.Loss == kind.CE {
			floats += n * cc
		}
	}
	return membudget.Floats(floats)
}

// deepForwardBytes is ForwardBytes of the general engine (deep.go): per
// hidden layer six N×h arrays (input with bias column, pre-activation, two
// derivatives, backpropagated residual and δ), for the output layer four
// N×C arrays (logits, their copy turned into p or r, residual, δ), the
// input with its bias column, and the gradient.
func (c Config) deepForwardBytes() int64 {
	sizes := c.LayerSizes()
	n := float64(c.N)
	floats := 4*n*float64(c.C) + 2*n + n*float64(c.D+1) + float64(c.NumParams())
	for _, h := range sizes[1 : len(sizes)-1] {
		floats += 6 * n * float64(h+1)
	}
	return membudget.Floats(floats)
}

// deepJacobianBytes is the memory of the per-sample matrices of the
// general engine's dense Hessian, blocks and KFAC factors
// (deephessian.go): D^{q,p} for every pair of layers (B_p = D^{L,p} and
// A B_p are N·C·h_p each), with the residual Ψ_q (N·h_q²) and the largest
// family's coefficients (N·h_p·h_q).
func (c Config) deepJacobianBytes(res bool) int64 {
	sizes := c.LayerSizes()
	L := len(sizes) - 1
	n := float64(c.N)
	var floats float64
	for p := 1; p < L; p++ {
		hp := float64(sizes[p])
		floats += n * float64(c.C) * hp // A B_p
		for q := p + 1; q <= L; q++ {
			floats += n * float64(sizes[q]) * hp
		}
		if res {
			floats += n * hp * hp
		}
	}
	for p := 1; p < L; p++ {
		for q := p; q < L; q++ {
			floats += n * float64(sizes[p]) * float64(sizes[q]) // coefficients, built once per family
		}
	}
	return membudget.Floats(floats)
}

// ProblemBytes is DataBytes plus ForwardBytes: a Problem evaluating its
// loss and gradient with a forward pass.
func (c Config) ProblemBytes() int64 {
	return membudget.Add(c.DataBytes(), c.ForwardBytes())
}

// CheckProblem returns a *membudget.Error if a Problem of the
// configuration would exceed budget, with the largest N that would fit at
// the other sizes: what NewProblem checks, so that a Problem it returns
// can at least evaluate its loss and gradient. That takes ProblemBytes,
// or for a linear model whose forward pass does not fit, its data and the
// loss and gradient streamed over classes (stream.go).
func (c Config) CheckProblem(budget int64) error {
	bytes := func(k Config) int64 { return membudget.Add(k.DataBytes(), k.forwardBytesAt(budget)) }
	need := bytes(c)
	if need <= budget {
		return nil
	}
	return membudget.Check(fmt.Sprintf("the problem %v (data X %d×%d, weights, forward pass)", c, c.N, c.D), need, budget, fitHint(c, c.fitN(budget, bytes)))
}

// fitN is the largest N ≤ c.N at which bytes fits budget at the other sizes
// of c, 0 when even N = 1 does not.
func (c Config) fitN(budget int64, bytes func(Config) int64) int {
	return membudget.LargestFitting(c.N, func(n int) bool {
		k := c
		k.N = n
		return bytes(k) <= budget
	})
}

// fitHint says which N would fit, or that none does.
func fitHint(c Config, n int) string {
	if n == 0 {
		return fmt.Sprintf("even N = 1 does not fit at C = %d, d = %d: use smaller C, d or m", c.C, c.D)
	}
	return fmt.Sprintf("N ≤ %d would fit at these C and d", n)
}

// maxBytes is the budget of p's computations.
func (p *Problem) maxBytes() int64 {
	if p.MaxBytes > 0 {
		return p.MaxBytes
	}
	return membudget.Limit()
}

// lanczosBytes is the memory of a Lanczos run of `steps` Krylov vectors
// on H·v: the vectors (all of them with fullBasis, as krylov.Ritz with
// ReorthFull; otherwise as Config.reorth decides: all while they fit in
// reorthBasisBytes and the budget, else three) and the operator's arrays: a forward
// pass, or for the linear CE model the panelled operator's probabilities
// and one dz panel (panelhvp.go; it keeps dz whole only when that fits the
// budget too).
func (c Config) lanczosBytes(steps int, fullBasis bool) int64 {
	return c.lanczosBytesAt(steps, fullBasis, 0)
}

// lanczosBytesAt is lanczosBytes with the linear CE operator in the mode
// budget selects (budget 0: panels, the least it needs).
func (c Config) lanczosBytesAt(steps int, fullBasis bool, budget int64) int64 {
	p := float64(c.NumParams())
	k := float64(min(steps, c.NumParams()))
	op := c.ForwardBytes()
	if c.NumLayers() == 1 && c.Loss == kind.CE {
		op = membudget.Add(c.augmented().linearCEHVPBytes(budget), membudget.Floats(p))
		if !c.legacy() {
			op = membudget.Add(op, c.augmented().DataBytes()) // the augmented copy
		}
	}
	if !fullBasis && (8*k*p > reorthBasisBytes || c.reorth(steps, budget) == krylov.ReorthNone) {
		k = 0
	}
	return membudget.Add(membudget.Floats((k+4)*p), op)
}

// reorth is the reorthogonalization of λmax's Lanczos run of `steps`
// vectors under budget: krylov's ReorthAuto (the whole basis while it is
// within reorthBasisBytes, else three vectors) when the whole basis fits
// beside the data and the operator, else ReorthNone (three vectors). The
// largest Ritz value converges either way; without reorthogonalization
// copies of it may appear, which λmax does not read.
func (c Config) reorth(steps int, budget int64) krylov.Reorth {
	if budget <= 0 {
		return krylov.ReorthAuto
	}
	if membudget.Add(c.DataBytes(), c.lanczosBytesAt(steps, true, budget)) <= budget {
		return krylov.ReorthAuto
	}
	return krylov.ReorthNone
}

// reorthBasisBytes is krylov's ReorthAuto limit: above it Lanczos keeps
// three vectors instead of the whole basis.
const reorthBasisBytes = 1 << 30

// LambdaMaxBytes estimates the peak of λmax by Lanczos on H·v (Measure
// with LambdaMax off the dense path: up to lambdaMaxSteps) under the memory
// budget (which decides whether the linear CE operator keeps dz whole),
// the data included.
func (c Config) LambdaMaxBytes(budget int64) int64 {
	return membudget.Add(c.DataBytes(), c.lanczosBytesAt(lambdaMaxSteps, false, budget))
}

// BlockBytes is the memory of one block's spectrum (representative
// blocks, sampled statistics, the report's block spectra): the largest
// block (d×d, or m×m and d×m for the MLP) and about three copies for the
// eigen- or singular-value decomposition.
func (c Config) BlockBytes() int64 {
	s := float64(max(c.D, c.M))
	if !c.legacy() {
		// The widest block of any layer, its bias included.
		sizes := c.LayerSizes()
		for _, h := range sizes[:len(sizes)-1] {
			s = max(s, float64(h+1))
		}
	}
	return membudget.Floats(4 * s * s)
}

// checkExtra returns a *membudget.Error if p's data plus extra bytes of
// work for what exceed the budget.
func (p *Problem) checkExtra(what string, extra int64, hint string) error {
	need := membudget.Add(p.cfg.DataBytes(), extra)
	return membudget.Check(fmt.Sprintf("%s for %v", what, p.cfg), need, p.maxBytes(), hint)
}

// sqrtFit is the size s·√(budget/need), at least 1: the size at which a
// cost growing like its square would fit.
func sqrtFit(s int, need, budget int64) int {
	return max(1, int(float64(s)*math.Sqrt(float64(budget)/float64(need))))
}

// MeasureBytes estimates the peak memory of Measure's auto method on a
// problem of the configuration, the problem included: the dense Hessian
// (two copies, for λmax) when it is within maxDenseBytes and cheaper, else
// the structured work arrays; plus the representative blocks' spectra.
// Off the dense path a linear model needs no forward pass (its blocks are
// streamed over classes), so its estimate is its data and the larger of
// the structured arrays and the streamed blocks.
func (c Config) MeasureBytes(maxDenseBytes int64) int64 {
	if c.streamable() {
		work := max(c.structuredWorkBytes(), membudget.Add(c.streamBytes(), c.BlockBytes()))
		if d := c.DenseBytes(); d <= maxDenseBytes {
			work = min(work, membudget.Add(membudget.Mul(d, 2), c.denseExtraBytes()))
		}
		return membudget.Add(c.DataBytes(), work)
	}
	work := c.structuredWorkBytes()
	if !c.legacy() {
		// No structured path: single blocks (sampled) from the per-sample
		// Jacobians, or the dense H below.
		work = membudget.Add(c.deepJacobianBytes(true), c.BlockBytes())
	}
	if d := c.DenseBytes(); d <= maxDenseBytes {
		dense := membudget.Mul(d, 2)
		if !c.legacy() {
			dense = membudget.Add(dense, c.deepJacobianBytes(true))
		}
		work = min(work, dense)
	}
	return membudget.Add(c.ProblemBytes(), max(work, c.BlockBytes()))
}

// structuredWorkBytes is the memory of Measure's structured statistics
// beyond the data: for a linear model with a bias those of the model on
// augmented inputs, with its copy of X and W.
func (c Config) structuredWorkBytes() int64 {
	a := c.augmented()
	work := a.StructuredBytes(StructuredOptions{SkipBlockNorms: true})
	if !c.legacy() {
		work = membudget.Add(work, a.DataBytes())
	}
	return work
}

// denseExtraBytes is what the dense Hessian needs beside its P×P arrays
// and the data: a forward pass, and for the general engine the per-sample
// Jacobians.
func (c Config) denseExtraBytes() int64 {
	if c.legacy() {
		return c.ForwardBytes()
	}
	return membudget.Add(c.ForwardBytes(), c.deepJacobianBytes(true))
}

// CheckMeasure returns a *membudget.Error if MeasureBytes exceeds budget,
// with the largest N that would fit: the check a caller makes before
// NewProblem when it will measure, so that the hint covers the whole run.
func (c Config) CheckMeasure(budget, maxDenseBytes int64) error {
	return c.CheckBytes(fmt.Sprintf("measuring %v (data X %d×%d, weights, forward pass, Hessian or structured work arrays)", c, c.N, c.D),
		budget, func(k Config) int64 { return k.MeasureBytes(maxDenseBytes) })
}

// CheckBytes returns a *membudget.Error for what if bytes(c) exceeds
// budget, with the largest N at which it would fit at the other sizes.
func (c Config) CheckBytes(what string, budget int64, bytes func(Config) int64) error {
	need := bytes(c)
	if need <= budget {
		return nil
	}
	return membudget.Check(what, need, budget, fitHint(c, c.fitN(budget, bytes)))
}
