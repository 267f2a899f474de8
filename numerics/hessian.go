package numerics

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// DenseTooLargeError is returned when a dense Hessian would need more memory
// than allowed.
// The limit is Problem.MaxDenseBytes, or, when the Hessian fits that but not
// beside the problem's data and forward pass, the memory budget
// (Problem.MaxBytes): then Budget is set and the error wraps a
// *membudget.Error.
type DenseTooLargeError struct {
	Params int   // P
	Bytes  int64 // P²·8 (with Budget: plus data and forward pass)
	Limit  int64
	Budget bool // the limit is the memory budget, not MaxDenseBytes
}

const denseAlternatives = "use the structured statistics that never form H (StructuredStats for ρ, R per family and block norms; " +
	"Problem.Block for single blocks; HessVec, Lanczos and SLQ for spectra)"

func (e *DenseTooLargeError) Error() string {
	if e.Budget {
		return "numerics: " + e.Unwrap().Error()
	}
	return fmt.Sprintf("numerics: a dense Hessian of P = %d parameters needs %s, over the dense limit of %s (Problem.MaxDenseBytes, inspect's -max-dense-bytes); %s",
		e.Params, membudget.Format(e.Bytes), membudget.Format(e.Limit), denseAlternatives)
}

// Unwrap returns the *membudget.Error of an over-budget Hessian, nil for
// one over MaxDenseBytes alone.
func (e *DenseTooLargeError) Unwrap() error {
	if !e.Budget {
		return nil
	}
	return &membudget.Error{What: fmt.Sprintf("a dense Hessian of P = %d parameters, with the data and forward pass", e.Params),
		Need: e.Bytes, Budget: e.Limit, Hint: denseAlternatives}
}

// DenseBytes is the memory a dense Hessian of the configuration takes,
// math.MaxInt64 when that overflows int64.
func (c Config) DenseBytes() int64 {
	p := int64(c.NumParams())
	if p < 0 || p >= 1<<30 {
		// (2^30)²·8 = 2^63 already overflows.
		return math.MaxInt64
	}
	return p * p * 8
}

func (p *Problem) maxDenseBytes() int64 {
	if p.MaxDenseBytes > 0 {
		return p.MaxDenseBytes
	}
	return DefaultMaxDenseBytes
}

// CheckDense returns a *DenseTooLargeError if the dense Hessian would exceed
// Problem.MaxDenseBytes, or, with the problem's data and a forward pass, the
// memory budget Problem.MaxBytes.
func (p *Problem) CheckDense() error {
	return p.checkDense(1)
}

// checkDense is CheckDense for `copies` P×P arrays (2 when the eigenvalues
// are computed too).
func (p *Problem) checkDense(copies int64) error {
	if err := p.check(); err != nil {
		return err
	}
	b := p.cfg.DenseBytes()
	if b > p.maxDenseBytes() || b < 0 {
		return &DenseTooLargeError{Params: p.NumParams(), Bytes: b, Limit: p.maxDenseBytes()}
	}
	need := membudget.Add(membudget.Mul(b, copies), p.cfg.ProblemBytes())
	if !p.cfg.legacy() {
		need = membudget.Add(need, p.cfg.deepJacobianBytes(true))
	}
	if need > p.maxBytes() {
		return &DenseTooLargeError{Params: p.NumParams(), Bytes: need, Limit: p.maxBytes(), Budget: true}
	}
	return nil
}

// Hessian returns the exact Hessian ∇²L(θ) (THEORY §2: Gauss–Newton plus
// residual terms), computing only the upper triangle. Families with the same
// features on both sides (linear; MLP hidden–hidden and output–output) are
// one GEMM over packed index pairs (assemblePacked, N·P²/4 multiply–adds);
// the MLP's hidden–output family is assembled one block row at a time with
// matrix products, in parallel over block rows.
func (p *Problem) Hessian() (*mat.SymDense, error) {
	if err := p.CheckDense(); err != nil {
		return nil, err
	}
	return assembleFamilies(p.NumParams(), p.families(p.forward()))
}

