package numerics

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// fuzzCase is one input of FuzzProblem decoded from the fuzzer's values.
type fuzzCase struct {
	cfg      Config
	withData bool       // NewProblemWithData instead of NewProblem
	x        *mat.Dense // with withData
	labels   []int
	moderate bool // |σ| ≤ 8 and data in [−4, 4]: nothing may overflow
}

// fuzzSize maps a fuzzed int8 to a size in [−2, hi]: mostly valid, with
// the invalid values 0, −1 and −2 reachable.
func fuzzSize(v int8, hi int) int {
	x := int(v)
	if x >= -2 && x <= hi {
		return x
	}
	return ((x % (hi + 1)) + hi + 1) % (hi + 1)
}

// decodeFuzz builds a configuration and, if asked, data from the fuzzer's
// values. flags: bit 0 MLP, bit 1 CE, bits 2–3 the activation (3: the
// non-canonical "ReLU"), bit 4 caller's data, bit 5 labels may reach C
// (out of range), bit 6 an activation for the linear model (invalid),
// bit 7 N and d left zero so NewProblemWithData takes them from x. raw
// supplies the data: byte 255 is NaN, 254 is +Inf, any other b is
// (b − 127)/32 ∈ [−4, 4]. The top bits of seed reach the deep networks
// (the seeds of the committed corpus are small, so their meaning is
// unchanged): bit 63 a bias on every layer, bits 61–62 add 0–3 layers to
// the MLP, bit 60 GELU in place of identity.
func decodeFuzz(flags uint8, c, d, n, m int8, sigma, sigma2 float64, seed uint64, raw []byte) fuzzCase {
	cfg := Config{Loss: kind.MSE, C: fuzzSize(c, 8), D: fuzzSize(d, 6), N: fuzzSize(n, 12), Seed: seed}
	if flags&2 != 0 {
		cfg.Loss = kind.CE
	}
	act := []kind.Activation{kind.Identity, kind.ReLU, kind.Tanh, "ReLU"}[(flags>>2)&3]
	if act == kind.Identity && seed&(1<<60) != 0 {
		act = kind.GELU
	}
	cfg.Bias = seed&(1<<63) != 0
	if flags&1 == 0 {
		cfg.Model, cfg.Sigma = kind.Linear, sigma
		if flags&64 != 0 {
			cfg.Activation = act
		}
	} else {
		cfg.Model, cfg.Activation, cfg.M = kind.MLP, act, fuzzSize(m, 5)
		cfg.SigmaW, cfg.SigmaV = sigma, sigma2
		if extra := int(seed>>61) & 3; extra > 0 {
			cfg.Depth = 2 + extra
		}
	}
	fc := fuzzCase{cfg: cfg, moderate: math.Abs(sigma) <= 8 && math.Abs(sigma2) <= 8}
	if flags&16 == 0 || cfg.N < 1 || cfg.D < 1 {
		return fc
	}
	fc.withData = true
	byteAt := func(i int) byte {
		if len(raw) == 0 {
			return 127
		}
		return raw[i%len(raw)]
	}
	x := mat.NewDense(cfg.N, cfg.D, nil)
	for i := 0; i < cfg.N; i++ {
		for j := 0; j < cfg.D; j++ {
			switch b := byteAt(i*cfg.D + j); b {
			case 255:
				x.Set(i, j, math.NaN())
			case 254:
				x.Set(i, j, math.Inf(1))
			default:
				x.Set(i, j, (float64(b)-127)/32)
			}
		}
	}
	fc.x = x
	span := max(cfg.C, 1)
	if flags&32 != 0 {
		span++
	}
	fc.labels = make([]int, cfg.N)
	for i := range fc.labels {
		fc.labels[i] = int(byteAt(cfg.N*cfg.D+i)) % span
	}
	if flags&128 != 0 {
		fc.cfg.N, fc.cfg.D = 0, 0
	}
	return fc
}

