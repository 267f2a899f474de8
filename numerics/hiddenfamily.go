package numerics

import (
	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/blas"
)

// MLP hidden–hidden (g = h = x): c_n[i,j] = C_n[i,j] with
// C_n = Φ'_n (VᵀA_nV) Φ'_n + diag(φ''_n ⊙ Vᵀr_n). The packed upper triangles
// of all C_n form an N × m(m+1)/2 matrix, from one GEMM P·K with
// K[k,(i,j)] = V_ki V_kj (CE) or from VᵀV (MSE); then
//
//	Σ_{i≠j} ‖H_ij‖² = (2/N²) Σ_{n,n'} (Gx²)_{nn'} Σ_{i<j} C_n[i,j] C_n'[i,j],
//	‖H_ii‖²         = (1/N²) c_iᵀ Gx² c_i,  c_ni = C_n[i,i].
//
// Cost N·C·m²/2 + N²·m²/4 + N²·m.
//

func (p *Problem) structuredMLP(opts StructuredOptions) (*StructuredStats, error) {
	cfg := p.cfg
	n, d, c, m := cfg.N, cfg.D, cfg.C, cfg.M
	f := p.forward()
	l := p.Layout()
	ce := cfg.Loss == kind.CE
	inv2 := 1 / (float64(n) * float64(n))
	v := p.v.RawMatrix().Data
	blockNorms := !opts.SkipBlockNorms

	// Output–output: the linear identities with features h.
	of := newOutputFamily(f.h, n, m, v, c, ce)
	of.run(opts.ClassChunk, blockNorms)
	if err := of.checkPrecision(); err != nil {
		return nil, err
	}

	gx := make([]float64, n*n)
	syrkUpper(gx, n, f.x, d, d, 0)
	symmetrizeSquare(gx, n, func(v float64) float64 { return v })
	gx2 := make([]float64, n*n)
	for i, v := range gx {
		gx2[i] = v * v
	}

	// Hidden–hidden.
	hh := p.hiddenCoefficients(f)
	hid := hh.stats(gx2, blockNorms)

	// Hidden–output.
	crossOff := p.crossFamilySum(f, gx)

	st := &StructuredStats{Sums: BlockSums{
		Off:  map[kind.Family]float64{kind.HiddenHidden: hid.offSum, kind.OutputOutput: of.offSum, kind.HiddenOutput: crossOff},
		Diag: map[kind.Layer]float64{kind.Hidden: hid.diagSum, kind.Output: of.diagSum},
	}}
	if blockNorms {
		st.DiagFrobeniusSq = append(append([]float64(nil), hid.diag...), of.diag...)
	}
	for _, pr := range opts.Pairs {
		a, b := pr[0], pr[1]
		ba, bb := l.Blocks[a], l.Blocks[b]
		var sq float64
		switch {
		case ba.Kind == kind.Hidden && bb.Kind == kind.Hidden:
			coef := hh.pair(ba.Index, bb.Index)
			sq = quadForm(gx2, coef, coef, n) * inv2
		case ba.Kind == kind.Output && bb.Kind == kind.Output:
			sq = of.pairSq(ba.Index, bb.Index)
		case ba.Kind == kind.Hidden:
			sq = p.crossPairSq(f, gx, ba.Index, bb.Index)
		default:
			sq = p.crossPairSq(f, gx, bb.Index, ba.Index)
		}
		st.Pairs = append(st.Pairs, PairNorm{A: a, B: b, FrobeniusSq: sq})
	}
	return st, nil
}

// hiddenCoefs computes the coefficients C_n[i,j] of the hidden–hidden
// family, C_n = Φ'_n (VᵀA_nV) Φ'_n + diag(φ”_n ⊙ Vᵀr_n).
type hiddenCoefs struct {
	p *Problem
	f *forward
}

func (p *Problem) hiddenCoefficients(f *forward) hiddenCoefs { return hiddenCoefs{p: p, f: f} }

