package numerics

import (
	"fmt"
	"math"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// forward holds the per-sample quantities every derivative needs.
type forward struct {
	n, d, c, m int
	x          []float64 // N×d
	r          []float64 // N×C residual ∇_z ℓ: p − e_y (CE) or z − e_y (MSE)
	p          []float64 // N×C softmax (CE only)
	loss       float64

	// CE only: the most probable class k*_n and q_n = 1 − p_{n,k*} summed
	// from the other classes, so that curvature terms which cancel when the
	// softmax saturates (p_{k*} − p_{k*}², p·s − s_{k*}) keep their digits.
	top  []int
	qtop []float64

	// MLP only.
	u, h, dphi, ddphi []float64 // N×m: pre-activation, activation, φ', φ''
	vtr               []float64 // N×m: Vᵀ r_n
	// vbar is Vᵀp_n − v_{k*} = Σ_{k≠k*} p_nk v_k − q_n v_{k*} (v_k the rows
	// of V, CE only), computed from small terms so that the centred
	// coefficients V_k − Vᵀp of VᵀAV keep their digits when p saturates.
	vbar []float64

	// deep holds the layers of the general engine (deep.go); nil for the
	// configurations of the specialized engine.
	deep *deepForward
}

func general(rows, cols int, data []float64) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: data}
}

// gemm computes c = alpha·op(a)·op(b) + beta·c on row-major slices.
func gemm(ta, tb blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	blas64.Gemm(ta, tb, alpha, a, b, beta, c)
}

// setLoss turns the logits z (N×C, overwritten) into the loss, the
// residual r and, for CE, the softmax p with its top class (THEORY §1).
func (f *forward) setLoss(z []float64, labels []int, loss kind.Loss) {
	n, c := f.n, f.c
	var total float64
	if loss == kind.CE {
		f.p = z
		f.r = make([]float64, n*c)
		f.top = make([]int, n)
		f.qtop = make([]float64, n)
		for i := 0; i < n; i++ {
			pi, ri := f.p[i*c:(i+1)*c], f.r[i*c:(i+1)*c]
			y := labels[i]
			zy := pi[y]
			lse := softmax(pi, pi)
			total += lse - zy
			top, q := complementOfTop(pi)
			f.top[i], f.qtop[i] = top, q
			copy(ri, pi)
			if y == top {
				ri[y] = -q // p_y − 1 without cancellation
			} else {
				ri[y]--
			}
		}
	} else {
		f.r = z
		for i := 0; i < n; i++ {
			ri := f.r[i*c : (i+1)*c]
			ri[labels[i]]--
			var s float64
			for _, v := range ri {
				s += v * v
			}
			total += s / 2
		}
	}
	f.loss = total / float64(n)
}

func (p *Problem) forward() *forward {
	p.mustCheck()
	if !p.cfg.legacy() {
		return p.deepForwardPass()
	}
	cfg := p.cfg
	f := &forward{n: cfg.N, d: cfg.D, c: cfg.C, m: cfg.M, x: p.x.RawMatrix().Data}
	n, d, c, m := f.n, f.d, f.c, f.m
	// The logits are computed into the buffer that then holds the softmax
	// (CE) or the residual (MSE), so that at large C the forward pass keeps
	// two N×C arrays, not three.
	z := make([]float64, n*c)
	if cfg.Model == kind.Linear {
		gemm(blas.NoTrans, blas.Trans, 1, general(n, d, f.x), general(c, d, p.w.RawMatrix().Data), 0, general(n, c, z))
	} else {
		f.u = make([]float64, n*m)
		gemm(blas.NoTrans, blas.Trans, 1, general(n, d, f.x), general(m, d, p.w.RawMatrix().Data), 0, general(n, m, f.u))
		f.h = make([]float64, n*m)
		f.dphi = make([]float64, n*m)
		f.ddphi = make([]float64, n*m)
		activate(cfg.Activation, f.u, f.h, f.dphi, f.ddphi)
		gemm(blas.NoTrans, blas.Trans, 1, general(n, m, f.h), general(c, m, p.v.RawMatrix().Data), 0, general(n, c, z))
	}
	f.setLoss(z, p.labels, cfg.Loss)
	if cfg.Model == kind.MLP {
		vd := general(c, m, p.v.RawMatrix().Data)
		f.vtr = make([]float64, n*m)
		gemm(blas.NoTrans, blas.NoTrans, 1, general(n, c, f.r), vd, 0, general(n, m, f.vtr))
		if cfg.Loss == kind.CE {
			pt := append([]float64(nil), f.p...)
			for i := 0; i < n; i++ {
				pt[i*c+f.top[i]] = 0
			}
			f.vbar = make([]float64, n*m)
			gemm(blas.NoTrans, blas.NoTrans, 1, general(n, c, pt), vd, 0, general(n, m, f.vbar))
			for i := 0; i < n; i++ {
				vt := p.v.RawMatrix().Data[f.top[i]*m : (f.top[i]+1)*m]
				for j := 0; j < m; j++ {
					f.vbar[i*m+j] -= f.qtop[i] * vt[j]
				}
			}
		}
	}
	return f
}