func finiteSlice(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// FuzzProblem builds small problems from fuzzed configurations and data and
// checks that no public entry point panics; that an invalid configuration
// or data set is refused with ErrInvalidConfig; that nothing returns NaN
// without an error; and, for moderate scales (|σ| ≤ 8, data in [−4, 4],
// where nothing can overflow), that every method succeeds and the
// structured statistics (where the model has them), Block, HessVec, the
// sampled statistics and G + Hres agree with the dense Hessian to 1e-10 relative to ‖H‖_F (sums of squared block
// norms to 1e-10·‖H‖_F², ρ to 1e-10 absolute).
//
// The seed corpus runs under plain go test; explore with
//
//	go test -fuzz FuzzProblem -fuzztime 60s ./numerics
func FuzzProblem(f *testing.F) {
	type seed struct {
		flags         uint8
		c, d, n, m    int8
		sigma, sigma2 float64
		seed          uint64
		raw           []byte
	}
	for _, s := range []seed{
		{0, 3, 4, 6, 0, 1, 0, 1, nil},         // linear MSE
		{2, 5, 3, 8, 0, 1.5, 0, 2, nil},       // linear CE
		{1 | 4, 3, 2, 7, 2, 1, 1, 3, nil},     // MLP MSE ReLU
		{1 | 2 | 8, 4, 3, 9, 3, 1, 2, 4, nil}, // MLP CE tanh
		{1 | 2, 2, 1, 1, 1, 0.5, 3, 5, nil},   // MLP CE identity, one sample
		{2, 2, 1, 1, 0, 0, 0, 6, nil},         // linear CE at W = 0
		{2 | 16, 4, 3, 5, 0, 1, 0, 7, []byte{0, 50, 127, 200, 253, 13, 99}},
		{1 | 2 | 4 | 16 | 128, 3, 2, 4, 2, 1, 1, 8, []byte{10, 240, 127, 31}},
		{2 | 16, 3, 2, 3, 0, 1, 0, 9, []byte{5, 255, 7}},       // NaN data
		{16, 3, 2, 3, 0, 1, 0, 10, []byte{5, 254, 7}},          // +Inf data
		{2 | 16 | 32, 3, 2, 6, 0, 1, 0, 11, []byte{2, 3, 3}},   // label = C
		{1 | 12, 3, 2, 4, 2, 1, 1, 12, nil},                    // "ReLU"
		{64 | 4, 3, 2, 4, 0, 1, 0, 13, nil},                    // activation for linear
		{0, 1, 2, 3, 0, 1, 0, 14, nil},                         // C = 1
		{1, 3, 0, 3, -1, 1, 1, 15, nil},                        // d = 0, m = −1
		{2, 3, 2, 4, 0, math.NaN(), 0, 16, nil},                // σ = NaN
		{1 | 2, 3, 2, 4, 2, 1, math.Inf(1), 17, nil},           // σ_v = +Inf
		{0, 3, 2, 4, 0, -1, 0, 18, nil},                        // σ < 0
		{1, 3, 2, 4, 2, 1e200, 1e200, 19, nil},                 // MLP MSE overflows
		{2, 4, 3, 5, 0, 1e300, 0, 20, nil},                     // saturated softmax
		{1 | 2 | 8, 6, 4, 12, 5, 30, 30, 21, nil},              // large but finite logits
		{1 | 2 | 4 | 16, 8, 6, 12, 5, 2, 2, 22, []byte{0, 1}},  // largest sizes
		{2, 4, 3, 6, 0, 1, 0, 1<<63 | 23, nil},                 // linear CE with bias
		{1 | 2 | 8, 3, 3, 7, 3, 1, 1, 1<<63 | 2<<61 | 24, nil}, // L = 4 tanh CE with biases
		{1, 3, 2, 6, 2, 1, 1, 1<<61 | 1<<60 | 25, nil},         // L = 3 GELU MSE
	} {
		f.Add(s.flags, s.c, s.d, s.n, s.m, s.sigma, s.sigma2, s.seed, s.raw)
	}
	f.Fuzz(func(t *testing.T, flags uint8, c, d, n, m int8, sigma, sigma2 float64, seed uint64, raw []byte) {
		fc := decodeFuzz(flags, c, d, n, m, sigma, sigma2, seed, raw)
		var p *Problem
		var err error
		if fc.withData {
			p, err = NewProblemWithData(fc.cfg, fc.x, fc.labels)
		} else {
			p, err = NewProblem(fc.cfg)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("%v: error does not wrap ErrInvalidConfig: %v", fc.cfg, err)
			}
			if fc.cfg.Validate() == nil && !fc.withData {
				t.Fatalf("%v: NewProblem refused a valid configuration: %v", fc.cfg, err)
			}
			return
		}
		if err := p.Config().Validate(); err != nil {
			t.Fatalf("NewProblem accepted an invalid configuration: %v", err)
		}
		fuzzCheckProblem(t, p, fc.moderate)
	})
}

// minSoftmaxGap returns min_n (1 − max_k p_nk) for CE and 1 for MSE.
// Below ~1e-4 every path computes A_n = diag(p) − p pᵀ by cancelling
// terms of size 1 down to size 1 − max p, so the paths agree only to about
// ε/(1 − max p)² and are compared only above gapAgree.
func minSoftmaxGap(p *Problem) float64 {
	if p.Config().Loss != kind.CE {
		return 1
	}
	probs := p.Probabilities()
	gap := 1.0
	for n := range p.Config().N {
		gap = math.Min(gap, 1-floats.Max(probs.RawRowView(n)))
	}
	return gap
}

