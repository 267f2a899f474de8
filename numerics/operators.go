package numerics

import (
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
	"gonum.org/v1/gonum/blas"
)

// BlockDiagVecOperator returns a function computing blockdiag(H)·vec
// without forming H, reusing one forward pass. Each diagonal block has the
// form H_aa = (1/N) Σ_n c_n[a,a] g_n g_nᵀ, so
//
//	(blockdiag(H)·v)_a = (1/N) Σ_n c_n[a,a] (g_n·v_a) g_n,
//
// two GEMMs and an elementwise product: for the linear model and the MLP's
// output blocks c = A_n[k,k] (p_k(1−p_k) for CE, 1 for MSE) and g = x or
// φ(u); for the MLP's hidden blocks c = C_n[i,i] = (VᵀA_nV)_ii φ'_i² +
// φ”_i (Vᵀr_n)_i and g = x. Cost O(N·P), like HessVec.
func (p *Problem) BlockDiagVecOperator() krylov.Operator {
	if err := p.check(); err != nil {
		return failingOperator(err)
	}
	f := p.forward()
	if f.deep != nil {
		return p.deepBlockDiagVec(f)
	}
	cfg := p.cfg
	n, d, c, m := f.n, f.d, f.c, f.m
	// Output-block coefficients A_n[k,k].
	var q []float64
	if f.p != nil {
		q = make([]float64, n*c)
		for i, v := range f.p {
			q[i] = v * (1 - v)
		}
	}
	var dg []float64
	if cfg.Model == kind.MLP {
		pairs := make([][2]int, m)
		for i := range pairs {
			pairs[i] = [2]int{i, i}
		}
		dg = make([]float64, n*m)
		p.hiddenCoefficients(f).block(pairs, dg)
	}
	inv := 1 / float64(n)
	// apply sets out (rows × width) = (1/N) (coef ⊙ (G·vᵀ))ᵀ G for the
	// feature matrix g (N×width) and v (rows×width).
	apply := func(out, v, g []float64, rows, width int, coef []float64) {
		z := make([]float64, n*rows)
		gemm(blas.NoTrans, blas.Trans, 1, general(n, width, g), general(rows, width, v), 0, general(n, rows, z))
		if coef != nil {
			for i := range z {
				z[i] *= coef[i]
			}
		}
		gemm(blas.Trans, blas.NoTrans, inv, general(n, rows, z), general(n, width, g), 0, general(rows, width, out))
	}
	return func(dst, vec []float64) ([]float64, error) {
		if err := p.checkVec(vec); err != nil {
			return nil, err
		}
		if len(dst) != len(vec) {
			dst = make([]float64, len(vec))
		}
		if cfg.Model == kind.Linear {
			apply(dst, vec, f.x, c, d, q)
		} else {
			apply(dst[:m*d], vec[:m*d], f.x, m, d, dg)
			apply(dst[m*d:], vec[m*d:], f.h, c, m, q)
		}
		return finiteResult("blockdiag(H)·v", dst)
	}
}

// OffBlockVecOperator returns a function computing (H − blockdiag(H))·vec
// without forming H.
func (p *Problem) OffBlockVecOperator() krylov.Operator {
	if err := p.check(); err != nil {
		return failingOperator(err)
	}
	hv := p.HessVecOperator()
	bd := p.BlockDiagVecOperator()
	return func(dst, vec []float64) ([]float64, error) {
		var err error
		if dst, err = hv(dst, vec); err != nil {
			return nil, err
		}
		tmp, err := bd(nil, vec)
		if err != nil {
			return nil, err
		}
		for i, v := range tmp {
			dst[i] -= v
		}
		return dst, nil
	}
}

// ExtremeEigenvalues returns the largest and smallest eigenvalues of H by
// Lanczos on HessVecOperator, without forming H.
func (p *Problem) ExtremeEigenvalues(opts krylov.LanczosOptions) (*krylov.ExtremeEigen, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return krylov.Lanczos(p.HessVecOperator(), p.NumParams(), opts)
}

// deepBlockDiagVec is BlockDiagVecOperator for the general engine: the
// diagonal blocks of a layer are (1/N) Σ_n K_n[i,i] ā_n ā_nᵀ (deephessian.go),
// applied as two GEMMs per layer.
func (p *Problem) deepBlockDiagVec(f *forward) krylov.Operator {
	n := f.n
	inv := 1 / float64(n)
	var fams []*family
	for _, s := range p.deepFamilies(f, partsH) {
		if s.sym {
			fams = append(fams, s)
		}
	}
	coefs := make([][]float64, len(fams)) // N × h_l: K_n[i,i]
	for t, s := range fams {
		k := make([]float64, n*s.na)
		for r := 0; r < n; r++ {
			for i := 0; i < s.na; i++ {
				s.coef(r, i, i, k[r*s.na+i:r*s.na+i+1])
			}
		}
		coefs[t] = k
	}
	return func(dst, vec []float64) ([]float64, error) {
		if err := p.checkVec(vec); err != nil {
			return nil, err
		}
		if len(dst) != len(vec) {
			dst = make([]float64, len(vec))
		}
		clear(dst)
		for t, s := range fams {
			rows, width := s.na, s.da
			z := make([]float64, n*rows)
			v := vec[s.offA : s.offA+rows*width]
			gemm(blas.NoTrans, blas.Trans, 1, general(n, width, s.fa), general(rows, width, v), 0, general(n, rows, z))
			for i := range z {
				z[i] *= coefs[t][i]
			}
			gemm(blas.Trans, blas.NoTrans, inv, general(n, rows, z), general(n, width, s.fa), 0, general(rows, width, dst[s.offA:s.offA+rows*width]))
		}
		return finiteResult("blockdiag(H)·v", dst)
	}
}

// GaussNewtonVec returns a function computing G·vec, the Gauss–Newton
// part of H (GaussNewton), without forming it: J v by a forward
// directional derivative, A_n, then Jᵀ by backpropagation, O(N·P) per
// product, reusing one forward pass. Like HessVecOperator it must not be
// called concurrently.
func (p *Problem) GaussNewtonVec() krylov.Operator { return p.partsVec(partsGN, "G·v") }

// ResidualVec returns a function computing Hres·vec, the residual part of
// H (Residual), without forming it (exactly zero for the linear model).
func (p *Problem) ResidualVec() krylov.Operator { return p.partsVec(partsRes, "Hres·v") }

func (p *Problem) partsVec(parts curvatureParts, what string) krylov.Operator {
	if err := p.check(); err != nil {
		return failingOperator(err)
	}
	f := p.deepForwardPass()
	work := new(deepWork)
	return func(dst, vec []float64) ([]float64, error) {
		if err := p.checkVec(vec); err != nil {
			return nil, err
		}
		return finiteResult(what, p.deepVec(f, work, parts, dst, vec))
	}
}