// checkFiniteUpper reports a non-finite entry in the upper triangle of an
// n×n row-major matrix: with validated data and parameters that means
// float64 overflowed (enormous parameters or data), which must not pass on
// as NaN. The scan costs P²/2 comparisons, against N·P²/4 multiply–adds to
// build H.
func checkFiniteUpper(data []float64, n, stride int) error {
	for i := 0; i < n; i++ {
		for j, v := range data[i*stride+i : i*stride+n] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("numerics: Hessian entry (%d, %d) is %v: float64 overflowed at the current parameters and data", i, i+j, v)
			}
		}
	}
	return nil
}

// Block returns the Hessian block H_ab (size of block a × size of block b)
// without forming H: one forward pass, O(N·P), plus O(N·size_a·size_b).
// For the linear model the forward pass is streamed over classes
// (stream.go), so that no N×C array is held. Blocks are indexed as in
// Layout; an index out of range panics.
func (p *Problem) Block(a, b int) (*mat.Dense, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	l := p.Layout()
	if a < 0 || b < 0 || a >= len(l.Blocks) || b >= len(l.Blocks) {
		panic(fmt.Sprintf("numerics: block (%d, %d) out of range [0, %d)", a, b, len(l.Blocks)))
	}
	if p.cfg.streamable() {
		block, err := p.streamBlocks()
		if err != nil {
			return nil, err
		}
		return block(a, b)
	}
	return p.blockFrom(p.forward(), a, b)
}

// blockFrom is Block at the forward pass f, so that callers needing
// several blocks at the same parameters pay for one forward pass.
func (p *Problem) blockFrom(f *forward, a, b int) (*mat.Dense, error) {
	return p.blockOf(p.families(f), a, b)
}

// blockOf is H_ab from the block families fams.
func (p *Problem) blockOf(fams []*family, a, b int) (*mat.Dense, error) {
	l := p.Layout()
	transpose := l.Blocks[a].Start > l.Blocks[b].Start
	if transpose {
		a, b = b, a
	}
	for _, s := range fams {
		ia, ib := a-s.firstA, b-s.firstB
		if ia < 0 || ia >= s.na || ib < 0 || ib >= s.nb {
			continue
		}
		out := make([]float64, s.da*s.db)
		if !s.diagOnly || ia == ib {
			s.blockRow(ia, ib, ib+1, out, s.db)
		}
		blk := mat.NewDense(s.da, s.db, out)
		if s.sym && ia == ib {
			// blockRow fills the full diagonal block; keep it exactly symmetric.
			for i := 0; i < s.da; i++ {
				for j := i + 1; j < s.db; j++ {
					blk.Set(j, i, blk.At(i, j))
				}
			}
		}
		if _, err := finiteResult(fmt.Sprintf("Hessian block (%d, %d)", a, b), out); err != nil {
			return nil, err
		}
		if transpose {
			return mat.DenseCopyOf(blk.T()), nil
		}
		return blk, nil
	}
	// Pairs not covered by any family (MSE output–output off the diagonal)
	// are exactly zero.
	la, lb := l.Blocks[a].Size, l.Blocks[b].Size
	if transpose {
		la, lb = lb, la
	}
	return mat.NewDense(la, lb, nil), nil
}

// family describes the blocks (a, b), a ∈ [0, na), b ∈ [0, nb), of one
// block family as (1/N) Σ_n c_n[a,b] fa_nᵀ fb_n (+ extra), where fa (N×da)
// and fb (N×db) are per-sample features.
type family struct {
	n              int
	fa, fb         []float64
	da, db         int
	na, nb         int
	firstA, firstB int  // index of the first block of each side in Layout
	offA, offB     int  // offsets in θ
	sym            bool // same kind on both sides: compute b ≥ a only
	diagOnly       bool // only the blocks a == b are non-zero
	// coef fills dst[j] = c_n[a, b0+j].
	coef func(n, a, b0 int, dst []float64)
	// extra, if set, adds a term to the block row of a for b ∈ [b0, b1);
	// out holds block b at columns (b−b0)·db … with the given stride.
	extra func(a, b0, b1 int, out []float64, stride int)
}

const sampleChunk = 256

