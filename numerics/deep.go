package numerics

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// The general engine: L-layer fully connected networks with optional
// biases,
//
//	s_l = W_l ā_{l−1},  a_l = φ(s_l),  z = s_L,
//
// ā_{l−1} the input of layer l (x for l = 1) with a trailing 1 when layer
// l has a bias. It serves every configuration the specialized engine of
// model.go and hessian.go does not (Config.legacy), and the Gauss–Newton /
// residual split of every model.

// deepForward holds the per-layer quantities of one forward and backward
// pass (index l−1 for layer l unless said otherwise).
type deepForward struct {
	L     int
	sizes []int // d, h_1, …, h_{L−1}, C
	bias  []bool
	// abar[l] is ā_l (N × (sizes[l] + bias of layer l+1)), l = 0 … L−1.
	abar [][]float64
	// s[l], dphi[l], ddphi[l] (N × sizes[l+1]) for the layers l+1 = 1 … L;
	// dphi and ddphi of the output layer are unused.
	s, dphi, ddphi [][]float64
	// delta[l] = ∂(rᵀz)/∂s_{l+1} with r frozen (N × sizes[l+1]), and
	// back[l] = delta[l+1] W_{l+2} (N × sizes[l+1]), the backpropagated
	// residual before φ', for l+1 < L.
	delta, back [][]float64
	// off[l] is the offset of layer l+1 in θ.
	off []int
	// fams caches the Hessian's families (Problem.families).
	fams []*family
}

// inW returns the number of columns of layer l's (1-based) block rows:
// h_{l−1}, plus 1 with a bias.
func (g *deepForward) inW(l int) int {
	if g.bias[l-1] {
		return g.sizes[l-1] + 1
	}
	return g.sizes[l-1]
}

// stridedGeneral views the first cols columns of a row-major rows×stride
// array.
func stridedGeneral(rows, cols, stride int, data []float64) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: stride, Data: data}
}

// deepForward evaluates the network layer by layer, then the loss (into
// f), then backpropagates the residual. p must be checked.
func (p *Problem) deepForwardPass() *forward {
	cfg := p.cfg
	sizes := cfg.LayerSizes()
	L := len(sizes) - 1
	n := cfg.N
	f := &forward{n: n, d: cfg.D, c: cfg.C, x: p.x.RawMatrix().Data}
	g := &deepForward{L: L, sizes: sizes, bias: make([]bool, L), off: make([]int, L+1)}
	f.deep = g
	for l := 1; l <= L; l++ {
		g.bias[l-1] = cfg.HasBias(l)
		g.off[l] = g.off[l-1] + sizes[l]*g.inW(l)
	}
	g.abar = make([][]float64, L)
	g.s = make([][]float64, L)
	g.dphi = make([][]float64, L)
	g.ddphi = make([][]float64, L)
	g.abar[0] = f.x
	if g.bias[0] {
		g.abar[0] = augment(f.x, n, cfg.D)
	}
	for l := 1; l <= L; l++ {
		in, out := sizes[l-1], sizes[l]
		s := make([]float64, n*out)
		w := p.ws[l-1]
		gemm(blas.NoTrans, blas.Trans, 1, stridedGeneral(n, in, g.inW(l), g.abar[l-1]), general(out, in, w.RawMatrix().Data), 0, general(n, out, s))
		if b := p.bs[l-1]; b != nil {
			for i := 0; i < n; i++ {
				row := s[i*out : (i+1)*out]
				for k, v := range b {
					row[k] += v
				}
			}
		}
		g.s[l-1] = s
		if l == L {
			break
		}
		width := out
		if g.bias[l] {
			width++
		}
		a := make([]float64, n*width)
		h := make([]float64, n*out)
		g.dphi[l-1] = make([]float64, n*out)
		g.ddphi[l-1] = make([]float64, n*out)
		activate(cfg.Activation, s, h, g.dphi[l-1], g.ddphi[l-1])
		for i := 0; i < n; i++ {
			copy(a[i*width:i*width+out], h[i*out:(i+1)*out])
			if width > out {
				a[i*width+out] = 1
			}
		}
		g.abar[l] = a
	}
	// The logits are copied: s[L−1] stays the pre-activation of the last
	// layer, which the loss overwrites with p or r.
	f.setLoss(append([]float64(nil), g.s[L-1]...), p.labels, cfg.Loss)
	g.delta = make([][]float64, L)
	g.back = make([][]float64, L)
	g.delta[L-1] = f.r
	for l := L; l > 1; l-- {
		in, out := sizes[l-1], sizes[l]
		back := make([]float64, n*in)
		gemm(blas.NoTrans, blas.NoTrans, 1, general(n, out, g.delta[l-1]), general(out, in, p.ws[l-1].RawMatrix().Data), 0, general(n, in, back))
		g.back[l-2] = back
		d := make([]float64, n*in)
		for i, v := range back {
			d[i] = g.dphi[l-2][i] * v
		}
		g.delta[l-2] = d
	}
	return f
}

// augment returns the N×(d+1) copy of x with a trailing column of ones.
func augment(x []float64, n, d int) []float64 {
	a := make([]float64, n*(d+1))
	for i := 0; i < n; i++ {
		copy(a[i*(d+1):i*(d+1)+d], x[i*d:(i+1)*d])
		a[i*(d+1)+d] = 1
	}
	return a
}

// deepGradient is ∂L/∂W_l = (1/N) δ_lᵀ ā_{l−1}, whose rows (weights, then
// bias) are the layer's blocks in θ order.
func (p *Problem) deepGradient(f *forward, dst []float64) []float64 {
	g := f.deep
	inv := 1 / float64(f.n)
	for l := 1; l <= g.L; l++ {
		out, in := g.sizes[l], g.inW(l)
		gemm(blas.Trans, blas.NoTrans, inv, general(f.n, out, g.delta[l-1]), general(f.n, in, g.abar[l-1]), 0, general(out, in, dst[g.off[l-1]:g.off[l]]))
	}
	return dst
}

