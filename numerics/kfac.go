package numerics

import (
	"fmt"

	"github.com/hessblock/hessblock/internal/membudget"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// KFACFactor holds the two Kronecker factors of one layer's block of the
// Gauss–Newton matrix in the "type-2" (exact-GGN) KFAC of Martens & Grosse
// (2015): with ā_n the layer's input (a trailing 1 when the layer has a
// bias), s_n its pre-activation, B_n = ∂z_n/∂s_n and A_n the loss
// curvature,
//
//	Input  = (1/N) Σ_n ā_n ā_nᵀ          ((h_{l−1}+bias) square),
//	Output = (1/N) Σ_n B_nᵀ A_n B_n      (h_l square),
//
// and the layer's diagonal block of G (GaussNewton) is approximately
// Output ⊗ Input in θ order (neuron i's weights, then its bias, so that
// entry (i·w + j, i'·w + j') is Output[i,i']·Input[j,j'], w the width of
// Input). The approximation is exact for one sample. curvlinops'
// KFACLinearOperator(fisher_type="type-2") has the same factors; it orders
// the weights and the biases of a layer as separate parameters.
type KFACFactor struct {
	Layer  int // 1-based
	Input  *mat.SymDense
	Output *mat.SymDense
}

// KFACFactors returns the KFAC factors of every layer, first to last, at
// the current parameters: O(N·C·Σ h_l) work arrays for the Jacobians
// B_n, checked against the memory budget first.
func (p *Problem) KFACFactors() ([]KFACFactor, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if err := p.checkExtra("KFAC factors (per-sample Jacobians)", membudget.Add(p.cfg.deepForwardBytes(), p.cfg.deepJacobianBytes(false)), "use smaller N, C or widths"); err != nil {
		return nil, err
	}
	f := p.deepForwardPass()
	g := f.deep
	jac := p.deepJacobiansOf(f, partsGN)
	n, c := f.n, f.c
	inv := 1 / float64(n)
	out := make([]KFACFactor, g.L)
	for l := 1; l <= g.L; l++ {
		w, h := g.inW(l), g.sizes[l]
		in := mat.NewSymDense(w, nil)
		blasSyrk(inv, general(n, w, g.abar[l-1]), in)
		o := mat.NewSymDense(h, nil)
		raw := o.RawSymmetric()
		if l == g.L {
			row := make([]float64, c)
			for s := 0; s < n; s++ {
				for k := 0; k < c; k++ {
					f.lossCurvatureRow(s, k, k, row[:c-k])
					for t, v := range row[:c-k] {
						raw.Data[k*raw.Stride+k+t] += inv * v
					}
				}
			}
		} else {
			b, ab := jac.d[g.L][l], jac.ab[l]
			// Σ_n B_nᵀ (A_n B_n) as one product over the stacked samples.
			full := make([]float64, h*h)
			gemm(blas.Trans, blas.NoTrans, inv, general(n*c, h, b), general(n*c, h, ab), 0, general(h, h, full))
			for i := 0; i < h; i++ {
				for j := i; j < h; j++ {
					// Symmetric in exact arithmetic; average the round-off.
					raw.Data[i*raw.Stride+j] = (full[i*h+j] + full[j*h+i]) / 2
				}
			}
		}
		if err := checkFiniteUpper(raw.Data, h, raw.Stride); err != nil {
			return nil, fmt.Errorf("numerics: KFAC output factor of layer %d: %w", l, err)
		}
		if ri := in.RawSymmetric(); checkFiniteUpper(ri.Data, w, ri.Stride) != nil {
			return nil, fmt.Errorf("numerics: KFAC input factor of layer %d is not finite: float64 overflowed at the current parameters and data", l)
		}
		out[l-1] = KFACFactor{Layer: l, Input: in, Output: o}
	}
	return out, nil
}

// blasSyrk sets s = alpha·aᵀa (upper triangle).
func blasSyrk(alpha float64, a blas64.General, s *mat.SymDense) {
	raw := s.RawSymmetric()
	n := raw.N
	full := make([]float64, n*n)
	gemm(blas.Trans, blas.NoTrans, alpha, a, a, 0, general(n, n, full))
	for i := 0; i < n; i++ {
		copy(raw.Data[i*raw.Stride+i:i*raw.Stride+n], full[i*n+i:(i+1)*n])
	}
}
