package numerics

import (
	"sync"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/mat"
)

// The dense Hessian of the general engine, family by family (one family
// per pair of layers p ≤ q). With B_p = ∂z/∂s_p (C × h_p), D^{q,p} =
// ∂s_q/∂s_p, Ψ_q = ∇²_{s_q}(rᵀz) at frozen r and T^{q−1,p} = ∂a_{q−1}/∂s_p,
// the block of neurons i (layer p) and i' (layer q) is
//
//	H = (1/N) Σ_n [ K_n[i,i'] ā_{p−1} ā_{q−1}ᵀ + ā_{p−1} (δ_q[i'] T^{q−1,p}[:,i])ᵀ ],
//	K_n = B_pᵀ A_n B_q (Gauss–Newton) + (Ψ_q D^{q,p})ᵀ (residual),
//
// the second term (residual) only for p < q and without the bias column of
// ā_{q−1}. Every family is thus a weighted Gram matrix like THEORY §2.1's,
// and the assembly of hessian.go applies: the same-layer families by the
// packed product (N·P_l²/4 multiply–adds), the others block row by block
// row (N·P_p·P_q, twice that with the residual term).

// deepJacobians holds the per-sample matrices the coefficients need,
// indexed by 1-based layers; each is N consecutive row-major matrices.
type deepJacobians struct {
	d   [][][]float64 // d[q][p] = D^{q,p} (h_q × h_p), p < q ≤ L; d[L][p] = B_p
	ab  [][]float64   // ab[p] = A_n B_p (C × h_p), p < L
	psi [][]float64   // psi[q] = Ψ_q (h_q × h_q), q < L (residual only)
}

// deepJacobiansOf builds the per-sample matrices of the forward pass f.
func (p *Problem) deepJacobiansOf(f *forward, parts curvatureParts) *deepJacobians {
	g := f.deep
	L, n, sz := g.L, f.n, g.sizes
	j := &deepJacobians{d: make([][][]float64, L+1), ab: make([][]float64, L+1), psi: make([][]float64, L+1)}
	for q := range j.d {
		j.d[q] = make([][]float64, L+1)
	}
	for q := 2; q <= L; q++ {
		w := p.ws[q-1].RawMatrix().Data // h_q × h_{q−1}
		hq, hq1 := sz[q], sz[q-1]
		wphi := make([]float64, hq*hq1)
		for pp := 1; pp < q; pp++ {
			hp := sz[pp]
			out := make([]float64, n*hq*hp)
			for s := 0; s < n; s++ {
				dphi := g.dphi[q-2][s*hq1 : (s+1)*hq1]
				for a := 0; a < hq; a++ {
					for b := 0; b < hq1; b++ {
						wphi[a*hq1+b] = w[a*hq1+b] * dphi[b]
					}
				}
				o := out[s*hq*hp : (s+1)*hq*hp]
				if pp == q-1 {
					copy(o, wphi)
					continue
				}
				prev := j.d[q-1][pp][s*hq1*hp : (s+1)*hq1*hp]
				gemm(blas.NoTrans, blas.NoTrans, 1, general(hq, hq1, wphi), general(hq1, hp, prev), 0, general(hq, hp, o))
			}
			j.d[q][pp] = out
		}
	}
	c := f.c
	col := make([]float64, c)
	for pp := 1; pp < L; pp++ {
		hp := sz[pp]
		b := j.d[L][pp]
		ab := make([]float64, len(b))
		for s := 0; s < n; s++ {
			bs, abs := b[s*c*hp:(s+1)*c*hp], ab[s*c*hp:(s+1)*c*hp]
			for i := 0; i < hp; i++ {
				for k := 0; k < c; k++ {
					col[k] = bs[k*hp+i]
				}
				f.applyA(s, col, col)
				for k := 0; k < c; k++ {
					abs[k*hp+i] = col[k]
				}
			}
		}
		j.ab[pp] = ab
	}
	if parts.res {
		for q := L - 1; q >= 1; q-- {
			hq, hq1 := sz[q], sz[q+1]
			psi := make([]float64, n*hq*hq)
			w := p.ws[q].RawMatrix().Data // h_{q+1} × h_q
			m := make([]float64, hq1*hq)
			for s := 0; s < n; s++ {
				o := psi[s*hq*hq : (s+1)*hq*hq]
				if q+1 < L {
					next := j.psi[q+1][s*hq1*hq1 : (s+1)*hq1*hq1]
					gemm(blas.NoTrans, blas.NoTrans, 1, general(hq1, hq1, next), general(hq1, hq, w), 0, general(hq1, hq, m))
					gemm(blas.Trans, blas.NoTrans, 1, general(hq1, hq, w), general(hq1, hq, m), 0, general(hq, hq, o))
					dphi := g.dphi[q-1][s*hq : (s+1)*hq]
					for a := 0; a < hq; a++ {
						for b := 0; b < hq; b++ {
							o[a*hq+b] *= dphi[a] * dphi[b]
						}
					}
				}
				for a := 0; a < hq; a++ {
					o[a*hq+a] += g.ddphi[q-1][s*hq+a] * g.back[q-1][s*hq+a]
				}
			}
			j.psi[q] = psi
		}
	}
	return j
}

