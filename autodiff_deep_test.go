package hessblock_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// This file is the independent reference for L-layer fully connected
// networks with optional biases,
//
//	f(x) = W_L φ(W_{L−1} φ(… φ(W_1 x + b_1) …) + b_{L−1}) + b_L,
//
// W_l of shape out×in (PyTorch's nn.Linear.weight), φ ∈ {identity, relu,
// tanh, gelu (exact erf)}, and the mean over the N samples of the losses of
// THEORY §1. It evaluates the network in the hyper-dual numbers of
// autodiff_test.go, so every derivative is exact to round-off, and it shares
// no code with numerics: the inputs are plain slices and gonum matrices.
//
// θ is layer by layer, inside a layer neuron by neuron, and each neuron's
// block is its weight row W_l[i,:] followed by its bias b_l[i] when the
// layer has one. For L = 1 and L = 2 without biases this is numerics' order
// (W row by row, then V row by row).
//
// The costs are O(P²·N·P) for the Hessian and O(N·P·P) for the Jacobians:
// small networks only (deepMaxParams).
//
// A test of numerics' deep networks needs only these helpers; the layers
// drawDeepLayers returns are the arguments of Problem.SetLayers:
//
//	w, b, x, y := drawDeepLayers(seed, dims, bias, n)
//	net, err := newDeepNet(w, b, x, y, act, loss)
//	ref, err := autodiffDeep(net)    // ref.loss, ref.grad, ref.hess
//	g, err := gaussNewtonDeep(net)   // G = (1/N) Σ J_nᵀ A_n J_n
//	st, err := deepBlockStats(ref.hess, net) // R per family, ρ, ‖H‖_F, λmax
//	// then compare with deepRelErr(got, ref.hess), deepRelErr(gotG, g):
//	// both sides are exact to round-off, so 1e−12 is the tolerance.

// deepMaxParams bounds P: the Hessian costs P²/2 forward passes and P = 600
// is already about a minute.
const deepMaxParams = 600

// deepNet is a network, its parameters and its data in plain slices.
type deepNet struct {
	dims    []int       // d, n_1, …, n_{L−1}, C
	weights [][]float64 // weights[l] is dims[l+1]×dims[l], row-major
	biases  [][]float64 // biases[l] has dims[l+1] entries, or is nil (no bias)
	x       []float64   // N×d, one sample per row
	labels  []int       // in [0, C)
	act     kind.Activation
	loss    kind.Loss
}

// newDeepNet copies its arguments into a deepNet after checking that they
// fit together: weights[l] is out×in with in the previous layer's out (the
// first one's is x's d), biases is nil or has one entry per layer (nil for
// a layer without bias), labels has one entry per row of x in [0, C).
func newDeepNet(weights []mat.Matrix, biases [][]float64, x mat.Matrix, labels []int, act kind.Activation, loss kind.Loss) (*deepNet, error) {
	if len(weights) == 0 {
		return nil, errors.New("deep net: no layers")
	}
	if biases != nil && len(biases) != len(weights) {
		return nil, fmt.Errorf("deep net: %d bias vectors for %d layers (give nil for a layer without bias)", len(biases), len(weights))
	}
	switch act {
	case kind.Identity, kind.ReLU, kind.Tanh, actGELU:
	default:
		return nil, fmt.Errorf("deep net: unknown activation %q", act)
	}
	if loss != kind.MSE && loss != kind.CE {
		return nil, fmt.Errorf("deep net: unknown loss %q", loss)
	}
	n, d := x.Dims()
	net := &deepNet{dims: []int{d}, act: act, loss: loss, biases: make([][]float64, len(weights))}
	for l, w := range weights {
		out, in := w.Dims()
		if in != net.dims[l] {
			return nil, fmt.Errorf("deep net: layer %d weight is %d×%d, want %d inputs", l+1, out, in, net.dims[l])
		}
		net.dims = append(net.dims, out)
		net.weights = append(net.weights, mat.DenseCopyOf(w).RawMatrix().Data)
		if biases != nil && biases[l] != nil {
			if len(biases[l]) != out {
				return nil, fmt.Errorf("deep net: layer %d bias has %d entries, want %d", l+1, len(biases[l]), out)
			}
			net.biases[l] = append([]float64(nil), biases[l]...)
		}
	}
	c := net.dims[len(weights)]
	if len(labels) != n {
		return nil, fmt.Errorf("deep net: %d labels for %d samples", len(labels), n)
	}
	for i, y := range labels {
		if y < 0 || y >= c {
			return nil, fmt.Errorf("deep net: label %d of sample %d outside [0, %d)", y, i, c)
		}
	}
	net.labels = append([]int(nil), labels...)
	net.x = mat.DenseCopyOf(x).RawMatrix().Data
	for _, v := range net.params() {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("deep net: non-finite parameter")
		}
	}
	for _, v := range net.x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("deep net: non-finite data")
		}
	}
	if p := net.numParams(); p > deepMaxParams {
		return nil, fmt.Errorf("deep net: %d parameters, over the reference's limit of %d (its Hessian costs P³·N)", p, deepMaxParams)
	}
	return net, nil
}