// block fills out (N × len(pairs)) with C_n[i,j] for the listed pairs.
func (h hiddenCoefs) block(pairs [][2]int, out []float64) {
	f := h.f
	n, c, m := f.n, f.c, f.m
	v := h.p.v.RawMatrix().Data
	np := len(pairs)
	if f.p != nil {
		// (VᵀA_nV)_ij = Σ_k p_nk (V_ki − g_ni)(V_kj − g_nj), g = Vᵀp. With
		// * the top class, p̃ = p with p_* zeroed, q = 1 − p_*, w = p̃V and
		// ū = w − q V_* (forward.vbar), this is
		//   (p̃ K)_ij − V_*i w_j − w_i V_*j + q V_*i V_*j − ū_i ū_j,
		// K[k,(i,j)] = V_ki V_kj: every term is of size q, so nothing
		// cancels when the softmax saturates (the plain Σ p V V − g g does).
		k := make([]float64, c*np)
		for kk := 0; kk < c; kk++ {
			row := v[kk*m : (kk+1)*m]
			for t, pr := range pairs {
				k[kk*np+t] = row[pr[0]] * row[pr[1]]
			}
		}
		pt := append([]float64(nil), f.p...)
		for s := 0; s < n; s++ {
			pt[s*c+f.top[s]] = 0
		}
		gemm(blas.NoTrans, blas.NoTrans, 1, general(n, c, pt), general(c, np, k), 0, general(n, np, out))
		w := make([]float64, m)
		for s := 0; s < n; s++ {
			ub := f.vbar[s*m : (s+1)*m]
			vt := v[f.top[s]*m : (f.top[s]+1)*m]
			q := f.qtop[s]
			for j := range w {
				w[j] = ub[j] + q*vt[j]
			}
			for t, pr := range pairs {
				i, j := pr[0], pr[1]
				out[s*np+t] += -vt[i]*w[j] - w[i]*vt[j] + q*vt[i]*vt[j] - ub[i]*ub[j]
			}
		}
	} else {
		for t, pr := range pairs {
			var vv float64
			for kk := 0; kk < c; kk++ {
				vv += v[kk*m+pr[0]] * v[kk*m+pr[1]]
			}
			for s := 0; s < n; s++ {
				out[s*np+t] = vv
			}
		}
	}
	for s := 0; s < n; s++ {
		dphi := f.dphi[s*m : (s+1)*m]
		for t, pr := range pairs {
			i, j := pr[0], pr[1]
			val := out[s*np+t] * dphi[i] * dphi[j]
			if i == j {
				val += f.ddphi[s*m+i] * f.vtr[s*m+i]
			}
			out[s*np+t] = val
		}
	}
}

func (h hiddenCoefs) pair(i, j int) []float64 {
	out := make([]float64, h.f.n)
	h.block([][2]int{{i, j}}, out)
	return out
}

type hiddenStats struct {
	offSum, diagSum float64
	diag            []float64
}

// pairChunk bounds the number of (i, j) pairs whose coefficients are held
// at once (N × pairChunk floats).
const pairChunk = 1024

func (h hiddenCoefs) stats(gx2 []float64, blockNorms bool) hiddenStats {
	n, m := h.f.n, h.f.m
	inv2 := 1 / (float64(n) * float64(n))
	var hs hiddenStats
	// Diagonal coefficients c_ni = C_n[i,i].
	diagPairs := make([][2]int, m)
	for i := range diagPairs {
		diagPairs[i] = [2]int{i, i}
	}
	dg := make([]float64, n*m)
	h.block(diagPairs, dg)
	if blockNorms {
		t := make([]float64, n*m)
		gemm(blas.NoTrans, blas.NoTrans, 1, general(n, n, gx2), general(n, m, dg), 0, general(n, m, t))
		hs.diag = make([]float64, m)
		for s := 0; s < n; s++ {
			for i := 0; i < m; i++ {
				hs.diag[i] += dg[s*m+i] * t[s*m+i]
			}
		}
		for i := range hs.diag {
			hs.diag[i] *= inv2
		}
		hs.diagSum = sum(hs.diag)
	} else {
		dd := make([]float64, n*n)
		syrkUpper(dd, n, dg, m, m, 0)
		hs.diagSum = upperContract(gx2, dd, n) * inv2
	}
	// Off-diagonal pairs i < j, streamed in chunks; each counts twice.
	var pairs [][2]int
	gram := make([]float64, n*n)
	buf := make([]float64, n*min(pairChunk, m*(m-1)/2+1))
	first := true
	flush := func() {
		if len(pairs) == 0 {
			return
		}
		np := len(pairs)
		cb := buf[:n*np]
		h.block(pairs, cb)
		beta := 1.0
		if first {
			beta = 0
			first = false
		}
		syrkUpper(gram, n, cb, np, np, beta)
		pairs = pairs[:0]
	}
	for i := 0; i < m; i++ {
		for j := i + 1; j < m; j++ {
			pairs = append(pairs, [2]int{i, j})
			if len(pairs) == pairChunk {
				flush()
			}
		}
	}
	flush()
	if !first {
		hs.offSum = 2 * upperContract(gx2, gram, n) * inv2
	}
	return hs
}