// deepFamilies lists the layer-pair families of the parts of H at the
// forward pass f (of the general engine). The coefficients of a family are
// computed when it is first used.
func (p *Problem) deepFamilies(f *forward, parts curvatureParts) []*family {
	g := f.deep
	L, n, sz := g.L, f.n, g.sizes
	var jac *deepJacobians
	var jacOnce sync.Once
	jacobians := func() *deepJacobians {
		jacOnce.Do(func() { jac = p.deepJacobiansOf(f, parts) })
		return jac
	}
	first := make([]int, L+1) // index of the first block of layer l
	for l := 2; l <= L; l++ {
		first[l] = first[l-1] + sz[l-1]
	}
	ce := p.cfg.Loss == kind.CE
	var fams []*family
	for pl := 1; pl <= L; pl++ {
		for q := pl; q <= L; q++ {
			hp, hq := sz[pl], sz[q]
			fam := &family{n: n, fa: g.abar[pl-1], fb: g.abar[q-1], da: g.inW(pl), db: g.inW(q), na: hp, nb: hq,
				firstA: first[pl], firstB: first[q], offA: g.off[pl-1], offB: g.off[q-1], sym: pl == q}
			switch {
			case q == L && pl == L:
				if !parts.gn {
					continue // the residual part of the last layer is zero
				}
				fam.diagOnly = !ce
				fam.coef = f.lossCurvatureRow
				fams = append(fams, fam)
				continue
			case q == L && !parts.gn:
				// No coefficient term (Ψ_L = 0), only the residual term.
				fam.coef = func(_, _, _ int, dst []float64) { clear(dst) }
			default:
				fam.coef = p.deepCoef(jacobians, f, parts, pl, q)
			}
			if parts.res && pl < q {
				fam.extra = deepResidualTerm(jacobians, f, pl, q)
			}
			fams = append(fams, fam)
		}
	}
	return fams
}

// deepCoef returns the coefficient function K_n[i, i'] of the family of
// layers pl < q or pl = q < L (see the top of the file), built on first
// use (N·h_p·h_q floats).
func (p *Problem) deepCoef(jacobians func() *deepJacobians, f *forward, parts curvatureParts, pl, q int) func(n, a, b0 int, dst []float64) {
	g := f.deep
	L, n, c := g.L, f.n, f.c
	hp, hq := g.sizes[pl], g.sizes[q]
	var k []float64
	var once sync.Once
	build := func() {
		j := jacobians()
		if q == L {
			// K = (A B_p)ᵀ: read from ab directly.
			return
		}
		k = make([]float64, n*hp*hq)
		for s := 0; s < n; s++ {
			o := k[s*hp*hq : (s+1)*hp*hq]
			if parts.gn {
				bp := j.d[L][pl][s*c*hp : (s+1)*c*hp]
				abq := j.ab[q][s*c*hq : (s+1)*c*hq]
				gemm(blas.Trans, blas.NoTrans, 1, general(c, hp, bp), general(c, hq, abq), 0, general(hp, hq, o))
			}
			if parts.res {
				psi := j.psi[q][s*hq*hq : (s+1)*hq*hq]
				if pl == q {
					for i := range o {
						o[i] += psi[i] // Ψ is symmetric
					}
					continue
				}
				// (Ψ_q D^{q,p})ᵀ = D^{q,p}ᵀ Ψ_q.
				dqp := j.d[q][pl][s*hq*hp : (s+1)*hq*hp]
				gemm(blas.Trans, blas.NoTrans, 1, general(hq, hp, dqp), general(hq, hq, psi), 1, general(hp, hq, o))
			}
		}
	}
	return func(s, a, b0 int, dst []float64) {
		once.Do(build)
		if q == L {
			ab := jacobians().ab[pl][s*c*hp : (s+1)*c*hp]
			for t := range dst {
				dst[t] = ab[(b0+t)*hp+a]
			}
			return
		}
		copy(dst, k[s*hp*hq+a*hq+b0:])
	}
}

