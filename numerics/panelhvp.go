package numerics

import (
	"math"

	"github.com/hessblock/hessblock/internal/membudget"
	"gonum.org/v1/gonum/blas"
)

// H·v of the linear cross-entropy model streamed over class panels, the
// operator Lanczos runs on at large C. With dz_n = dW x_n,
//
//	(H·dW)_k = (1/N) Σ_n s_nk x_n,  s_nk = p_nk ((dz_nk − dz_n*) − μ_n),
//	μ_n = Σ_{k≠*} p_nk dz_nk − q_n dz_n*,
//
// * the most probable class of sample n and q_n = 1 − p_n* summed from the
// other classes (the centring of forward.applyA, which keeps the digits
// when the softmax saturates). μ needs every class before any s can be
// formed. The operator keeps one N×C array, the probabilities (top class
// zeroed, stored panel by panel), and gets μ one of two ways:
//
//   - whole: dz for all classes in a second N×C array (two GEMMs of
//     N·C·d multiply–adds per product), when it fits the memory budget;
//   - panels: μ_n = x_n·u_n − q_n dz_n* with U = P̃ dW (N×d), one more
//     GEMM, and dz only ever one N×panel block: memory N·C + N·panel;
//   - recompute: as panels, but the probabilities are not kept either:
//     each panel of P̃ is recomputed from the logits (one GEMM and N·panel
//     exponentials) in both passes, so that nothing N×C is held: memory
//     O(N·panel + N·d + C·d) at about 2.5× the GEMMs of a product, for
//     when one N×C array does not fit the budget.
//
// Both then form s and H·dW one panel at a time, so s never leaves the
// cache between its two GEMMs. Nothing is allocated after the first
// product.

// hvpPanel is the class-panel width of the operator: N×hvpPanel floats
// (16 MiB at N = 1024) stay in the 32 MiB L3 between the GEMM that writes
// a panel and the one that reads it, and with ≥ 2048 columns the GEMMs run
// at their full rate (their NC blocking is 3072).
const hvpPanel = 2048

// hvpMode says what linearCEHVP keeps (see above).
type hvpMode int

const (
	hvpWhole     hvpMode = iota // P̃ and dz, N×C each
	hvpPanels                   // P̃ (N×C) and one dz panel
	hvpRecompute                // one P̃ panel and one dz panel
)

type linearCEHVP struct {
	n, d, c, w int
	x          []float64 // N×d
	pt         []float64 // p with the top class zeroed, panel-major: panel k0 is N×w_k0 at offset N·k0; one N×w panel (recompute)
	top        []int
	q, ptop    []float64 // 1 − p_top (from the other classes), p_top
	lse        []float64 // log Σ_k e^{z_nk} (recompute)
	of         *outputFamily
	mode       hvpMode
	whole      bool
	dz         []float64 // N×C (whole) or N×w (panels), panel-major
	u          []float64 // U = P̃ dW, N×d (panels)
	dzt, mu    []float64 // dz at the top class, μ

	// Per-product state read by the row loops (built once, so that a
	// product allocates no closures).
	vec                             []float64
	spt                             []float64 // P̃'s panel for sPanelRows
	k0, wj                          int
	topDz, muRows, muPn, sPn, expPn func(i0, i1 int)
}

// panel returns the offset and width of the panel starting at class k0.
func (o *linearCEHVP) panel(k0 int) (off, w int) { return o.n * k0, min(o.w, o.c-k0) }

// linearCEOperator builds the panelled H·v of a linear CE problem. The
// probabilities come from the streamed log-sum-exp of the structured
// statistics (outputfamily.go); dz is kept whole when two N×C arrays, the
// data and four Lanczos vectors fit the budget (Problem.MaxBytes).
func (p *Problem) linearCEOperator() func(dst, vec []float64) ([]float64, error) {
	o := p.newLinearCEHVP(hvpPanel, p.cfg.hvpMode(p.maxBytes()))
	return func(dst, vec []float64) ([]float64, error) {
		if err := p.checkVec(vec); err != nil {
			return nil, err
		}
		return finiteResult("H·v", o.apply(dst, vec))
	}
}

// newLinearCEHVP is the operator with panels of `panel` classes in the
// given mode.
func (p *Problem) newLinearCEHVP(panel int, mode hvpMode) *linearCEHVP {
	cfg := p.cfg
	n, d, c := cfg.N, cfg.D, cfg.C
	o := &linearCEHVP{n: n, d: d, c: c, w: min(panel, c), x: p.x.RawMatrix().Data, mode: mode, whole: mode == hvpWhole}
	o.of = &outputFamily{feat: o.x, n: n, f: d, wout: p.w.RawMatrix().Data, c: c, ce: true}
	if mode == hvpRecompute {
		o.normalizers()
	} else {
		o.probabilities(p.w.RawMatrix().Data)
	}
	if o.whole {
		o.dz = make([]float64, n*c)
	} else {
		o.dz = make([]float64, n*o.w)
		o.u = make([]float64, n*d)
	}
	o.dzt, o.mu = make([]float64, n), make([]float64, n)
	o.topDz, o.muRows, o.muPn, o.sPn, o.expPn = o.topDzRows, o.muRowsFn, o.muPanelRows, o.sPanelRows, o.expPanelRows
	return o
}