// blockRow writes the blocks (a, b), b ∈ [b0, b1), side by side into out
// (da rows, the given stride), overwriting it.
func (s *family) blockRow(a, b0, b1 int, out []float64, stride int) {
	width := (b1 - b0) * s.db
	for i := 0; i < s.da; i++ {
		clear(out[i*stride : i*stride+width])
	}
	chunk := min(sampleChunk, s.n)
	z := make([]float64, chunk*width)
	cbuf := make([]float64, b1-b0)
	inv := 1 / float64(s.n)
	for n0 := 0; n0 < s.n; n0 += chunk {
		n1 := min(n0+chunk, s.n)
		for n := n0; n < n1; n++ {
			s.coef(n, a, b0, cbuf)
			fbn := s.fb[n*s.db : (n+1)*s.db]
			zr := z[(n-n0)*width : (n-n0+1)*width]
			for j, c := range cbuf {
				seg := zr[j*s.db : (j+1)*s.db]
				for k, v := range fbn {
					seg[k] = c * v
				}
			}
		}
		rows := n1 - n0
		fa := blas64.General{Rows: rows, Cols: s.da, Stride: s.da, Data: s.fa[n0*s.da : n1*s.da]}
		zz := blas64.General{Rows: rows, Cols: width, Stride: width, Data: z[:rows*width]}
		blas64.Gemm(blas.Trans, blas.NoTrans, inv, fa, zz, 1, blas64.General{Rows: s.da, Cols: width, Stride: stride, Data: out})
	}
	if s.extra != nil {
		s.extra(a, b0, b1, out, stride)
	}
}

// assemble writes the family's upper-triangle part of H into data.
func (s *family) assemble(data []float64, stride int) {
	workers := runtime.GOMAXPROCS(0)
	rows := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []float64
			for a := range rows {
				b0, b1 := 0, s.nb
				if s.sym {
					b0 = a
				}
				if s.diagOnly {
					b0, b1 = a, a+1
				}
				width := (b1 - b0) * s.db
				if cap(buf) < s.da*width {
					buf = make([]float64, s.da*width)
				}
				out := buf[:s.da*width]
				s.blockRow(a, b0, b1, out, width)
				for i := 0; i < s.da; i++ {
					row := s.offA + a*s.da + i
					col := s.offB + b0*s.db
					src := out[i*width : (i+1)*width]
					if s.sym {
						// The diagonal block contributes only its upper triangle.
						src, col = src[i:], col+i
					}
					copy(data[row*stride+col:], src)
				}
			}
		}()
	}
	for a := 0; a < s.na; a++ {
		rows <- a
	}
	close(rows)
	wg.Wait()
}

