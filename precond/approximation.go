package precond

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/krylov"
)

// Approximation is a structured approximation B of a symmetric P×P matrix
// H, used as a preconditioner through (|B| + λI)^{−1/2}.
//
// |B| replaces each eigenvalue of B by its absolute value (as saddle-free
// Newton and Adam-style diagonal preconditioners do), so the damped
// preconditioner is positive definite even when H, hence B, is indefinite.
// Identity is the one exception: it stands for no preconditioning at all,
// and its InvSqrt is I at every damping.
//
// The operators an Approximation returns write into dst when it has length
// Dim() (dst may alias vec), keep their own work space and so must not be
// called from several goroutines at once; call Operator or InvSqrt once per
// goroutine.
type Approximation interface {
	// Name says which approximation this is ("block-diagonal", "KFAC", …);
	// Named overrides it.
	Name() string
	// Dim is P.
	Dim() int
	// Operator returns v ↦ B·v.
	Operator() krylov.Operator
	// InvSqrt returns v ↦ (|B| + λI)^{−1/2}·v for the damping λ, a finite
	// value > 0; it applies the eigendecompositions made at construction,
	// never a P×P inverse.
	InvSqrt(damping float64) (krylov.Operator, error)
}

// Range is the index range θ[Start : Start+Size] of one block: a neuron's
// parameters (numerics.Block has the same Start and Size) or a whole layer.
type Range struct {
	Start, Size int
}

// End is one past the range's last index.
func (r Range) End() int { return r.Start + r.Size }

// checkRanges reports whether ranges tile [0, p) in order with non-empty
// ranges.
func checkRanges(ranges []Range, p int) error {
	if len(ranges) == 0 {
		return fmt.Errorf("precond: no ranges, want ranges tiling [0, %d)", p)
	}
	next := 0
	for i, r := range ranges {
		if r.Size <= 0 || r.Start != next || r.Size > p-next {
			return fmt.Errorf("precond: range %d covers [%d, %d), want a non-empty range starting at %d inside [0, P = %d): ranges must tile [0, P) in order", i, r.Start, r.Start+r.Size, next, p)
		}
		next = r.End()
	}
	if next != p {
		return fmt.Errorf("precond: ranges cover [0, %d), want [0, P = %d)", next, p)
	}
	return nil
}

// checkDamping accepts a finite λ > 0.
func checkDamping(damping float64) error {
	if !(damping > 0) || math.IsInf(damping, 0) {
		return fmt.Errorf("precond: damping λ = %v, want a finite value > 0", damping)
	}
	return nil
}

// checkVec returns dst resized to n, or an error if vec does not have
// length n.
func checkVec(what string, dst, vec []float64, n int) ([]float64, error) {
	if len(vec) != n {
		return nil, fmt.Errorf("precond: %s applied to a vector of length %d, want P = %d", what, len(vec), n)
	}
	if len(dst) != n {
		dst = make([]float64, n)
	}
	return dst, nil
}

// invSqrtScale is the preconditioner's eigenvalue map (|μ| + λ)^{−1/2}.
func invSqrtScale(mu, damping float64) float64 {
	return 1 / math.Sqrt(math.Abs(mu)+damping)
}

// Named returns a with its Name replaced: "per-neuron" and "per-layer"
// block-diagonal approximations, say.
func Named(a Approximation, name string) Approximation { return named{a, name} }

type named struct {
	Approximation
	name string
}

func (n named) Name() string { return n.name }

// Dense forms B as a P×P matrix, one column B·e_j at a time. It checks the
// P²·8 bytes against the memory budget (membudget.Limit) first.
func Dense(b Approximation) (*mat.SymDense, error) {
	p := b.Dim()
	if err := membudget.Check(fmt.Sprintf("the dense %s approximation (%d×%d)", b.Name(), p, p), membudget.Floats(float64(p)*float64(p), 2*float64(p)), membudget.Limit(), ""); err != nil {
		return nil, err
	}
	op := b.Operator()
	out := mat.NewSymDense(p, nil)
	e := make([]float64, p)
	var col []float64
	var err error
	for j := 0; j < p; j++ {
		e[j] = 1
		if col, err = op(col, e); err != nil {
			return nil, err
		}
		e[j] = 0
		for i := 0; i <= j; i++ {
			out.SetSym(i, j, col[i])
		}
	}
	return out, nil
}