func (net *deepNet) layers() int  { return len(net.weights) }
func (net *deepNet) samples() int { return len(net.labels) }
func (net *deepNet) classes() int { return net.dims[net.layers()] }

// stride is the size of one neuron's block in layer l: its weight row and
// its bias if any.
func (net *deepNet) stride(l int) int {
	if net.biases[l] != nil {
		return net.dims[l] + 1
	}
	return net.dims[l]
}

func (net *deepNet) numParams() int {
	p := 0
	for l := range net.weights {
		p += net.dims[l+1] * net.stride(l)
	}
	return p
}

// deepBlock is one neuron's block of θ.
type deepBlock struct {
	layer, neuron int // 0-based
	start, size   int
}

func (net *deepNet) blocks() []deepBlock {
	var bs []deepBlock
	start := 0
	for l := range net.weights {
		s := net.stride(l)
		for i := 0; i < net.dims[l+1]; i++ {
			bs = append(bs, deepBlock{layer: l, neuron: i, start: start, size: s})
			start += s
		}
	}
	return bs
}

// params returns θ in hessblock's order.
func (net *deepNet) params() []float64 {
	theta := make([]float64, 0, net.numParams())
	for l, w := range net.weights {
		in := net.dims[l]
		for i := 0; i < net.dims[l+1]; i++ {
			theta = append(theta, w[i*in:(i+1)*in]...)
			if net.biases[l] != nil {
				theta = append(theta, net.biases[l][i])
			}
		}
	}
	return theta
}

// logits evaluates f(x_n) at the hyper-dual parameters th into z (C
// entries); work holds two vectors of the widest layer's size.
func (net *deepNet) logits(th []hyperDual, n int, z []hyperDual, work [2][]hyperDual) {
	d := net.dims[0]
	in := work[0][:d]
	for j, v := range net.x[n*d : (n+1)*d] {
		in[j] = hdConst(v)
	}
	off := 0
	last := net.layers() - 1
	for l := range net.weights {
		nin, nout, s := net.dims[l], net.dims[l+1], net.stride(l)
		out := work[(l+1)%2][:nout]
		if l == last {
			out = z
		}
		for i := 0; i < nout; i++ {
			row := th[off+i*s : off+(i+1)*s]
			var acc hyperDual
			for j := 0; j < nin; j++ {
				acc = acc.add(row[j].mul(in[j]))
			}
			if s > nin {
				acc = acc.add(row[nin])
			}
			if l < last {
				acc = acc.activate(net.act)
			}
			out[i] = acc
		}
		off += nout * s
		in = out
	}
}

func (net *deepNet) work() [2][]hyperDual {
	w := 0
	for _, n := range net.dims {
		w = max(w, n)
	}
	return [2][]hyperDual{make([]hyperDual, w), make([]hyperDual, w)}
}

// lossHD is the mean loss at the hyper-dual parameters th.
func (net *deepNet) lossHD(th []hyperDual) hyperDual {
	z := make([]hyperDual, net.classes())
	work := net.work()
	var total hyperDual
	for n, y := range net.labels {
		net.logits(th, n, z, work)
		total = total.add(hdSampleLoss(net.loss, z, y))
	}
	return total.scale(1 / float64(net.samples()))
}

// lossAt is the plain loss at θ (the value part of the hyper-dual one).
func (net *deepNet) lossAt(theta []float64) float64 {
	th := make([]hyperDual, len(theta))
	for i, t := range theta {
		th[i] = hdConst(t)
	}
	return net.lossHD(th).v
}

// seeded returns the constant hyper-dual θ with ε₁ on θ_i and ε₂ on θ_j
// (none where the index is negative).
func seeded(th []hyperDual, theta []float64, i, j int) []hyperDual {
	for k, t := range theta {
		th[k] = hdConst(t)
	}
	if i >= 0 {
		th[i].a = 1
	}
	if j >= 0 {
		th[j].b = 1
	}
	return th
}

