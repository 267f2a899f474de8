package precond

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// eigen is a symmetric n×n matrix kept as Q·diag(Values)·Qᵀ, the form in
// which every function of it, B itself or (|B| + λI)^{−1/2}, costs two
// matrix–vector products.
type eigen struct {
	values []float64
	q      blas64.General // n×n, eigenvectors in columns
}

// eigenOf eigendecomposes a, which must have finite entries.
func eigenOf(a mat.Symmetric) (eigen, error) {
	n := a.SymmetricDim()
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			if v := a.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return eigen{}, fmt.Errorf("entry (%d, %d) is %v", i, j, v)
			}
		}
	}
	var es mat.EigenSym
	if !es.Factorize(a, true) {
		return eigen{}, errors.New("the symmetric eigendecomposition did not converge")
	}
	var q mat.Dense
	es.VectorsTo(&q)
	return eigen{values: es.Values(nil), q: q.RawMatrix()}, nil
}

// n is the matrix's dimension.
func (e *eigen) n() int { return len(e.values) }

// mapped returns f applied to every eigenvalue.
func (e *eigen) mapped(f func(float64) float64) []float64 {
	out := make([]float64, len(e.values))
	for i, v := range e.values {
		out[i] = f(v)
	}
	return out
}

// apply sets dst = Q·diag(scale)·Qᵀ·x. work has length n; dst may alias x
// since x is read completely before dst is written.
func (e *eigen) apply(dst, x, scale, work []float64) {
	n := e.n()
	blas64.Gemv(blas.Trans, 1, e.q, blas64.Vector{N: n, Inc: 1, Data: x}, 0, blas64.Vector{N: n, Inc: 1, Data: work})
	for i := range work[:n] {
		work[i] *= scale[i]
	}
	blas64.Gemv(blas.NoTrans, 1, e.q, blas64.Vector{N: n, Inc: 1, Data: work}, 0, blas64.Vector{N: n, Inc: 1, Data: dst})
}