// gapAgree is the softmax gap above which all paths must agree to 1e-10:
// the cancellation error is about ε/gap² ≈ 2e-12.
const gapAgree = 1e-2

// fuzzCheckProblem runs every entry point on a valid problem. Problems
// that are moderate (|σ| ≤ 8, bounded data) and unsaturated must succeed
// everywhere and agree with the dense Hessian; the others may return
// errors, but never a NaN without one.
func fuzzCheckProblem(t *testing.T, p *Problem, moderate bool) {
	cfg := p.Config()
	moderate = moderate && minSoftmaxGap(p) >= gapAgree
	// strict fails when a moderate problem returns an error; any problem
	// may fail with an error but never return a non-finite value.
	strict := func(what string, err error) bool {
		t.Helper()
		if err != nil {
			if moderate {
				t.Fatalf("%v: %s: %v", cfg, what, err)
			}
			return false
		}
		return true
	}
	loss, grad := p.LossGradient(nil)
	if moderate && (!finite(loss) || !finiteSlice(grad)) {
		t.Fatalf("%v: loss %v or gradient not finite", cfg, loss)
	}
	if l2 := p.Loss(); !(l2 == loss || math.IsNaN(l2) && math.IsNaN(loss)) {
		t.Fatalf("%v: Loss %v, LossGradient %v", cfg, l2, loss)
	}
	_ = p.Accuracy()

	h, err := p.Hessian()
	if !strict("Hessian", err) {
		// Overflow: the other paths must refuse too or stay finite.
		fuzzCheckNoSilentNaN(t, p)
		return
	}
	l := p.Layout()
	dense, err := ComputeBlockStats(h, l)
	if !strict("ComputeBlockStats", err) {
		fuzzCheckNoSilentNaN(t, p)
		return
	}
	checkSummaryFinite(t, "dense", dense.Summary)
	if !moderate {
		fuzzCheckNoSilentNaN(t, p)
		return
	}
	norm2 := dense.Summary.FrobeniusSq
	norm := math.Sqrt(norm2)
	hmax := 0.0
	np := p.NumParams()
	for i := 0; i < np; i++ {
		for j := i; j < np; j++ {
			v := h.At(i, j)
			if !finite(v) {
				t.Fatalf("%v: Hessian returned entry (%d, %d) = %v without an error", cfg, i, j, v)
			}
			hmax = math.Max(hmax, math.Abs(v))
		}
	}

	// Block against the dense Hessian, for the first, last and a mixed pair.
	nb := len(l.Blocks)
	pairs := [][2]int{{0, 0}, {nb - 1, nb - 1}, {0, nb - 1}, {nb - 1, 0}, {nb / 2, (nb + 1) / 3}}
	for _, pr := range pairs {
		blk, err := p.Block(pr[0], pr[1])
		if !strict("Block", err) {
			continue
		}
		want, err := BlockOfMatrix(h, l, pr[0], pr[1])
		if err != nil {
			t.Fatal(err)
		}
		r, c := want.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				if math.Abs(blk.At(i, j)-want.At(i, j)) > 1e-10*hmax {
					t.Fatalf("%v: Block(%d, %d)[%d, %d] = %v, dense %v", cfg, pr[0], pr[1], i, j, blk.At(i, j), want.At(i, j))
				}
			}
		}
	}

	// HessVec against H·v.
	rnd := rand.New(rand.NewPCG(cfg.Seed, 99))
	vec := make([]float64, np)
	for i := range vec {
		vec[i] = rnd.NormFloat64()
	}
	hv, err := p.HessVec(nil, vec)
	if strict("HessVec", err) {
		want := mat.NewVecDense(np, nil)
		want.MulVec(h, mat.NewVecDense(np, vec))
		vn := floats.Norm(vec, 2)
		for i, v := range hv {
			if math.Abs(v-want.AtVec(i)) > 1e-10*norm*vn {
				t.Fatalf("%v: HessVec[%d] = %v, H·v %v", cfg, i, v, want.AtVec(i))
			}
		}
	}

	// G + Hres = H: the two parts are assembled separately.
	g, errG := p.GaussNewton()
	res, errR := p.Residual()
	if strict("GaussNewton", errG) && strict("Residual", errR) {
		for i := 0; i < np; i++ {
			for j := i; j < np; j++ {
				if math.Abs(g.At(i, j)+res.At(i, j)-h.At(i, j)) > 1e-10*hmax {
					t.Fatalf("%v: G + Hres at (%d, %d) = %v, H %v", cfg, i, j, g.At(i, j)+res.At(i, j), h.At(i, j))
				}
			}
		}
	}

	// Structured statistics against the dense ones; networks with a hidden
	// layer and biases, or more than two layers, have none and must say so.
	st, err := p.StructuredStats(StructuredOptions{Pairs: pairs, ClassChunk: 1 + int(cfg.Seed%3)})
	if L := cfg.NumLayers(); L > 2 || L == 2 && cfg.Bias {
		if err == nil {
			t.Fatalf("%v: StructuredStats accepted a network it has no identities for", cfg)
		}
	} else if strict("StructuredStats", err) {
		checkSummaryFinite(t, "structured", st.Summary)
		near := func(what string, got, want, scale float64) {
			t.Helper()
			if math.Abs(got-want) > 1e-10*scale {
				t.Fatalf("%v: structured %s = %.17g, dense %.17g (scale %.3g)", cfg, what, got, want, scale)
			}
		}
		near("ρ", st.Rho, dense.Rho, 1)
		near("‖H‖_F²", st.FrobeniusSq, norm2, norm2)
		want := SumsFromFrobenius(l, dense.FrobeniusSq.At)
		for f, v := range want.Off {
			near("off sum "+string(f), st.Sums.Off[f], v, norm2)
		}
		for k, v := range want.Diag {
			near("diag sum "+string(k), st.Sums.Diag[k], v, norm2)
		}
		for a, v := range st.DiagFrobeniusSq {
			near("‖H_aa‖² "+l.Blocks[a].Name, v, dense.FrobeniusSq.At(a, a), norm2)
		}
		for _, pr := range st.Pairs {
			near(fmt.Sprintf("pair (%d, %d)", pr.A, pr.B), pr.FrobeniusSq, dense.FrobeniusSq.At(pr.A, pr.B), norm2)
		}
	}

	// The sampled path enumerates every block at these sizes: exact.
	hs, err := Measure(p, MeasureOptions{Method: StatsSampled, TopEigenvalues: 1, Seed: cfg.Seed})
	if strict("Measure", err) {
		checkSummaryFinite(t, "sampled", hs.Summary)
		if math.Abs(hs.Summary.Rho-dense.Rho) > 1e-10 {
			t.Fatalf("%v: sampled ρ %v, dense %v", cfg, hs.Summary.Rho, dense.Rho)
		}
		if !finite(hs.LambdaMax) {
			t.Fatalf("%v: λmax %v", cfg, hs.LambdaMax)
		}
	}
}