// deepDerivs are the loss, its gradient and its exact Hessian in θ order.
type deepDerivs struct {
	loss float64
	grad []float64
	hess *mat.SymDense
}

// autodiffDeep returns the loss, gradient and dense Hessian of net at its
// parameters, each entry by one hyper-dual evaluation; an error if any is
// not finite.
func autodiffDeep(net *deepNet) (*deepDerivs, error) {
	theta := net.params()
	np := len(theta)
	th := make([]hyperDual, np)
	r := &deepDerivs{grad: make([]float64, np), hess: mat.NewSymDense(np, nil)}
	for i := 0; i < np; i++ {
		for j := i; j < np; j++ {
			l := net.lossHD(seeded(th, theta, i, j))
			if i == j {
				r.grad[i] = l.a
				r.loss = l.v
			}
			r.hess.SetSym(i, j, l.c)
		}
	}
	if np == 0 {
		r.loss = net.lossAt(theta)
	}
	if err := deepCheckFinite("loss", []float64{r.loss}); err != nil {
		return nil, err
	}
	if err := deepCheckFinite("gradient", r.grad); err != nil {
		return nil, err
	}
	if err := deepCheckFinite("Hessian", r.hess.RawSymmetric().Data); err != nil {
		return nil, err
	}
	return r, nil
}

func deepCheckFinite(what string, xs []float64) error {
	for i, v := range xs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("deep autodiff: %s entry %d is %v", what, i, v)
		}
	}
	return nil
}

// deepJacobians returns the per-sample logit Jacobians J_n = ∂f(x_n)/∂θ
// (C×P) and the logits z_n, by dual numbers (ε₁ only).
func deepJacobians(net *deepNet) ([]*mat.Dense, [][]float64, error) {
	theta := net.params()
	np, c := len(theta), net.classes()
	th := make([]hyperDual, np)
	z := make([]hyperDual, c)
	work := net.work()
	js := make([]*mat.Dense, net.samples())
	zs := make([][]float64, net.samples())
	for n := range js {
		js[n] = mat.NewDense(c, max(np, 1), nil)
		zs[n] = make([]float64, c)
		for i := 0; i < np; i++ {
			net.logits(seeded(th, theta, i, -1), n, z, work)
			for k, zk := range z {
				js[n].Set(k, i, zk.a)
				zs[n][k] = zk.v
			}
		}
		if err := deepCheckFinite("Jacobian", js[n].RawMatrix().Data); err != nil {
			return nil, nil, err
		}
	}
	return js, zs, nil
}

// deepResidualTerms returns, per sample, the residual r_n = ∇_z ℓ and the
// loss curvature A_n = ∇²_z ℓ (THEORY §1) at logits z_n.
func deepResidualTerms(loss kind.Loss, z []float64, y int) (r []float64, a *mat.SymDense) {
	c := len(z)
	r = make([]float64, c)
	a = mat.NewSymDense(c, nil)
	if loss == kind.MSE {
		for k := range z {
			r[k] = z[k]
			a.SetSym(k, k, 1)
		}
		r[y]--
		return r, a
	}
	zmax := math.Inf(-1)
	for _, v := range z {
		zmax = math.Max(zmax, v)
	}
	var sum float64
	p := make([]float64, c)
	for k, v := range z {
		p[k] = math.Exp(v - zmax)
		sum += p[k]
	}
	for k := range p {
		p[k] /= sum
		r[k] = p[k]
	}
	r[y]--
	for k := range p {
		for l := k; l < c; l++ {
			v := -p[k] * p[l]
			if k == l {
				v += p[k]
			}
			a.SetSym(k, l, v)
		}
	}
	return r, a
}

// gaussNewtonDeep returns G = (1/N) Σ_n J_nᵀ A_n J_n (A_n = diag(p) − ppᵀ
// for CE, I for MSE), the Gauss–Newton part of THEORY §2.
func gaussNewtonDeep(net *deepNet) (*mat.SymDense, error) {
	js, zs, err := deepJacobians(net)
	if err != nil {
		return nil, err
	}
	np := net.numParams()
	g := mat.NewSymDense(np, nil)
	var aj mat.Dense
	var jaj mat.Dense
	for n, j := range js {
		_, a := deepResidualTerms(net.loss, zs[n], net.labels[n])
		aj.Reset()
		aj.Mul(a, j)
		jaj.Reset()
		jaj.Mul(j.T(), &aj)
		for i := 0; i < np; i++ {
			for k := i; k < np; k++ {
				g.SetSym(i, k, g.At(i, k)+jaj.At(i, k)/float64(len(js)))
			}
		}
	}
	return g, deepCheckFinite("Gauss–Newton matrix", g.RawSymmetric().Data)
}