// normalizers fills lse, top, ptop and q without keeping the
// probabilities (recompute mode), streamed over the logit panels in o.pt.
func (o *linearCEHVP) normalizers() {
	o.pt = make([]float64, o.n*o.w)
	st := o.of.classStats(o.w, o.pt)
	o.top, o.lse, o.ptop, o.q = st.top, st.lse, st.ptop, st.q
}

// ptPanel returns P̃'s panel at class k0 (N×wj): the stored one, or in
// recompute mode the one recomputed into o.pt from the logits.
func (o *linearCEHVP) ptPanel(k0 int) []float64 {
	off, wj := o.panel(k0)
	if o.mode != hvpRecompute {
		return o.pt[off : off+o.n*wj]
	}
	o.of.logits(o.pt[:o.n*wj], k0, wj)
	o.k0, o.wj = k0, wj
	parallelRows(o.n, o.expPn)
	return o.pt[:o.n*wj]
}

// expPanelRows turns the logits panel in o.pt into probabilities with the
// top class zeroed (recompute mode).
func (o *linearCEHVP) expPanelRows(i0, i1 int) {
	k0, wj := o.k0, o.wj
	for i := i0; i < i1; i++ {
		row, lse := o.pt[i*wj:(i+1)*wj], o.lse[i]
		for k, v := range row {
			row[k] = math.Exp(v - lse)
		}
		if t := o.top[i] - k0; t >= 0 && t < wj {
			row[t] = 0
		}
	}
}

// probabilities fills pt, top, q and ptop: the logits go straight into
// pt panel by panel (one GEMM of N·C·d) with a running maximum and sum per
// sample (the log-sum-exp), then pt turns into probabilities in place with
// the top class, then q comes from the classes other than the top.
func (o *linearCEHVP) probabilities(w []float64) {
	n, c := o.n, o.c
	of := &outputFamily{feat: o.x, n: n, f: o.d, wout: w, c: c, ce: true}
	o.pt = make([]float64, n*c)
	o.top = make([]int, n)
	o.q, o.ptop = make([]float64, n), make([]float64, n)
	zmax, sum := make([]float64, n), make([]float64, n)
	for i := range zmax {
		zmax[i] = math.Inf(-1)
	}
	for k0 := 0; k0 < c; k0 += o.w {
		off, wj := o.panel(k0)
		z := o.pt[off : off+n*wj]
		of.logits(z, k0, wj)
		parallelRows(n, func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				zmax[i], sum[i] = addExp(zmax[i], sum[i], z[i*wj:(i+1)*wj])
			}
		})
	}
	parallelRows(n, func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			lse := zmax[i] + math.Log(sum[i])
			for k0 := 0; k0 < c; k0 += o.w {
				off, wj := o.panel(k0)
				row := o.pt[off+i*wj : off+(i+1)*wj]
				for k, v := range row {
					v = math.Exp(v - lse)
					row[k] = v
					// Strictly greater: ties go to the lowest class, as
					// complementOfTop.
					if v > o.ptop[i] || k0+k == 0 {
						o.top[i], o.ptop[i] = k0+k, v
					}
				}
			}
			var q float64
			for k0 := 0; k0 < c; k0 += o.w {
				off, wj := o.panel(k0)
				for k, v := range o.pt[off+i*wj : off+(i+1)*wj] {
					if k0+k != o.top[i] {
						q += v
					}
				}
			}
			o.q[i] = q
			off, wj := o.panel(o.top[i] / o.w * o.w)
			o.pt[off+i*wj+o.top[i]%o.w] = 0
		}
	})
}

// apply writes H·vec into dst (allocated if it has the wrong length).
func (o *linearCEHVP) apply(dst, vec []float64) []float64 {
	n, d, c := o.n, o.d, o.c
	if len(dst) != c*d {
		dst = make([]float64, c*d)
	}
	o.vec = vec
	xg := general(n, d, o.x)
	if o.whole {
		// Σ_{k≠*} p_nk dz_nk accumulates panel by panel while the panel
		// the GEMM just wrote is still in cache.
		clear(o.mu)
		for k0 := 0; k0 < c; k0 += o.w {
			off, wj := o.panel(k0)
			gemm(blas.NoTrans, blas.Trans, 1, xg, general(wj, d, vec[k0*d:(k0+wj)*d]), 0, general(n, wj, o.dz[off:off+n*wj]))
			o.k0, o.wj = k0, wj
			parallelRows(n, o.muPn)
		}
	} else {
		for k0 := 0; k0 < c; k0 += o.w {
			_, wj := o.panel(k0)
			beta := 1.0
			if k0 == 0 {
				beta = 0
			}
			gemm(blas.NoTrans, blas.NoTrans, 1, general(n, wj, o.ptPanel(k0)), general(wj, d, vec[k0*d:(k0+wj)*d]), beta, general(n, d, o.u))
		}
		parallelRows(n, o.topDz)
	}
	parallelRows(n, o.muRows)
	inv := 1 / float64(n)
	for k0 := 0; k0 < c; k0 += o.w {
		off, wj := o.panel(k0)
		var s []float64
		if o.whole {
			s = o.dz[off : off+n*wj]
		} else {
			s = o.dz[:n*wj]
			gemm(blas.NoTrans, blas.Trans, 1, xg, general(wj, d, vec[k0*d:(k0+wj)*d]), 0, general(n, wj, s))
		}
		o.spt = o.ptPanel(k0)
		o.k0, o.wj = k0, wj
		parallelRows(n, o.sPn)
		gemm(blas.Trans, blas.NoTrans, inv, general(n, wj, s), xg, 0, general(wj, d, dst[k0*d:(k0+wj)*d]))
	}
	return dst
}