// curvatureParts selects the terms of the Hessian H = G + Hres a product
// or an assembly includes.
type curvatureParts struct{ gn, res bool }

var (
	partsH   = curvatureParts{gn: true, res: true}
	partsGN  = curvatureParts{gn: true}
	partsRes = curvatureParts{res: true}
)

// deepWork holds the per-product buffers of deepVec.
type deepWork struct{ rs, ra, rd, tmp [][]float64 }

func growLayers(buf *[][]float64, L int) [][]float64 {
	if len(*buf) < L {
		*buf = make([][]float64, L)
	}
	return *buf
}

// deepVec applies the parts of H to vec by Pearlmutter's R-operator on the
// general engine, O(N·P):
//
//	R s_l = dW_l ā_{l−1} + W_l R a_{l−1},  R a_l = φ'_l ⊙ R s_l,
//	R δ_L = A R z (Gauss–Newton),
//	R δ_{l−1} = φ' ⊙ (R δ_l W_l) + [φ' ⊙ (δ_l dW_l) + φ'' ⊙ R s ⊙ (δ_l W_l)] (residual),
//	R ∇W_l = (1/N) [R δ_lᵀ ā_{l−1} + δ_lᵀ R ā_{l−1} (residual)].
//
// The Gauss–Newton part is the terms without δ; the rest is the residual
// part, so G·v + Hres·v = H·v term by term. For the linear model the
// residual part is exactly zero.
func (p *Problem) deepVec(f *forward, w *deepWork, parts curvatureParts, dst, vec []float64) []float64 {
	g := f.deep
	np := p.NumParams()
	if len(dst) != np {
		dst = make([]float64, np)
	}
	n, L := f.n, g.L
	inv := 1 / float64(n)
	rs := growLayers(&w.rs, L)
	ra := growLayers(&w.ra, L)
	rd := growLayers(&w.rd, L)
	tmp := growLayers(&w.tmp, L)
	for l := 1; l <= L; l++ {
		in, out, inW := g.sizes[l-1], g.sizes[l], g.inW(l)
		rs[l-1] = grow(&rs[l-1], n*out)
		gemm(blas.NoTrans, blas.Trans, 1, general(n, inW, g.abar[l-1]), general(out, inW, vec[g.off[l-1]:g.off[l]]), 0, general(n, out, rs[l-1]))
		if l > 1 {
			gemm(blas.NoTrans, blas.Trans, 1, general(n, in, ra[l-2]), general(out, in, p.ws[l-1].RawMatrix().Data), 1, general(n, out, rs[l-1]))
		}
		if l < L {
			ra[l-1] = grow(&ra[l-1], n*out)
			for i, v := range rs[l-1] {
				ra[l-1][i] = g.dphi[l-1][i] * v
			}
		}
	}
	c := f.c
	rd[L-1] = grow(&rd[L-1], n*c)
	if parts.gn {
		copy(rd[L-1], rs[L-1])
		for i := 0; i < n; i++ {
			row := rd[L-1][i*c : (i+1)*c]
			f.applyA(i, row, row)
		}
	} else {
		clear(rd[L-1])
	}
	for l := L; l >= 1; l-- {
		in, out, inW := g.sizes[l-1], g.sizes[l], g.inW(l)
		dl := dst[g.off[l-1]:g.off[l]]
		gemm(blas.Trans, blas.NoTrans, inv, general(n, out, rd[l-1]), general(n, inW, g.abar[l-1]), 0, general(out, inW, dl))
		if parts.res && l > 1 {
			// δ_lᵀ R ā_{l−1}: R ā has no bias column.
			gemm(blas.Trans, blas.NoTrans, inv, general(n, out, g.delta[l-1]), general(n, in, ra[l-2]), 1, stridedGeneral(out, in, inW, dl))
		}
		if l == 1 {
			break
		}
		// R δ_{l−1}.
		t := grow(&tmp[l-2], n*in)
		gemm(blas.NoTrans, blas.NoTrans, 1, general(n, out, rd[l-1]), general(out, in, p.ws[l-1].RawMatrix().Data), 0, general(n, in, t))
		if parts.res {
			gemm(blas.NoTrans, blas.NoTrans, 1, general(n, out, g.delta[l-1]), stridedGeneral(out, in, inW, vec[g.off[l-1]:g.off[l]]), 1, general(n, in, t))
		}
		rd[l-2] = grow(&rd[l-2], n*in)
		for i, v := range t {
			rd[l-2][i] = g.dphi[l-2][i] * v
			if parts.res {
				rd[l-2][i] += g.ddphi[l-2][i] * rs[l-2][i] * g.back[l-2][i]
			}
		}
	}
	return dst
}

// deepMinAbsPreactivation is MinAbsPreactivation over every hidden layer:
// min |s_l,ni| relative to the largest |ā_{l−1}| entry of the sample, the
// distance to the nearest ReLU kink along one weight coordinate.
func (p *Problem) deepMinAbsPreactivation(f *forward) float64 {
	g := f.deep
	best := math.Inf(1)
	for l := 1; l < g.L; l++ {
		inW, out := g.inW(l), g.sizes[l]
		for s := 0; s < f.n; s++ {
			var amax float64
			for _, v := range g.abar[l-1][s*inW : (s+1)*inW] {
				amax = math.Max(amax, math.Abs(v))
			}
			if amax == 0 {
				continue
			}
			for _, v := range g.s[l-1][s*out : (s+1)*out] {
				best = math.Min(best, math.Abs(v)/amax)
			}
		}
	}
	return best
}