// residualHessianDeep returns the residual part of THEORY §2,
// (1/N) Σ_n Σ_k r_nk ∇²f_k(x_n), with the second derivatives of the logits
// (not of the loss) by hyper-dual numbers.
func residualHessianDeep(net *deepNet) (*mat.SymDense, error) {
	theta := net.params()
	np, c := len(theta), net.classes()
	th := make([]hyperDual, np)
	z := make([]hyperDual, c)
	work := net.work()
	rs := make([][]float64, net.samples())
	for n := range rs {
		net.logits(seeded(th, theta, -1, -1), n, z, work)
		zv := make([]float64, c)
		for k, zk := range z {
			zv[k] = zk.v
		}
		rs[n], _ = deepResidualTerms(net.loss, zv, net.labels[n])
	}
	h := mat.NewSymDense(np, nil)
	for i := 0; i < np; i++ {
		for j := i; j < np; j++ {
			seeded(th, theta, i, j)
			var s float64
			for n, r := range rs {
				net.logits(th, n, z, work)
				for k, zk := range z {
					s += r[k] * zk.c
				}
			}
			h.SetSym(i, j, s/float64(len(rs)))
		}
	}
	return h, deepCheckFinite("residual Hessian", h.RawSymmetric().Data)
}

// hessianFDDeep is the Hessian by central second differences of the loss
// alone, Richardson-extrapolated over steps h and 2h (truncation O(h⁴)):
// D_h = [L(θ+h e_i+h e_j) − L(θ+h e_i−h e_j) − L(θ−h e_i+h e_j) +
// L(θ−h e_i−h e_j)]/(4h²). It uses no derivative code at all.
func hessianFDDeep(net *deepNet, h float64) *mat.SymDense {
	theta := net.params()
	np := len(theta)
	out := mat.NewSymDense(np, nil)
	t := append([]float64(nil), theta...)
	second := func(i, j int, h float64) float64 {
		at := func(si, sj float64) float64 {
			copy(t, theta)
			t[i] += si * h
			t[j] += sj * h
			return net.lossAt(t)
		}
		return (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h * h)
	}
	for i := 0; i < np; i++ {
		for j := i; j < np; j++ {
			d1, d2 := second(i, j, h), second(i, j, 2*h)
			out.SetSym(i, j, (4*d1-d2)/3)
		}
	}
	return out
}

// minAbsPreactivation is the smallest |u| over the hidden units and
// samples: finite differences of a ReLU network are exact polynomials only
// while no step crosses a kink.
func minAbsPreactivation(net *deepNet) float64 {
	theta := net.params()
	m := math.Inf(1)
	d := net.dims[0]
	for n := range net.labels {
		in := net.x[n*d : (n+1)*d]
		off := 0
		for l := 0; l < net.layers()-1; l++ {
			nin, nout, s := net.dims[l], net.dims[l+1], net.stride(l)
			out := make([]float64, nout)
			for i := range out {
				var u float64
				for j := 0; j < nin; j++ {
					u += theta[off+i*s+j] * in[j]
				}
				if s > nin {
					u += theta[off+i*s+nin]
				}
				m = math.Min(m, math.Abs(u))
				out[i] = hdConst(u).activate(net.act).v
			}
			off += nout * s
			in = out
		}
	}
	return m
}