// families lists the block families of p's Hessian with their coefficients
// (THEORY §2).
func (p *Problem) families(f *forward) []*family {
	if f.deep != nil {
		// Built once per forward pass: the families compute their
		// per-sample coefficients on first use and are read-only after.
		if f.deep.fams == nil {
			f.deep.fams = p.deepFamilies(f, partsH)
		}
		return f.deep.fams
	}
	cfg := p.cfg
	n, d, c, m := f.n, f.d, f.c, f.m
	ce := cfg.Loss == kind.CE
	// Output–output: (1/N) Σ A_n[k,l] g_n g_nᵀ, g = x (linear) or h (MLP).
	out := &family{n: n, fa: f.x, fb: f.x, da: d, db: d, na: c, nb: c, sym: true, diagOnly: !ce}
	if cfg.Model == kind.Linear {
		out.coef = f.lossCurvatureRow
		return []*family{out}
	}
	out.fa, out.fb, out.da, out.db = f.h, f.h, m, m
	out.firstA, out.firstB = m, m
	out.offA, out.offB = m*d, m*d
	out.coef = f.lossCurvatureRow

	v := p.v.RawMatrix().Data // C×m
	var vtv []float64         // VᵀV, the MSE Gauss–Newton coefficient
	if !ce {
		vtv = make([]float64, m*m)
		gemm(blas.Trans, blas.NoTrans, 1, general(c, m, v), general(c, m, v), 0, general(m, m, vtv))
	}
	// Hidden–hidden: c_n[i,j] = (VᵀA_nV)_ij φ'_i φ'_j + δ_ij φ''_i (Vᵀr_n)_i.
	hid := &family{n: n, fa: f.x, fb: f.x, da: d, db: d, na: m, nb: m, sym: true}
	hid.coef = func(s, i, j0 int, dst []float64) {
		dphi := f.dphi[s*m : (s+1)*m]
		if ce {
			// (VᵀAV)_ij = Σ_k p_k (V_ki − g_i)(V_kj − g_j), g = Vᵀp, with
			// V_k − g written as (V_k − V_*) − vbar (* the top class) so
			// that no term cancels when the softmax saturates.
			ps, ub := f.p[s*c:(s+1)*c], f.vbar[s*m:(s+1)*m]
			vt := v[f.top[s]*m : (f.top[s]+1)*m]
			clear(dst)
			for k, pk := range ps {
				vk := v[k*m : (k+1)*m]
				t := pk * ((vk[i] - vt[i]) - ub[i])
				for j := range dst {
					jj := j0 + j
					dst[j] += t * ((vk[jj] - vt[jj]) - ub[jj])
				}
			}
		} else {
			copy(dst, vtv[i*m+j0:i*m+j0+len(dst)])
		}
		for j := range dst {
			dst[j] *= dphi[i] * dphi[j0+j]
		}
		if j0 <= i && i < j0+len(dst) {
			dst[i-j0] += f.ddphi[s*m+i] * f.vtr[s*m+i]
		}
	}
	// Hidden–output: c_n[i,l] = φ'_i (A_n V)_{l i}, plus the residual term
	// r_nl φ'_ni x_n e_iᵀ in column i of block (w_i, v_l).
	cross := &family{n: n, fa: f.x, fb: f.h, da: d, db: m, na: m, nb: c, firstB: m, offB: m * d}
	cross.coef = func(s, i, l0 int, dst []float64) {
		phi := f.dphi[s*m+i]
		if ce {
			// (A V)_{li} = p_l (V_li − g_i), centred as in hid.coef.
			ps, ub, vt := f.p[s*c:(s+1)*c], f.vbar[s*m+i], v[f.top[s]*m+i]
			for j := range dst {
				l := l0 + j
				dst[j] = phi * ps[l] * ((v[l*m+i] - vt) - ub)
			}
			return
		}
		for j := range dst {
			dst[j] = phi * v[(l0+j)*m+i]
		}
	}
	cross.extra = func(i, l0, l1 int, out []float64, stride int) {
		// t = (1/N) Xᵀ (R[:, l0:l1] ⊙ φ'_{·i}), d × (l1−l0).
		w := l1 - l0
		g := make([]float64, n*w)
		for s := 0; s < n; s++ {
			phi := f.dphi[s*m+i]
			for j := 0; j < w; j++ {
				g[s*w+j] = f.r[s*c+l0+j] * phi
			}
		}
		t := make([]float64, d*w)
		gemm(blas.Trans, blas.NoTrans, 1/float64(n), general(n, d, f.x), general(n, w, g), 0, general(d, w, t))
		for j := 0; j < d; j++ {
			for l := 0; l < w; l++ {
				out[j*stride+l*m+i] += t[j*w+l]
			}
		}
	}
	return []*family{hid, out, cross}
}

// lossCurvatureRow fills dst[j] = A_n[a, b0+j]: δ (MSE) or p_a δ − p_a p_b (CE).
func (f *forward) lossCurvatureRow(n, a, b0 int, dst []float64) {
	clear(dst)
	if f.p != nil {
		ps := f.p[n*f.c : (n+1)*f.c]
		for j := range dst {
			dst[j] = -ps[a] * ps[b0+j]
		}
		if j := a - b0; j >= 0 && j < len(dst) {
			// p_a − p_a² cancels when p_a → 1; p_a (1 − p_a) does not.
			dst[j] = ps[a] * f.oneMinusP(n, a)
		}
		return
	}
	if j := a - b0; j >= 0 && j < len(dst) {
		dst[j] = 1
	}
}