// softmax writes softmax(z) into p (which may be z itself) and returns
// log Σ e^{z_k}, shifting by the maximum so that logits of any finite size
// give finite results.
func softmax(p, z []float64) float64 {
	zmax := maxOf(math.Inf(-1), z)
	var s float64
	for k, v := range z {
		e := math.Exp(v - zmax)
		p[k] = e
		s += e
	}
	for k := range p {
		p[k] /= s
	}
	return zmax + math.Log(s)
}

// maxOf returns the largest of m and z. Unlike math.Max it does not
// propagate a NaN (it is a third of the cost of a log-sum-exp at large C):
// a NaN logit makes its exponential, and so the sum, NaN anyway, and the
// callers check the results for finiteness.
func maxOf(m float64, z []float64) float64 {
	for _, v := range z {
		if v > m {
			m = v
		}
	}
	return m
}

func activate(a kind.Activation, u, h, d1, d2 []float64) {
	switch a {
	case kind.Identity:
		copy(h, u)
		for i := range d1 {
			d1[i], d2[i] = 1, 0
		}
	case kind.ReLU:
		for i, v := range u {
			if v > 0 {
				h[i], d1[i] = v, 1
			} else {
				h[i], d1[i] = 0, 0
			}
			d2[i] = 0
		}
	case kind.Tanh:
		for i, v := range u {
			t := math.Tanh(v)
			h[i], d1[i], d2[i] = t, 1-t*t, -2*t*(1-t*t)
		}
	case kind.GELU:
		// φ = uΦ(u), φ' = Φ(u) + u ϕ(u), φ'' = (2 − u²) ϕ(u), ϕ the normal
		// density; Φ from erfc keeps its relative accuracy for u ≪ 0.
		for i, v := range u {
			cdf := 0.5 * math.Erfc(-v/math.Sqrt2)
			pdf := math.Exp(-v*v/2) / math.Sqrt(2*math.Pi)
			h[i], d1[i], d2[i] = v*cdf, cdf+v*pdf, (2-v*v)*pdf
		}
	}
}

// applyA sets dst = A_n s for the loss curvature A_n of sample n:
// A = I (MSE) or diag(p) − p pᵀ (CE).
//
// For CE, p_k (s_k − p·s) is evaluated as p_k ((s_k − s_*) − Σ_j p_j (s_j − s_*))
// with * the most probable class: the same number, without the cancellation
// s_* − p·s that loses every digit when the softmax saturates.
func (f *forward) applyA(n int, dst, s []float64) {
	if f.p == nil {
		copy(dst, s)
		return
	}
	pn := f.p[n*f.c : (n+1)*f.c]
	st := s[f.top[n]]
	var ps float64
	for k, v := range s {
		ps += pn[k] * (v - st)
	}
	for k, v := range s {
		dst[k] = pn[k] * ((v - st) - ps)
	}
}

