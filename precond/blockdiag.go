package precond

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/krylov"
)

// BlockDiagonal is blockdiag(H) over index ranges that tile [0, P): one
// block per neuron (the ranges of numerics.Layout's blocks) or per layer.
// Each block is eigendecomposed once at construction, so applying B or
// (|B| + λI)^{−1/2} costs O(Σ b_i²) for blocks of sizes b_i, and it holds
// Σ b_i² + P floats.
type BlockDiagonal struct {
	p      int
	ranges []Range
	blocks []eigen
}

// NewBlockDiagonal takes the diagonal blocks H[r, r] of the dense symmetric
// h for the ranges, which must tile [0, P) in order. Entries of h outside
// the blocks are not read. It fails on ranges that do not tile, a block
// with a NaN or infinite entry, an eigendecomposition that does not
// converge, and blocks over the memory budget (membudget.Limit).
func NewBlockDiagonal(h *mat.SymDense, ranges []Range) (*BlockDiagonal, error) {
	if h == nil {
		return nil, fmt.Errorf("precond: NewBlockDiagonal needs a matrix H")
	}
	p := h.SymmetricDim()
	if err := checkRanges(ranges, p); err != nil {
		return nil, err
	}
	var floats, largest float64
	for _, r := range ranges {
		b := float64(r.Size)
		floats += b*b + b
		largest = max(largest, b)
	}
	// The factorization also holds a copy of the block being decomposed.
	need := membudget.Floats(floats, 2*largest*largest)
	if err := membudget.Check(fmt.Sprintf("the block-diagonal approximation (%d blocks, P = %d)", len(ranges), p), need, membudget.Limit(), ""); err != nil {
		return nil, err
	}
	bd := &BlockDiagonal{p: p, ranges: append([]Range(nil), ranges...), blocks: make([]eigen, len(ranges))}
	for i, r := range ranges {
		e, err := eigenOf(h.SliceSym(r.Start, r.End()))
		if err != nil {
			return nil, fmt.Errorf("precond: block %d [%d, %d) of H: %v", i, r.Start, r.End(), err)
		}
		bd.blocks[i] = e
	}
	return bd, nil
}

// Name is "block-diagonal".
func (b *BlockDiagonal) Name() string { return "block-diagonal" }

// Dim is P.
func (b *BlockDiagonal) Dim() int { return b.p }

// Ranges returns the blocks' index ranges.
func (b *BlockDiagonal) Ranges() []Range { return append([]Range(nil), b.ranges...) }

// BlockEigenvalues returns the eigenvalues (ascending) of block i.
func (b *BlockDiagonal) BlockEigenvalues(i int) []float64 {
	return append([]float64(nil), b.blocks[i].values...)
}

// Operator returns v ↦ blockdiag(H)·v.
func (b *BlockDiagonal) Operator() krylov.Operator {
	scales := make([][]float64, len(b.blocks))
	for i := range b.blocks {
		scales[i] = b.blocks[i].values
	}
	return b.operator("block-diagonal B", scales)
}

// InvSqrt returns v ↦ (|B| + λI)^{−1/2}·v, block by block.
func (b *BlockDiagonal) InvSqrt(damping float64) (krylov.Operator, error) {
	if err := checkDamping(damping); err != nil {
		return nil, err
	}
	scales := make([][]float64, len(b.blocks))
	for i := range b.blocks {
		scales[i] = b.blocks[i].mapped(func(mu float64) float64 { return invSqrtScale(mu, damping) })
	}
	return b.operator("block-diagonal (|B|+λI)^{-1/2}", scales), nil
}

func (b *BlockDiagonal) operator(what string, scales [][]float64) krylov.Operator {
	largest := 0
	for _, r := range b.ranges {
		largest = max(largest, r.Size)
	}
	work := make([]float64, largest)
	return func(dst, vec []float64) ([]float64, error) {
		dst, err := checkVec(what, dst, vec, b.p)
		if err != nil {
			return nil, err
		}
		for i, r := range b.ranges {
			b.blocks[i].apply(dst[r.Start:r.End()], vec[r.Start:r.End()], scales[i], work)
		}
		return dst, nil
	}
}