// deepResidualTerm returns the family's extra function adding
// (1/N) Σ_n ā_{p−1} (δ_q[i'] T^{q−1,p}[:, i])ᵀ to the blocks (i, i'),
// i' ∈ [b0, b1): the derivative of layer q's input ā_{q−1} along W_p.
func deepResidualTerm(jacobians func() *deepJacobians, f *forward, pl, q int) func(a, b0, b1 int, out []float64, stride int) {
	g := f.deep
	n := f.n
	hp, hq, hq1 := g.sizes[pl], g.sizes[q], g.sizes[q-1]
	da, db := g.inW(pl), g.inW(q)
	delta := g.delta[q-1]
	if q-1 == pl {
		// Adjacent layers: T = diag(φ'_p), so only column a of each block
		// (i', ·) is touched: t = (1/N) ā_{p−1}ᵀ (δ_q[:, b] φ'_p[:, a]),
		// N·da·(b1−b0) multiply–adds instead of N·da·(b1−b0)·db.
		return func(a, b0, b1 int, out []float64, stride int) {
			w := b1 - b0
			z := make([]float64, n*w)
			for s := 0; s < n; s++ {
				phi := g.dphi[pl-1][s*hp+a]
				for b := b0; b < b1; b++ {
					z[s*w+b-b0] = delta[s*hq+b] * phi
				}
			}
			t := make([]float64, da*w)
			gemm(blas.Trans, blas.NoTrans, 1/float64(n), general(n, da, g.abar[pl-1]), general(n, w, z), 0, general(da, w, t))
			for j := 0; j < da; j++ {
				for b := 0; b < w; b++ {
					out[j*stride+b*db+a] += t[j*w+b]
				}
			}
		}
	}
	return func(a, b0, b1 int, out []float64, stride int) {
		w := (b1 - b0) * db
		z := make([]float64, n*w)
		t := make([]float64, hq1) // T^{q−1,p}[:, a] of one sample
		for s := 0; s < n; s++ {
			dphi := g.dphi[q-2][s*hq1 : (s+1)*hq1]
			if q-1 == pl {
				clear(t)
				t[a] = dphi[a]
			} else {
				d := jacobians().d[q-1][pl][s*hq1*hp : (s+1)*hq1*hp]
				for jj := range t {
					t[jj] = dphi[jj] * d[jj*hp+a]
				}
			}
			zs := z[s*w : (s+1)*w]
			for b := b0; b < b1; b++ {
				dq := delta[s*hq+b]
				seg := zs[(b-b0)*db : (b-b0)*db+hq1]
				for jj, v := range t {
					seg[jj] = dq * v
				}
			}
		}
		gemm(blas.Trans, blas.NoTrans, 1/float64(n), general(n, da, g.abar[pl-1]), general(n, w, z), 1, stridedGeneral(da, w, stride, out))
	}
}

// assembleFamilies writes the upper triangle of the sum of the families
// into a new P×P matrix and checks it is finite.
func assembleFamilies(np int, fams []*family) (*mat.SymDense, error) {
	h := mat.NewSymDense(np, nil)
	raw := h.RawSymmetric()
	for _, s := range fams {
		if s.packable() {
			s.assemblePacked(raw.Data, raw.Stride)
		} else {
			s.assemble(raw.Data, raw.Stride)
		}
	}
	if err := checkFiniteUpper(raw.Data, np, raw.Stride); err != nil {
		return nil, err
	}
	return h, nil
}

// GaussNewton returns the Gauss–Newton part of the Hessian,
// G = (1/N) Σ_n J_nᵀ A_n J_n (J_n = ∂z_n/∂θ, A_n the loss curvature),
// which is positive semidefinite. It goes through the same memory guard as
// Hessian (CheckDense); H = G + Residual.
func (p *Problem) GaussNewton() (*mat.SymDense, error) { return p.denseParts(partsGN) }

// Residual returns the residual part of the Hessian,
// Hres = (1/N) Σ_n Σ_k r_nk ∇²_θ z_nk, exactly zero for the linear model.
func (p *Problem) Residual() (*mat.SymDense, error) { return p.denseParts(partsRes) }

// denseParts assembles the chosen parts of H with the general engine, for
// every configuration.
func (p *Problem) denseParts(parts curvatureParts) (*mat.SymDense, error) {
	if err := p.CheckDense(); err != nil {
		return nil, err
	}
	if p.cfg.legacy() {
		// The general engine's forward pass and Jacobians, beside H.
		extra := membudget.Add(p.cfg.DenseBytes(), membudget.Add(p.cfg.deepForwardBytes(), p.cfg.deepJacobianBytes(parts.res)))
		if err := p.checkExtra("a dense Gauss–Newton or residual matrix", extra, denseAlternatives); err != nil {
			return nil, err
		}
	}
	f := p.deepForwardPass()
	return assembleFamilies(p.NumParams(), p.deepFamilies(f, parts))
}

// generalHessian is Hessian by the general engine, also for the
// configurations the specialized engine serves (tests and benchmarks
// compare the two).
func (p *Problem) generalHessian() (*mat.SymDense, error) { return p.denseParts(partsH) }