// complementOfTop returns the most probable class of p and 1 − p_top,
// summed from the other probabilities so that it is accurate however close
// p_top is to 1.
func complementOfTop(p []float64) (top int, q float64) {
	for k, v := range p {
		if v > p[top] {
			top = k
		}
	}
	for k, v := range p {
		if k != top {
			q += v
		}
	}
	return top, q
}

// oneMinusP returns 1 − p_nk accurately (see complementOfTop).
func (f *forward) oneMinusP(n, k int) float64 {
	if k == f.top[n] {
		return f.qtop[n]
	}
	return 1 - f.p[n*f.c+k]
}

// Loss returns the mean loss (1/N) Σ ℓ(f(x_n), y_n). It is finite unless
// the logits overflow float64 (MSE with |z| beyond ~1e154, from enormous
// parameters or data); Train and the methods that return an error report
// such an overflow instead of passing it on.
func (p *Problem) Loss() float64 {
	if p.streams() {
		loss, _ := p.streamLossGradient(nil)
		return loss
	}
	return p.forward().loss
}

// Gradient returns ∇L(θ) in parameter order. If dst has length NumParams it
// is used for the result. Like Loss, it is finite unless the forward pass
// overflows.
func (p *Problem) Gradient(dst []float64) []float64 {
	_, g := p.LossGradient(dst)
	return g
}

func (p *Problem) gradient(f *forward, dst []float64) []float64 {
	if len(dst) != p.NumParams() {
		dst = make([]float64, p.NumParams())
	}
	if f.deep != nil {
		return p.deepGradient(f, dst)
	}
	n, d, c, m := f.n, f.d, f.c, f.m
	inv := 1 / float64(n)
	if p.cfg.Model == kind.Linear {
		// ∂L/∂W = (1/N) Rᵀ X.
		gemm(blas.Trans, blas.NoTrans, inv, general(n, c, f.r), general(n, d, f.x), 0, general(c, d, dst))
		return dst
	}
	// ∂L/∂V = (1/N) Rᵀ H; ∂L/∂W = (1/N) (φ' ⊙ R V)ᵀ X.
	gemm(blas.Trans, blas.NoTrans, inv, general(n, c, f.r), general(n, m, f.h), 0, general(c, m, dst[m*d:]))
	g := make([]float64, n*m)
	for i := range g {
		g[i] = f.dphi[i] * f.vtr[i]
	}
	gemm(blas.Trans, blas.NoTrans, inv, general(n, m, g), general(n, d, f.x), 0, general(m, d, dst[:m*d]))
	return dst
}

// LossGradient returns the loss and gradient from one forward pass.
func (p *Problem) LossGradient(dst []float64) (float64, []float64) {
	if p.streams() {
		if len(dst) != p.NumParams() {
			dst = make([]float64, p.NumParams())
		}
		return p.streamLossGradient(dst)
	}
	f := p.forward()
	return f.loss, p.gradient(f, dst)
}

// LossGradientOn returns the loss and gradient of the samples rows alone
// (their mean loss, as if the problem held only them), at the current
// parameters; rows may repeat. It is the minibatch step of training:
// O(len(rows)·d) copying plus one forward pass on the batch. A row outside
// [0, N) is a programming error and panics. If dst has length NumParams it
// holds the gradient.
func (p *Problem) LossGradientOn(rows []int, dst []float64) (float64, []float64) {
	p.mustCheck()
	if len(rows) == 0 {
		panic("numerics: LossGradientOn with no rows")
	}
	cfg := p.cfg
	cfg.N = len(rows)
	sub := &Problem{cfg: cfg, x: mat.NewDense(len(rows), cfg.D, nil), labels: make([]int, len(rows)), w: p.w, v: p.v, ws: p.ws, bs: p.bs}
	for i, r := range rows {
		if r < 0 || r >= p.cfg.N {
			panic(fmt.Sprintf("numerics: LossGradientOn: row %d outside [0, %d)", r, p.cfg.N))
		}
		copy(sub.x.RawRowView(i), p.x.RawRowView(r))
		sub.labels[i] = p.labels[r]
	}
	return sub.LossGradient(dst)
}

