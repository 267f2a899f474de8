package precond

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/krylov"
)

// Diagonal is diag(H): the preconditioner (|diag(H)| + λI)^{−1/2} costs
// O(P) per application.
type Diagonal struct {
	d []float64
}

// NewDiagonal takes the diagonal entries H_ii (copied), which must be
// finite; P = len(d) ≥ 1.
func NewDiagonal(d []float64) (*Diagonal, error) {
	if len(d) == 0 {
		return nil, fmt.Errorf("precond: NewDiagonal needs P ≥ 1 diagonal entries")
	}
	for i, v := range d {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("precond: diagonal entry %d is %v, want a finite value", i, v)
		}
	}
	return &Diagonal{d: append([]float64(nil), d...)}, nil
}

// DiagonalOf is NewDiagonal of the diagonal of h.
func DiagonalOf(h mat.Symmetric) (*Diagonal, error) {
	if h == nil {
		return nil, fmt.Errorf("precond: DiagonalOf needs a matrix H")
	}
	d := make([]float64, h.SymmetricDim())
	for i := range d {
		d[i] = h.At(i, i)
	}
	return NewDiagonal(d)
}

// Name is "diagonal".
func (g *Diagonal) Name() string { return "diagonal" }

// Dim is P.
func (g *Diagonal) Dim() int { return len(g.d) }

// Operator returns v ↦ diag(H)·v.
func (g *Diagonal) Operator() krylov.Operator { return scaling("diagonal B", g.d) }

// InvSqrt returns v ↦ (|diag(H)| + λI)^{−1/2}·v.
func (g *Diagonal) InvSqrt(damping float64) (krylov.Operator, error) {
	if err := checkDamping(damping); err != nil {
		return nil, err
	}
	s := make([]float64, len(g.d))
	for i, v := range g.d {
		s[i] = invSqrtScale(v, damping)
	}
	return scaling("diagonal (|B|+λI)^{-1/2}", s), nil
}

// scaling is the operator v ↦ s ⊙ v.
func scaling(what string, s []float64) krylov.Operator {
	return func(dst, vec []float64) ([]float64, error) {
		dst, err := checkVec(what, dst, vec, len(s))
		if err != nil {
			return nil, err
		}
		for i, v := range vec {
			dst[i] = s[i] * v
		}
		return dst, nil
	}
}

// Identity is the baseline without preconditioning: B = I, and its InvSqrt
// is I at every damping, so the preconditioned matrix is H + λI itself.
// (It is not (|I| + λI)^{−1/2}, which would only rescale H + λI by
// 1/(1+λ).) Its relative error ‖H − I‖_F/‖H‖_F depends on the scale of H,
// unlike the others'.
type Identity struct {
	p int
}

// NewIdentity returns the identity of dimension p ≥ 1.
func NewIdentity(p int) (*Identity, error) {
	if p < 1 {
		return nil, fmt.Errorf("precond: NewIdentity(%d), want P ≥ 1", p)
	}
	return &Identity{p: p}, nil
}

// Name is "identity".
func (id *Identity) Name() string { return "identity" }

// Dim is P.
func (id *Identity) Dim() int { return id.p }

// Operator returns v ↦ v.
func (id *Identity) Operator() krylov.Operator { return id.copy("identity B") }

// InvSqrt returns v ↦ v after checking the damping.
func (id *Identity) InvSqrt(damping float64) (krylov.Operator, error) {
	if err := checkDamping(damping); err != nil {
		return nil, err
	}
	return id.copy("identity preconditioner"), nil
}

func (id *Identity) copy(what string) krylov.Operator {
	return func(dst, vec []float64) ([]float64, error) {
		dst, err := checkVec(what, dst, vec, id.p)
		if err != nil {
			return nil, err
		}
		copy(dst, vec)
		return dst, nil
	}
}