// topDzRows sets dz_n* = x_n·dw_top (panel mode, where dz is not kept).
func (o *linearCEHVP) topDzRows(i0, i1 int) {
	d := o.d
	for i := i0; i < i1; i++ {
		xi, wt := o.x[i*d:(i+1)*d], o.vec[o.top[i]*d:(o.top[i]+1)*d]
		var s float64
		for a, v := range xi {
			s += v * wt[a]
		}
		o.dzt[i] = s
	}
}

// muRowsFn sets μ_n (and dz_n* when dz is whole, where μ holds the sum
// over the classes already).
func (o *linearCEHVP) muRowsFn(i0, i1 int) {
	d := o.d
	for i := i0; i < i1; i++ {
		if !o.whole {
			xi, ui := o.x[i*d:(i+1)*d], o.u[i*d:(i+1)*d]
			var s float64
			for a, v := range xi {
				s += v * ui[a]
			}
			o.mu[i] = s - o.q[i]*o.dzt[i]
			continue
		}
		off, wj := o.panel(o.top[i] / o.w * o.w)
		o.dzt[i] = o.dz[off+i*wj+o.top[i]%o.w]
		o.mu[i] -= o.q[i] * o.dzt[i]
	}
}

// muPanelRows adds the panel at o.k0's Σ p̃_nk dz_nk to μ (dz whole).
func (o *linearCEHVP) muPanelRows(i0, i1 int) {
	off, wj := o.panel(o.k0)
	for i := i0; i < i1; i++ {
		pr, zr := o.pt[off+i*wj:off+(i+1)*wj], o.dz[off+i*wj:off+(i+1)*wj]
		s := o.mu[i]
		for k, v := range pr {
			s += v * zr[k]
		}
		o.mu[i] = s
	}
}

// sPanelRows turns the dz panel at o.k0 into s in place.
func (o *linearCEHVP) sPanelRows(i0, i1 int) {
	k0, wj := o.k0, o.wj
	off, _ := o.panel(k0)
	s := o.dz[:o.n*wj]
	if o.whole {
		s = o.dz[off : off+o.n*wj]
	}
	pt := o.spt
	for i := i0; i < i1; i++ {
		zt, mu := o.dzt[i], o.mu[i]
		sr, pr := s[i*wj:(i+1)*wj], pt[i*wj:(i+1)*wj]
		for k, v := range sr {
			sr[k] = pr[k] * ((v - zt) - mu)
		}
		if t := o.top[i] - k0; t >= 0 && t < wj {
			sr[t] = -o.ptop[i] * mu // (dz* − dz*) = 0
		}
	}
}

// linearCEHVPBytes is the memory of linearCEOperator beyond the data: the
// probabilities, dz (whole or one panel, as the budget decides) and the
// per-sample vectors. With budget 0 it is the panelled operator's.
func (c Config) linearCEHVPBytes(budget int64) int64 {
	n, cc, d := float64(c.N), float64(c.C), float64(c.D)
	panel := n * math.Min(cc, hvpPanel)
	switch c.hvpMode(budget) {
	case hvpWhole:
		return membudget.Floats(2*n*cc, 4*n)
	case hvpPanels:
		return membudget.Floats(n*cc, panel, n*d, 4*n)
	}
	return membudget.Floats(2*panel, n*d, 5*n)
}

// hvpMode is the mode linearCEOperator runs in under budget: dz whole when
// two N×C arrays beside the data and four Lanczos vectors fit, the
// probabilities alone when one does or C is at most one panel, else
// neither (budget 0: panels).
func (c Config) hvpMode(budget int64) hvpMode {
	if budget <= 0 {
		return hvpPanels
	}
	n, cc := float64(c.N), float64(c.C)
	fits := func(arrays float64) bool {
		return membudget.Add(c.DataBytes(), membudget.Floats(arrays*n*cc, n*math.Min(cc, hvpPanel), 4*float64(c.NumParams()))) <= budget
	}
	switch {
	case fits(2):
		return hvpWhole
	case fits(1), cc <= hvpPanel:
		// Up to one panel of classes recomputing holds as much as storing.
		return hvpPanels
	}
	return hvpRecompute
}