// Probabilities returns the N×C matrix of class probabilities at the
// current parameters, p_nk = softmax(f(x_n))_k with one sample per row
// (THEORY §1), from the same max-shifted softmax as the loss, so rows are
// finite for logits of any finite size. It is defined for cross-entropy
// only: calling it on an MSE problem, which has no probabilities, is a
// programming error and panics.
func (p *Problem) Probabilities() *mat.Dense {
	p.mustCheck()
	if p.cfg.Loss != kind.CE {
		panic("numerics: Probabilities of a " + string(p.cfg.Loss) + " problem (defined for CE only)")
	}
	return mat.NewDense(p.cfg.N, p.cfg.C, p.forward().p)
}

// Accuracy returns the fraction of samples whose largest logit is at their
// label (ties go to the lowest class index).
func (p *Problem) Accuracy() float64 {
	if p.streams() {
		return p.streamAccuracy()
	}
	return p.forward().accuracy(p.labels)
}

func (f *forward) accuracy(labels []int) float64 {
	var hits int
	for i := 0; i < f.n; i++ {
		if f.predicted(i, labels[i]) == labels[i] {
			hits++
		}
	}
	return float64(hits) / float64(f.n)
}

// HessVec returns H·vec without forming H (Pearlmutter's R-operator: the
// directional derivative of the gradient along vec), at O(N·P) cost. vec
// must have length NumParams (else HessVec panics); if dst has that length
// it holds the result.
func (p *Problem) HessVec(dst, vec []float64) ([]float64, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if err := p.checkVec(vec); err != nil {
		return nil, err
	}
	return finiteResult("H·v", p.hessVec(p.forward(), new(hvpWork), dst, vec))
}

// finiteResult returns v, or an error if an entry is not finite: with
// finite inputs that means float64 overflowed (parameters or data too
// large), which must not pass on as NaN.
func finiteResult(what string, v []float64) ([]float64, error) {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("numerics: %s has entry %d = %v: float64 overflowed at the current parameters and data", what, i, x)
		}
	}
	return v, nil
}

// checkVec refuses non-finite entries; a vector of the wrong length is a
// programming error and panics (see Errors in the package documentation).
func (p *Problem) checkVec(vec []float64) error {
	if len(vec) != p.NumParams() {
		panic(fmt.Sprintf("numerics: vector has length %d, want NumParams = %d", len(vec), p.NumParams()))
	}
	for i, v := range vec {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("numerics: vector entry %d is %v", i, v)
		}
	}
	return nil
}

// HessVecOperator returns a function computing H·vec that reuses one
// forward pass; use it for many products at the same parameters.
// The operator returns an error for a vector with non-finite entries (and,
// for a nil or zero Problem, on every call) and panics for one of the wrong
// length. It
// reuses its work space between calls, so it must not be called
// concurrently.
func (p *Problem) HessVecOperator() func(dst, vec []float64) ([]float64, error) {
	if err := p.check(); err != nil {
		return failingOperator(err)
	}
	if p.cfg.NumLayers() == 1 && p.cfg.Loss == kind.CE {
		// Streamed over class panels (panelhvp.go); a bias is the linear
		// model on augmented inputs, with the same θ order (an LM head).
		q, err := p.structuredProblem()
		if err != nil {
			return failingOperator(err)
		}
		return q.linearCEOperator()
	}
	f := p.forward()
	work := new(hvpWork)
	return func(dst, vec []float64) ([]float64, error) {
		if err := p.checkVec(vec); err != nil {
			return nil, err
		}
		return finiteResult("H·v", p.hessVec(f, work, dst, vec))
	}
}

// failingOperator is the operator of an invalid Problem: the constructors
// of operators cannot return an error, so every product does.
func failingOperator(err error) krylov.Operator {
	return func(dst, vec []float64) ([]float64, error) { return nil, err }
}

// hvpWork holds the per-product buffers of hessVec (N×C and N×m), kept by
// HessVecOperator so that repeated products do not allocate.
type hvpWork struct {
	dz, du, dh, g []float64
	deep          deepWork
}