// fuzzCheckNoSilentNaN runs the paths that do not form H on a problem whose
// dense Hessian overflowed: each must return an error or finite values.
func fuzzCheckNoSilentNaN(t *testing.T, p *Problem) {
	if st, err := p.StructuredStats(StructuredOptions{}); err == nil {
		checkSummaryFinite(t, "structured", st.Summary)
	}
	for a := range p.Layout().Blocks {
		if blk, err := p.Block(a, 0); err == nil && !finiteSlice(blk.RawMatrix().Data) {
			t.Fatalf("%v: Block(%d, 0) not finite without an error", p.Config(), a)
		}
	}
	vec := make([]float64, p.NumParams())
	vec[0] = 1
	if hv, err := p.HessVec(nil, vec); err == nil && !finiteSlice(hv) {
		t.Fatalf("%v: HessVec not finite without an error", p.Config())
	}
	if hs, err := Measure(p, MeasureOptions{Method: StatsSampled}); err == nil {
		checkSummaryFinite(t, "sampled", hs.Summary)
	}
}

func checkSummaryFinite(t *testing.T, what string, s Summary) {
	t.Helper()
	// An undefined statistic (0/0) is NaN with a reason, never a number.
	if rhoUndef := s.RhoUndefined != ""; rhoUndef != (s.FrobeniusSq == 0) || rhoUndef != math.IsNaN(s.Rho) {
		t.Fatalf("%s summary: ρ undefined %q with ‖H‖²_F = %v, ρ = %v", what, s.RhoUndefined, s.FrobeniusSq, s.Rho)
	}
	if !finite(s.FrobeniusSq) || !finite(s.OffBlockSq) || (s.RhoUndefined == "" && (!finite(s.Rho) || s.Rho < 0 || s.Rho > 1)) {
		t.Fatalf("%s summary not finite or ρ outside [0, 1]: %+v", what, s)
	}
	for _, r := range s.Ratios {
		if r.Defined() == math.IsNaN(r.R) || (r.Defined() && (!finite(r.R) || r.R < 0)) || !finite(r.MeanOffSq) || !finite(r.MeanDiagSq) {
			t.Fatalf("%s ratio %+v", what, r)
		}
	}
}