// packedBytesLimit bounds the sample-by-feature-pair matrix of
// assemblePacked; larger families use the block-row path.
const packedBytesLimit = 512 << 20

// packable reports whether assemblePacked applies: the same features on
// both sides and no extra term, so every block H_ab = (1/N) Σ_n c_n[a,b]
// g_n g_nᵀ is symmetric.
func (s *family) packable() bool {
	if !s.sym || s.extra != nil || s.da != s.db || len(s.fa) != len(s.fb) || (len(s.fa) > 0 && &s.fa[0] != &s.fb[0]) {
		return false
	}
	nd := s.da * (s.da + 1) / 2
	return int64(s.n)*int64(nd)*8 <= packedBytesLimit
}

// assemblePacked writes the family's upper triangle as one product
//
//	Hp[(a,b), (i,j)] = (1/N) Σ_n c_n[a,b] · g_ni g_nj,   b ≥ a, j ≥ i,
//
// a (pairs × N)·(N × d(d+1)/2) GEMM that uses the symmetry of H across
// blocks and inside each block: N·P²/4 multiply–adds, half of the block-row
// path. Block pairs are streamed in chunks of whole block rows.
func (s *family) assemblePacked(data []float64, stride int) {
	n, d := s.n, s.da
	nd := d * (d + 1) / 2
	// Z[n, (i,j)] = g_ni g_nj.
	z := make([]float64, n*nd)
	parallelRows(n, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			g := s.fa[r*d : (r+1)*d]
			zr := z[r*nd : (r+1)*nd]
			t := 0
			for i, gi := range g {
				for _, gj := range g[i:] {
					zr[t] = gi * gj
					t++
				}
			}
		}
	})
	rowPairs := func(a int) int {
		if s.diagOnly {
			return 1
		}
		return s.nb - a
	}
	total := 0
	for a := 0; a < s.na; a++ {
		total += rowPairs(a)
	}
	// At most the family's pairs: a family of thin blocks (nd of 1 or 3)
	// would otherwise allocate millions of unused rows.
	maxPairs := min(max(s.nb, (4<<20)/max(nd, n)), max(total, s.nb))
	coef := make([]float64, maxPairs*n)
	out := make([]float64, maxPairs*nd)
	inv := 1 / float64(n)
	for a0 := 0; a0 < s.na; {
		// A chunk of whole block rows [a0, a1).
		a1, np := a0, 0
		for a1 < s.na && np+rowPairs(a1) <= maxPairs {
			np += rowPairs(a1)
			a1++
		}
		start := make([]int, a1-a0+1) // first pair of each block row
		for a := a0; a < a1; a++ {
			start[a-a0+1] = start[a-a0] + rowPairs(a)
		}
		ct := coef[:np*n] // pairs × N
		parallelRows(n, func(r0, r1 int) {
			buf := make([]float64, s.nb)
			for r := r0; r < r1; r++ {
				for a := a0; a < a1; a++ {
					w := rowPairs(a)
					s.coef(r, a, a, buf[:w])
					for t, c := range buf[:w] {
						ct[(start[a-a0]+t)*n+r] = c
					}
				}
			}
		})
		o := out[:np*nd]
		gemm(blas.NoTrans, blas.NoTrans, inv, general(np, n, ct), general(n, nd, z), 0, general(np, nd, o))
		parallelRows(a1-a0, func(r0, r1 int) {
			for a := a0 + r0; a < a0+r1; a++ {
				for t := 0; t < rowPairs(a); t++ {
					b := a + t
					src := o[(start[a-a0]+t)*nd : (start[a-a0]+t+1)*nd]
					rowBase, colBase := s.offA+a*d, s.offB+b*d
					k := 0
					for i := 0; i < d; i++ {
						dst := data[(rowBase+i)*stride+colBase+i : (rowBase+i)*stride+colBase+d]
						copy(dst, src[k:k+d-i])
						if a != b {
							// The block is symmetric: its lower part is the
							// mirror of the upper one.
							for j := i + 1; j < d; j++ {
								data[(rowBase+j)*stride+colBase+i] = src[k+j-i]
							}
						}
						k += d - i
					}
				}
			}
		})
		a0 = a1
	}
}