func grow(buf *[]float64, n int) []float64 {
	if cap(*buf) < n {
		*buf = make([]float64, n)
	}
	*buf = (*buf)[:n]
	return *buf
}

func (p *Problem) hessVec(f *forward, w *hvpWork, dst, vec []float64) []float64 {
	if f.deep != nil {
		return p.deepVec(f, &w.deep, partsH, dst, vec)
	}
	np := p.NumParams()
	if len(dst) != np {
		dst = make([]float64, np)
	}
	n, d, c, m := f.n, f.d, f.c, f.m
	inv := 1 / float64(n)
	dz := grow(&w.dz, n*c)
	if p.cfg.Model == kind.Linear {
		// dz_n = dW x_n; s_n = A_n dz_n; H·dW = (1/N) Sᵀ X.
		gemm(blas.NoTrans, blas.Trans, 1, general(n, d, f.x), general(c, d, vec), 0, general(n, c, dz))
		for i := 0; i < n; i++ {
			row := dz[i*c : (i+1)*c]
			f.applyA(i, row, row)
		}
		gemm(blas.Trans, blas.NoTrans, inv, general(n, c, dz), general(n, d, f.x), 0, general(c, d, dst))
		return dst
	}
	dW, dV := vec[:m*d], vec[m*d:]
	vd := general(c, m, p.v.RawMatrix().Data)
	// Forward directional derivatives: du = dW x, dh = φ' ⊙ du, dz = dV h + V dh.
	du := grow(&w.du, n*m)
	gemm(blas.NoTrans, blas.Trans, 1, general(n, d, f.x), general(m, d, dW), 0, general(n, m, du))
	dh := grow(&w.dh, n*m)
	for i := range dh {
		dh[i] = f.dphi[i] * du[i]
	}
	gemm(blas.NoTrans, blas.Trans, 1, general(n, m, f.h), general(c, m, dV), 0, general(n, c, dz))
	gemm(blas.NoTrans, blas.Trans, 1, general(n, m, dh), vd, 1, general(n, c, dz))
	// dr = A dz.
	for i := 0; i < n; i++ {
		row := dz[i*c : (i+1)*c]
		f.applyA(i, row, row)
	}
	dr := dz
	// d(∂L/∂V) = (1/N) (drᵀ h + rᵀ dh).
	outV := general(c, m, dst[m*d:])
	gemm(blas.Trans, blas.NoTrans, inv, general(n, c, dr), general(n, m, f.h), 0, outV)
	gemm(blas.Trans, blas.NoTrans, inv, general(n, c, f.r), general(n, m, dh), 1, outV)
	// d(∂L/∂W) = (1/N) [φ''⊙du⊙Vᵀr + φ'⊙(dVᵀ r + Vᵀ dr)]ᵀ X.
	g := grow(&w.g, n*m)
	gemm(blas.NoTrans, blas.NoTrans, 1, general(n, c, f.r), general(c, m, dV), 0, general(n, m, g))
	gemm(blas.NoTrans, blas.NoTrans, 1, general(n, c, dr), vd, 1, general(n, m, g))
	for i := range g {
		g[i] = f.dphi[i]*g[i] + f.ddphi[i]*du[i]*f.vtr[i]
	}
	gemm(blas.Trans, blas.NoTrans, inv, general(n, m, g), general(n, d, f.x), 0, general(m, d, dst[:m*d]))
	return dst
}

// predicted returns argmax_k z_nk (ties to the lowest index), read from the
// softmax (CE, monotone in z) or from z = r + e_y (MSE).
func (f *forward) predicted(n int, label int) int {
	best, bestV := 0, math.Inf(-1)
	for k := 0; k < f.c; k++ {
		var v float64
		if f.p != nil {
			v = f.p[n*f.c+k]
		} else {
			v = f.r[n*f.c+k]
			if k == label {
				v++
			}
		}
		if v > bestV {
			best, bestV = k, v
		}
	}
	return best
}