// drawDeepLayers draws a network's layers and data from one seed, in the
// arguments of newDeepNet and of numerics' Problem.SetLayers(weights,
// biases): dims = d, n_1, …, C; W_l entries N(0, 1/in), biases N(0, ¼)
// (nil when bias is false), x N(0, 1) with n rows, labels uniform.
func drawDeepLayers(seed uint64, dims []int, bias bool, n int) (weights []mat.Matrix, biases [][]float64, x *mat.Dense, labels []int) {
	rng := rand.New(rand.NewPCG(seed, 0x6465_6570)) // "deep"
	for l := 0; l+1 < len(dims); l++ {
		in, out := dims[l], dims[l+1]
		w := mat.NewDense(out, in, nil)
		for i := 0; i < out; i++ {
			for j := 0; j < in; j++ {
				w.Set(i, j, rng.NormFloat64()/math.Sqrt(float64(in)))
			}
		}
		weights = append(weights, w)
		if bias {
			if biases == nil {
				biases = make([][]float64, len(dims)-1)
			}
			biases[l] = make([]float64, out)
			for i := range biases[l] {
				biases[l][i] = 0.5 * rng.NormFloat64()
			}
		}
	}
	x = mat.NewDense(n, dims[0], nil)
	for i := 0; i < n; i++ {
		for j := 0; j < dims[0]; j++ {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	labels = make([]int, n)
	for i := range labels {
		labels[i] = rng.IntN(dims[len(dims)-1])
	}
	return weights, biases, x, labels
}

// deepRelErr is max|a − b| / max|b|, the comparison the deep tests state
// their tolerances in (b the reference).
func deepRelErr(a, b mat.Matrix) float64 {
	r, c := b.Dims()
	var diff, scale float64
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			diff = math.Max(diff, math.Abs(a.At(i, j)-b.At(i, j)))
			scale = math.Max(scale, math.Abs(b.At(i, j)))
		}
	}
	if scale == 0 {
		return diff
	}
	return diff / scale
}

// deepFamily names the family of the pair of layers (p, q), p ≤ q, 0-based:
// output-output for L = 1; hidden-hidden, output-output, hidden-output for
// L = 2; "L1-L1", "L1-L2", … for L ≥ 3 (the names torch_deep_check.py
// writes).
func deepFamily(layers, p, q int) string {
	switch layers {
	case 1:
		return string(kind.OutputOutput)
	case 2:
		names := [2]kind.Layer{kind.Hidden, kind.Output}
		return string(kind.FamilyOf(names[p], names[q]))
	}
	return fmt.Sprintf("L%d-L%d", p+1, q+1)
}

// deepStats are the block statistics of THEORY §4.0 over a deep network's
// neuron blocks: R per family (cross-layer families normalized by the
// geometric mean of the two layers' mean squared diagonal norms, as
// hidden–output), ρ, ‖H‖_F and λmax(H).
type deepStats struct {
	R         map[string]float64
	Rho       float64
	Frobenius float64
	LambdaMax float64
}

// deepBlockStats computes deepStats of h, laid out in net's blocks. A
// family with no off-diagonal pair (a one-neuron layer with itself) has no
// R; one whose diagonal blocks vanish is an error, not a NaN.
func deepBlockStats(h mat.Symmetric, net *deepNet) (*deepStats, error) {
	bs := net.blocks()
	if n := h.SymmetricDim(); n != net.numParams() {
		return nil, fmt.Errorf("deep stats: H is %d×%d for %d parameters", n, n, net.numParams())
	}
	nl := net.layers()
	diag := make([]float64, nl)
	off := make([][]float64, nl) // off[p][q], p ≤ q: sum over ordered pairs a ∈ p, b ∈ q, a ≠ b
	for p := range off {
		off[p] = make([]float64, nl)
	}
	var total, offTotal float64
	for a, ba := range bs {
		for b, bb := range bs {
			var f float64
			for i := ba.start; i < ba.start+ba.size; i++ {
				for j := bb.start; j < bb.start+bb.size; j++ {
					v := h.At(i, j)
					f += v * v
				}
			}
			total += f
			switch {
			case a == b:
				diag[ba.layer] += f
			case ba.layer <= bb.layer:
				off[ba.layer][bb.layer] += f
				offTotal += f
			default:
				offTotal += f
			}
		}
	}
	s := &deepStats{R: map[string]float64{}, Frobenius: math.Sqrt(total)}
	if total == 0 {
		return nil, errors.New("deep stats: ρ undefined (H = 0)")
	}
	s.Rho = offTotal / total
	for p := 0; p < nl; p++ {
		for q := p; q < nl; q++ {
			np, nq := net.dims[p+1], net.dims[q+1]
			pairs := np * nq
			if p == q {
				pairs = np * (np - 1)
			}
			if pairs == 0 {
				continue
			}
			meanDiag := math.Sqrt(diag[p]/float64(np)) * math.Sqrt(diag[q]/float64(nq))
			if meanDiag == 0 {
				return nil, fmt.Errorf("deep stats: R of %s undefined (its diagonal blocks are 0)", deepFamily(nl, p, q))
			}
			s.R[deepFamily(nl, p, q)] = math.Sqrt(off[p][q] / float64(pairs) / meanDiag)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(h, false) {
		return nil, errors.New("deep stats: eigendecomposition failed")
	}
	vals := eig.Values(nil)
	s.LambdaMax = vals[len(vals)-1]
	return s, nil
}

// deepFromProblem is the deep reference of a numerics linear model (L = 1)
// or one-hidden-layer network (L = 2), without biases.
func deepFromProblem(t *testing.T, p *numerics.Problem) *deepNet {
	t.Helper()
	cfg := p.Config()
	ws := []mat.Matrix{p.W()}
	act := kind.Identity
	if cfg.Model == kind.MLP {
		ws = append(ws, p.V())
		act = cfg.Activation
	}
	net, err := newDeepNet(ws, nil, p.X(), p.Labels(), act, cfg.Loss)
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// TestDeepAutodiffMatchesNumerics: for L = 1, 2 without biases the deep
// reference is today's numerics model, so loss, gradient and Hessian agree
// to round-off: 1e−12 relative (max |Δ| / max |H|) against the measured
// ≤ 6e−16 for these sizes (P ≤ 27, N = 10).
func TestDeepAutodiffMatchesNumerics(t *testing.T) {
	var cfgs []numerics.Config
	for _, loss := range kind.Losses {
		lin := numerics.DefaultConfig(kind.Linear)
		lin.Loss, lin.C, lin.D, lin.N, lin.Seed = loss, 4, 3, 10, 11
		cfgs = append(cfgs, lin)
		for _, act := range kind.Activations {
			mlp := numerics.DefaultConfig(kind.MLP)
			mlp.Loss, mlp.Activation, mlp.C, mlp.D, mlp.N, mlp.M, mlp.Seed = loss, act, 4, 3, 10, 3, 12
			cfgs = append(cfgs, mlp)
		}
	}
	for _, cfg := range cfgs {
		t.Run(cfg.String(), func(t *testing.T) {
			p := mustProblem(t, cfg)
			net := deepFromProblem(t, p)
			if !slices.Equal(net.params(), p.Params()) {
				t.Fatal("θ order differs from numerics' (W rows, then V rows)")
			}
			ref, err := autodiffDeep(net)
			if err != nil {
				t.Fatal(err)
			}
			if e := math.Abs(p.Loss()-ref.loss) / math.Abs(ref.loss); e > 1e-13 {
				t.Errorf("loss %v, reference %v (relative %.1e)", p.Loss(), ref.loss, e)
			}
			g := p.Gradient(nil)
			if e := deepRelErr(mat.NewVecDense(len(g), g), mat.NewVecDense(len(g), ref.grad)); e > 1e-12 {
				t.Errorf("gradient: relative error %.1e > 1e−12", e)
			}
			h := mustHessian(t, p)
			t.Logf("Hessian relative error %.1e", deepRelErr(h, ref.hess))
			if e := deepRelErr(h, ref.hess); e > 1e-12 {
				t.Errorf("Hessian: relative error %.1e > 1e−12", e)
			}
			// The deep block statistics are numerics' definitions.
			ds, err := deepBlockStats(ref.hess, net)
			if err != nil {
				t.Fatal(err)
			}
			ns := mustStats(t, p)
			if e := math.Abs(ds.Rho-ns.Rho) / ns.Rho; e > 1e-12 {
				t.Errorf("ρ = %v, numerics %v", ds.Rho, ns.Rho)
			}
			for _, fr := range ns.Ratios {
				if got, ok := ds.R[string(fr.Family)]; !ok || math.Abs(got-fr.R) > 1e-12*fr.R {
					t.Errorf("R[%s] = %v (present %v), numerics %v", fr.Family, got, ok, fr.R)
				}
			}
		})
	}
}

// deepCase is one network of the deep self-tests.
type deepCase struct {
	dims []int
	bias bool
	act  kind.Activation
	loss kind.Loss
}

func (c deepCase) String() string {
	return fmt.Sprintf("L=%d/dims=%v/bias=%v/%s/%s", len(c.dims)-1, c.dims, c.bias, c.act, c.loss)
}

func (c deepCase) net(t *testing.T, seed uint64, n int) *deepNet {
	t.Helper()
	w, b, x, y := drawDeepLayers(seed, c.dims, c.bias, n)
	net, err := newDeepNet(w, b, x, y, c.act, c.loss)
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// deepCases are L = 3 and 4, with and without biases, every activation
// and loss.
func deepCases() []deepCase {
	var cs []deepCase
	for _, dims := range [][]int{{4, 3, 3, 3}, {3, 3, 2, 3, 3}} {
		for _, bias := range []bool{false, true} {
			for _, act := range []kind.Activation{kind.Identity, kind.ReLU, kind.Tanh, actGELU} {
				for _, loss := range kind.Losses {
					cs = append(cs, deepCase{dims, bias, act, loss})
				}
			}
		}
	}
	return cs
}

// TestDeepAutodiffMatchesFiniteDifferences checks the hyper-dual Hessian
// of L = 3, 4 networks against Richardson-extrapolated second differences
// of the loss (no derivative code), and the gradient against first
// differences. With h = 1e−4 the truncation is O(h⁴) ≈ 1e−16 and the
// round-off about 5ε·|L|/h² ≈ 1e−7·|L|; the bound 2e−6·(max|H| + |L|)
// covers it with a margin (measured: max |Δ| / max |H| ≤ 1.4e−7 over the
// 32 cases). A ReLU
// step crossing a kink would break the FD, so the draw must keep every
// pre-activation farther than 1e−2 from 0, far above the ≤ 2e−3 the steps
// move it: a ReLU case takes the first seed of its range whose draw does
// (deterministic, and checked rather than hoped).
func TestDeepAutodiffMatchesFiniteDifferences(t *testing.T) {
	const h = 1e-4
	for i, c := range deepCases() {
		t.Run(c.String(), func(t *testing.T) {
			seed := uint64(100 * (i + 1))
			net := c.net(t, seed, 6)
			for c.act == kind.ReLU && minAbsPreactivation(net) < 1e-2 {
				if seed++; seed == uint64(100*(i+2)) {
					t.Fatal("no seed in 100 keeps the ReLU pre-activations 1e−2 away from 0")
				}
				net = c.net(t, seed, 6)
			}
			ref, err := autodiffDeep(net)
			if err != nil {
				t.Fatal(err)
			}
			fd := hessianFDDeep(net, h)
			tol := 2e-6 * (maxAbs(ref.hess) + math.Abs(ref.loss))
			t.Logf("max |H_FD − H| / max |H| = %.1e", maxAbsDiff(fd, ref.hess)/maxAbs(ref.hess))
			if e := maxAbsDiff(fd, ref.hess); e > tol {
				t.Errorf("max |H_FD − H| = %.2e > %.2e (max |H| = %.2e)", e, tol, maxAbs(ref.hess))
			}
			theta := net.params()
			for k := range theta {
				tp := slices.Clone(theta)
				tp[k] += h
				lp := net.lossAt(tp)
				tp[k] -= 2 * h
				lm := net.lossAt(tp)
				fd := (lp - lm) / (2 * h)
				// Truncation h²/6·|L'''| ≲ 1e−9, round-off ε|L|/h ≈ 1e−12.
				if math.Abs(fd-ref.grad[k]) > 1e-7*(1+math.Abs(ref.grad[k])) {
					t.Fatalf("∂L/∂θ_%d = %v, central difference %v", k, ref.grad[k], fd)
				}
			}
		})
	}
}

// TestDeepGaussNewton checks the two halves of THEORY §2's decomposition
// H = G + (1/N) Σ_n Σ_k r_nk ∇²f_k(x_n) independently: the Jacobians
// against central differences of the logits, G against J (symmetric,
// PSD), the residual part from the logits' own second derivatives, and
// their sum against the loss Hessian. For the linear model (L = 1, with or
// without bias) f is linear in θ, so the residual part is exactly 0 and
// G = H.
func TestDeepGaussNewton(t *testing.T) {
	cases := []deepCase{
		{[]int{3, 4}, false, kind.Identity, kind.CE},
		{[]int{3, 4}, true, kind.Identity, kind.CE},
		{[]int{3, 4}, true, kind.Identity, kind.MSE},
		{[]int{3, 4, 3}, true, kind.ReLU, kind.CE},
		{[]int{4, 3, 3, 3}, true, kind.Tanh, kind.CE},
		{[]int{4, 3, 3, 3}, false, actGELU, kind.MSE},
		{[]int{3, 3, 2, 3, 3}, true, kind.Identity, kind.MSE},
	}
	for i, c := range cases {
		t.Run(c.String(), func(t *testing.T) {
			net := c.net(t, uint64(200+i), 7)
			ref, err := autodiffDeep(net)
			if err != nil {
				t.Fatal(err)
			}
			g, err := gaussNewtonDeep(net)
			if err != nil {
				t.Fatal(err)
			}
			res, err := residualHessianDeep(net)
			if err != nil {
				t.Fatal(err)
			}
			var sum mat.SymDense
			sum.AddSym(g, res)
			// Three round-off-exact computations: 1e−12 relative.
			t.Logf("G + residual vs H: relative error %.1e", deepRelErr(&sum, ref.hess))
			if e := deepRelErr(&sum, ref.hess); e > 1e-12 {
				t.Errorf("G + residual vs H: relative error %.1e > 1e−12", e)
			}
			if len(c.dims) == 2 {
				if m := maxAbs(res); m != 0 {
					t.Errorf("linear model: residual part max |·| = %v, want exactly 0", m)
				}
				if e := deepRelErr(g, ref.hess); e > 1e-13 {
					t.Errorf("linear model: G vs H relative error %.1e", e)
				}
			}
			var eig mat.EigenSym
			if !eig.Factorize(g, false) {
				t.Fatal("eigendecomposition of G failed")
			}
			if lo := eig.Values(nil)[0]; lo < -1e-13*maxAbs(g) {
				t.Errorf("G not PSD: λmin = %v", lo)
			}
			checkJacobiansFD(t, net)
		})
	}
}

// checkJacobiansFD compares the dual-number Jacobians with central
// differences of the plain logits: truncation h²/6·|f”'| and round-off
// ε|f|/h, both below 1e−8 at h = 1e−5 for these O(1) logits.
func checkJacobiansFD(t *testing.T, net *deepNet) {
	t.Helper()
	js, _, err := deepJacobians(net)
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-5
	theta := net.params()
	c := net.classes()
	th := make([]hyperDual, len(theta))
	zp, zm := make([]hyperDual, c), make([]hyperDual, c)
	work := net.work()
	for n, j := range js {
		for i := range theta {
			tp := slices.Clone(theta)
			tp[i] += h
			net.logits(seeded(th, tp, -1, -1), n, zp, work)
			tp[i] -= 2 * h
			net.logits(seeded(th, tp, -1, -1), n, zm, work)
			for k := 0; k < c; k++ {
				fd := (zp[k].v - zm[k].v) / (2 * h)
				if math.Abs(fd-j.At(k, i)) > 1e-8*(1+math.Abs(fd)) {
					t.Fatalf("J_%d[%d,%d] = %v, central difference %v", n, k, i, j.At(k, i), fd)
				}
			}
		}
	}
}

// TestDeepNetRefusesBadInput: mismatched shapes, labels and names are
// errors, not panics.
func TestDeepNetRefusesBadInput(t *testing.T) {
	w, b, x, y := drawDeepLayers(1, []int{3, 2, 4}, true, 5)
	bad := []struct {
		name string
		f    func() (*deepNet, error)
	}{
		{"no layers", func() (*deepNet, error) { return newDeepNet(nil, nil, x, y, kind.Tanh, kind.CE) }},
		{"chain", func() (*deepNet, error) { return newDeepNet([]mat.Matrix{w[1], w[0]}, nil, x, y, kind.Tanh, kind.CE) }},
		{"bias count", func() (*deepNet, error) { return newDeepNet(w, b[:1], x, y, kind.Tanh, kind.CE) }},
		{"bias size", func() (*deepNet, error) {
			return newDeepNet(w, [][]float64{b[0], b[0]}, x, y, kind.Tanh, kind.CE)
		}},
		{"label", func() (*deepNet, error) { return newDeepNet(w, b, x, []int{0, 1, 2, 3, 4}, kind.Tanh, kind.CE) }},
		{"labels count", func() (*deepNet, error) { return newDeepNet(w, b, x, y[:4], kind.Tanh, kind.CE) }},
		{"activation", func() (*deepNet, error) { return newDeepNet(w, b, x, y, "swish", kind.CE) }},
		{"loss", func() (*deepNet, error) { return newDeepNet(w, b, x, y, kind.Tanh, "hinge") }},
		{"NaN", func() (*deepNet, error) {
			xn := mat.DenseCopyOf(x)
			xn.Set(0, 0, math.NaN())
			return newDeepNet(w, b, xn, y, kind.Tanh, kind.CE)
		}},
	}
	for _, c := range bad {
		if _, err := c.f(); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if _, err := newDeepNet(w, b, x, y, kind.Tanh, kind.CE); err != nil {
		t.Fatalf("valid network refused: %v", err)
	}
}
