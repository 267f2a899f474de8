package numerics

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
)

// deepConfig is a small network of depth L.
func deepConfig(L int, bias bool, act kind.Activation, loss kind.Loss, seed uint64) Config {
	return Config{Model: kind.MLP, Activation: act, Loss: loss, C: 3, D: 4, N: 9, M: 3, Depth: L, Bias: bias, SigmaW: 1.2, SigmaV: 1, Seed: seed}
}

// randomizeBiases gives every bias a N(0, 0.3²) value drawn from seed, so
// that the bias directions of H are exercised away from the zero
// initialization (and no ReLU pre-activation sits exactly at a kink).
func randomizeBiases(t interface {
	Helper()
	Fatal(...any)
}, p *Problem, seed uint64) {
	t.Helper()
	r := newRand(seed, 99)
	bs := p.Biases()
	ws := make([]mat.Matrix, len(p.Weights()))
	for l, w := range p.Weights() {
		ws[l] = w
		if bs[l] != nil {
			b := make([]float64, len(bs[l]))
			for i := range b {
				b[i] = 0.3 * r.NormFloat64()
			}
			bs[l] = b
		}
	}
	if err := p.SetLayers(ws, bs); err != nil {
		t.Fatal(err)
	}
}

func deepProblem(t testing.TB, cfg Config) *Problem {
	t.Helper()
	p := mustProblem(t, cfg)
	randomizeBiases(t, p, cfg.Seed)
	return p
}

func symDiffRel(a, b mat.Symmetric) float64 {
	n := a.SymmetricDim()
	var d, s float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			d += (a.At(i, j) - b.At(i, j)) * (a.At(i, j) - b.At(i, j))
			s += b.At(i, j) * b.At(i, j)
		}
	}
	if s == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d / s)
}

// TestDeepFiniteDifferences checks the gradient and the dense Hessian of
// the general engine against Richardson-extrapolated central differences
// (truncation O(h⁴): the observed errors are 1e−12 … 4e−11) for L = 2, 3,
// 4 with and without biases, every activation and both losses.
func TestDeepFiniteDifferences(t *testing.T) {
	for _, L := range []int{2, 3, 4} {
		for _, bias := range []bool{false, true} {
			for _, act := range kind.Activations {
				for _, loss := range kind.Losses {
					cfg := deepConfig(L, bias, act, loss, uint64(10*L+1))
					t.Run(fmt.Sprintf("L%d/bias=%v/%s/%s", L, bias, act, loss), func(t *testing.T) {
						p := deepProblem(t, cfg)
						if act == kind.ReLU && p.MinAbsPreactivation() < 1e-3 {
							t.Fatalf("pre-activation %g within the FD step of a ReLU kink: pick another seed", p.MinAbsPreactivation())
						}
						if e, err := CheckGradient(p, 0); err != nil || e > 1e-8 {
							t.Errorf("gradient vs FD: relative error %.2e, %v", e, err)
						}
						if e, err := CheckHessian(p, 0); err != nil || e > 1e-7 {
							t.Errorf("Hessian vs FD: relative error %.2e, %v", e, err)
						}
					})
				}
			}
		}
	}
}

// TestDeepSplitAndProducts checks H = G + Hres to round-off, G ⪰ 0, and the
// matrix-free H·v, G·v, Hres·v and blockdiag(H)·v against the dense
// matrices, for deep and legacy models alike.
func TestDeepSplitAndProducts(t *testing.T) {
	cfgs := []Config{
		deepConfig(3, true, kind.Tanh, kind.CE, 3),
		deepConfig(4, false, kind.ReLU, kind.MSE, 4),
		deepConfig(2, true, kind.Tanh, kind.MSE, 5),
		{Model: kind.Linear, Loss: kind.CE, C: 4, D: 5, N: 11, Sigma: 1, Bias: true, Seed: 6},
	}
	cfgs = append(cfgs, spectralConfigs()...)
	for _, cfg := range cfgs {
		t.Run(cfg.String(), func(t *testing.T) {
			p := deepProblem(t, cfg)
			h, err := p.Hessian()
			if err != nil {
				t.Fatal(err)
			}
			g, err := p.GaussNewton()
			if err != nil {
				t.Fatal(err)
			}
			res, err := p.Residual()
			if err != nil {
				t.Fatal(err)
			}
			sum := mat.NewSymDense(p.NumParams(), nil)
			sum.AddSym(g, res)
			if e := symDiffRel(sum, h); e > 1e-13 {
				t.Errorf("‖G + Hres − H‖/‖H‖ = %.2e", e)
			}
			ev, err := Eigenvalues(g)
			if err != nil {
				t.Fatal(err)
			}
			if ev[0] < -1e-13*ev[len(ev)-1] {
				t.Errorf("G has eigenvalue %g < 0 (λmax %g)", ev[0], ev[len(ev)-1])
			}
			if cfg.NumLayers() == 1 {
				for i := 0; i < p.NumParams(); i++ {
					for j := i; j < p.NumParams(); j++ {
						if res.At(i, j) != 0 {
							t.Fatalf("linear model: Hres(%d, %d) = %g, want exactly 0", i, j, res.At(i, j))
						}
					}
				}
			}
			checkProducts(t, "H·v", p.HessVecOperator(), h, 1, 1e-12)
			checkProducts(t, "G·v", p.GaussNewtonVec(), g, 2, 1e-12)
			if cfg.NumLayers() > 1 {
				checkProducts(t, "Hres·v", p.ResidualVec(), res, 3, 1e-12)
			}
			bd := mat.NewSymDense(p.NumParams(), nil)
			for _, b := range p.Layout().Blocks {
				for i := b.Start; i < b.End(); i++ {
					for j := i; j < b.End(); j++ {
						bd.SetSym(i, j, h.At(i, j))
					}
				}
			}
			checkProducts(t, "blockdiag(H)·v", p.BlockDiagVecOperator(), bd, 4, 1e-12)
		})
	}
}

// TestGeneralEngineMatchesSpecialized runs the general engine on the
// models the specialized one serves: the two Hessians agree to 1e−12.
func TestGeneralEngineMatchesSpecialized(t *testing.T) {
	for _, cfg := range spectralConfigs() {
		p, h := denseProblem(t, cfg)
		g, err := p.generalHessian()
		if err != nil {
			t.Fatal(err)
		}
		if e := symDiffRel(g, h); e > 1e-12 {
			t.Errorf("%v: general vs specialized Hessian: relative difference %.2e", cfg, e)
		}
	}
}

// TestDeepBlocks checks Problem.Block against the slices of the dense H
// for every pair of blocks of a three-layer network with biases.
func TestDeepBlocks(t *testing.T) {
	p := deepProblem(t, deepConfig(3, true, kind.Tanh, kind.CE, 7))
	h, err := p.Hessian()
	if err != nil {
		t.Fatal(err)
	}
	l := p.Layout()
	for a := range l.Blocks {
		for b := range l.Blocks {
			got, err := p.Block(a, b)
			if err != nil {
				t.Fatal(err)
			}
			want, err := BlockOfMatrix(h, l, a, b)
			if err != nil {
				t.Fatal(err)
			}
			if !mat.EqualApprox(got, want, 1e-14) {
				t.Fatalf("Block(%s, %s) differs from the slice of H", l.Blocks[a].Name, l.Blocks[b].Name)
			}
		}
	}
}

// TestDeepLayout checks the θ order, block names, layers and families.
func TestDeepLayout(t *testing.T) {
	cfg := Config{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: 2, D: 3, N: 4, Depth: 3, HiddenWidths: []int{4, 5}, LayerBias: []bool{true, false, true}, SigmaW: 1, SigmaV: 1, Seed: 1}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.LayerSizes(), []int{3, 4, 5, 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("LayerSizes = %v, want %v", got, want)
	}
	l := cfg.Layout()
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	// Layer 1: 4 blocks of 3+1; layer 2: 5 blocks of 4; layer 3: 2 blocks of 5+1.
	if want := 4*4 + 5*4 + 2*6; l.P != want || cfg.NumParams() != want {
		t.Errorf("P = %d, NumParams = %d, want %d", l.P, cfg.NumParams(), want)
	}
	names := []string{"W1[0]", "W1[3]", "W2[0]", "W2[4]", "W3[0]", "W3[1]"}
	for _, name := range names {
		i, err := l.Find(name)
		if err != nil {
			t.Fatal(err)
		}
		b := l.Blocks[i]
		layer := int(name[1] - '0')
		if b.Layer != layer || (b.Kind == kind.Output) != (layer == 3) {
			t.Errorf("%s: layer %d kind %s", name, b.Layer, b.Kind)
		}
	}
	a, _ := l.Find("W1[0]")
	b, _ := l.Find("W3[1]")
	if f := l.FamilyOf(a, b); f != "L1-L3" {
		t.Errorf("FamilyOf(W1[0], W3[1]) = %q, want L1-L3", f)
	}
	if got := l.Families(); len(got) != 6 || got[0] != "L1-L1" || got[5] != "L2-L3" {
		t.Errorf("Families = %v", got)
	}
	// Legacy names for L ≤ 2, with a Layer.
	l2 := deepConfig(2, true, kind.ReLU, kind.CE, 1).Layout()
	if l2.Blocks[0].Name != "W[0]" || l2.Blocks[0].Size != 5 || l2.Blocks[len(l2.Blocks)-1].Name != "V[2]" || l2.Blocks[len(l2.Blocks)-1].Layer != 2 {
		t.Errorf("two-layer layout with bias: %+v", l2.Blocks)
	}
	if fmt.Sprint(l2.Families()) != fmt.Sprint(kind.Families) {
		t.Errorf("two-layer families %v", l2.Families())
	}
	// The parameters round-trip through SetLayers in θ order.
	p := mustProblem(t, cfg)
	theta := p.Params()
	for i := range theta {
		theta[i] = float64(i)
	}
	if err := p.SetParams(theta); err != nil {
		t.Fatal(err)
	}
	if p.Biases()[0][1] != 7 || p.Weights()[0].At(1, 0) != 4 || p.Biases()[1] != nil || p.Weights()[1].At(0, 0) != 16 {
		t.Errorf("θ order: b1[1] = %v, W1[1,0] = %v, W2[0,0] = %v", p.Biases()[0][1], p.Weights()[0].At(1, 0), p.Weights()[1].At(0, 0))
	}
}

// TestDeepConfigValidate checks the rules of Depth, HiddenWidths and
// LayerBias.
func TestDeepConfigValidate(t *testing.T) {
	base := deepConfig(3, false, kind.ReLU, kind.CE, 1)
	bad := map[string]func(*Config){
		"depth":            func(c *Config) { c.Depth = MaxDepth + 1 },
		"depth 1 for mlp":  func(c *Config) { c.Depth = 1 },
		"linear depth":     func(c *Config) { *c = DefaultConfig(kind.Linear); c.Depth = 2 },
		"widths length":    func(c *Config) { c.HiddenWidths = []int{3} },
		"widths vs m":      func(c *Config) { c.HiddenWidths = []int{3, 4} },
		"widths no depth":  func(c *Config) { c.Depth, c.M, c.HiddenWidths = 0, 0, []int{3} },
		"zero width":       func(c *Config) { c.M, c.HiddenWidths = 0, []int{3, 0} },
		"layer_bias len":   func(c *Config) { c.LayerBias = []bool{true} },
		"bias contradicts": func(c *Config) { c.Bias, c.LayerBias = true, []bool{true, false, true} },
	}
	for name, mod := range bad {
		c := base
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: %+v accepted", name, c)
		}
	}
	good := []func(*Config){
		func(c *Config) { c.M, c.HiddenWidths = 0, []int{3, 4} },
		func(c *Config) { c.HiddenWidths = []int{3, 3} },
		func(c *Config) { c.Depth = MaxDepth },
		func(c *Config) { *c = DefaultConfig(kind.Linear); c.Depth, c.Bias = 1, true },
	}
	for i, mod := range good {
		c := base
		mod(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("good config %d: %v", i, err)
		}
	}
	if s := base.String(); !strings.Contains(s, "L=3") {
		t.Errorf("String() = %q, want the depth", s)
	}
	if s := DefaultConfig(kind.MLP).String(); strings.Contains(s, "L=") || strings.Contains(s, "bias") {
		t.Errorf("legacy String() changed: %q", s)
	}
}

// TestSetLayersRefuses checks shapes, NaN and bias presence.
func TestSetLayersRefuses(t *testing.T) {
	p := mustProblem(t, deepConfig(3, true, kind.Tanh, kind.CE, 1))
	ws := make([]mat.Matrix, 3)
	for l, w := range p.Weights() {
		ws[l] = mat.DenseCopyOf(w)
	}
	before := p.Params()
	nan := mat.DenseCopyOf(ws[1])
	nan.Set(0, 0, math.NaN())
	cases := map[string]func() error{
		"count":      func() error { return p.SetLayers(ws[:2], nil) },
		"shape":      func() error { return p.SetLayers([]mat.Matrix{ws[0], ws[0], ws[2]}, p.Biases()) },
		"nan":        func() error { return p.SetLayers([]mat.Matrix{ws[0], nan, ws[2]}, p.Biases()) },
		"bias len":   func() error { return p.SetLayers(ws, [][]float64{{1}, nil, nil}) },
		"no bias":    func() error { return p.SetLayers(ws, nil) },
		"nil weight": func() error { return p.SetLayers([]mat.Matrix{ws[0], nil, ws[2]}, p.Biases()) },
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if RelativeError(p.Params(), before) != 0 {
		t.Error("a refused SetLayers changed the parameters")
	}
	if err := p.SetWeights(ws[0], ws[1]); err == nil {
		t.Error("SetWeights on a three-layer network: no error")
	}
}

// TestDeepCENullDirection: adding one constant to every output bias leaves
// CE unchanged, so H·u = 0 for u the sum of the output-bias coordinates.
func TestDeepCENullDirection(t *testing.T) {
	for _, L := range []int{1, 2, 3} {
		cfg := deepConfig(L, true, kind.Tanh, kind.CE, 12)
		if L == 1 {
			cfg = Config{Model: kind.Linear, Loss: kind.CE, C: 5, D: 4, N: 9, Sigma: 1, Bias: true, Seed: 12}
		}
		p := deepProblem(t, cfg)
		u := make([]float64, p.NumParams())
		for _, i := range p.Layout().OfLayer(L) {
			u[p.Layout().Blocks[i].End()-1] = 1
		}
		hu, err := p.HessVec(nil, u)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := p.Hessian()
		scale := mat.Norm(h, math.Inf(1))
		for i, v := range hu {
			if math.Abs(v) > 1e-14*scale {
				t.Fatalf("L=%d: (H·u)[%d] = %g, want 0 (‖H‖∞ = %g)", L, i, v, scale)
			}
		}
	}
}

// TestDeepHiddenPermutation permutes the neurons of hidden layer 2 (rows of
// W_2 and b_2, columns of W_3): every family statistic is unchanged.
func TestDeepHiddenPermutation(t *testing.T) {
	p := deepProblem(t, deepConfig(3, true, kind.Tanh, kind.CE, 13))
	m1, err := Measure(p, MeasureOptions{Method: StatsDense})
	if err != nil {
		t.Fatal(err)
	}
	perm := []int{2, 0, 1}
	ws, bs := p.Weights(), p.Biases()
	_, c2 := ws[1].Dims()
	w2 := mat.NewDense(3, c2, nil)
	b2 := make([]float64, 3)
	for i, pi := range perm {
		w2.SetRow(i, ws[1].RawRowView(pi))
		b2[i] = bs[1][pi]
	}
	r3, _ := ws[2].Dims()
	w3 := mat.NewDense(r3, 3, nil)
	for k := 0; k < r3; k++ {
		for i, pi := range perm {
			w3.Set(k, i, ws[2].At(k, pi))
		}
	}
	q := p.Clone()
	if err := q.SetLayers([]mat.Matrix{ws[0], w2, w3}, [][]float64{bs[0], b2, bs[2]}); err != nil {
		t.Fatal(err)
	}
	if math.Abs(q.Loss()-p.Loss()) > 1e-14*p.Loss() {
		t.Errorf("loss changed: %v → %v", p.Loss(), q.Loss())
	}
	m2, err := Measure(q, MeasureOptions{Method: StatsDense})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range m1.Summary.Ratios {
		if math.Abs(r.R-m2.Summary.Ratios[i].R) > 1e-12*r.R {
			t.Errorf("%s: R %v → %v", r.Family, r.R, m2.Summary.Ratios[i].R)
		}
	}
	if math.Abs(m1.Summary.Rho-m2.Summary.Rho) > 1e-12 {
		t.Errorf("ρ %v → %v", m1.Summary.Rho, m2.Summary.Rho)
	}
}

// TestDeepMeasure: on a deep network the sampled statistics with every
// block enumerated equal the dense ones, the structured method is refused
// naming the alternatives, and for the linear model with bias the
// structured path (augmented inputs) equals the dense statistics.
func TestDeepMeasure(t *testing.T) {
	p := deepProblem(t, deepConfig(3, true, kind.ReLU, kind.CE, 14))
	dense, err := Measure(p, MeasureOptions{Method: StatsDense, Blocks: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dense.Summary.Ratios) != 6 || len(dense.Blocks) != 6 {
		t.Fatalf("%d families, %d block spectra, want 6", len(dense.Summary.Ratios), len(dense.Blocks))
	}
	sampled, err := Measure(p, MeasureOptions{Method: StatsSampled, DiagSamples: 100, PairSamples: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range dense.Summary.Ratios {
		if s := sampled.Summary.Ratios[i]; s.Family != r.Family || math.Abs(s.R-r.R) > 1e-10*r.R {
			t.Errorf("%s: sampled R %v, dense %v", r.Family, s.R, r.R)
		}
	}
	if math.Abs(sampled.Summary.Rho-dense.Summary.Rho) > 1e-10 {
		t.Errorf("ρ sampled %v, dense %v", sampled.Summary.Rho, dense.Summary.Rho)
	}
	_, err = Measure(p, MeasureOptions{Method: StatsStructured})
	if err == nil || !strings.Contains(err.Error(), "dense") || !strings.Contains(err.Error(), "sampled") {
		t.Errorf("structured on a deep network: %v", err)
	}

	lin := deepProblem(t, Config{Model: kind.Linear, Loss: kind.CE, C: 6, D: 5, N: 30, Sigma: 1, Bias: true, Seed: 15})
	d, err := Measure(lin, MeasureOptions{Method: StatsDense})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Measure(lin, MeasureOptions{Method: StatsStructured})
	if err != nil {
		t.Fatal(err)
	}
	if e := math.Abs(s.Summary.Rho-d.Summary.Rho) / d.Summary.Rho; e > 1e-10 {
		t.Errorf("linear with bias: structured ρ %v, dense %v", s.Summary.Rho, d.Summary.Rho)
	}
	if e := math.Abs(s.Summary.Ratios[0].R-d.Summary.Ratios[0].R) / d.Summary.Ratios[0].R; e > 1e-10 {
		t.Errorf("linear with bias: structured R %v, dense %v", s.Summary.Ratios[0].R, d.Summary.Ratios[0].R)
	}
}

// TestKFACExactForOneSample: with N = 1 the GGN block of a layer is exactly
// Output ⊗ Input in θ order.
func TestKFACExactForOneSample(t *testing.T) {
	for _, cfg := range []Config{
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 3, D: 4, N: 1, M: 3, Depth: 3, Bias: true, SigmaW: 1, SigmaV: 1, Seed: 2},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.MSE, C: 2, D: 3, N: 1, M: 4, SigmaW: 1, SigmaV: 1, Seed: 3},
		{Model: kind.Linear, Loss: kind.CE, C: 4, D: 3, N: 1, Sigma: 1, Seed: 4},
	} {
		p := deepProblem(t, cfg)
		g, err := p.GaussNewton()
		if err != nil {
			t.Fatal(err)
		}
		fs, err := p.KFACFactors()
		if err != nil {
			t.Fatal(err)
		}
		l := p.Layout()
		for _, f := range fs {
			idx := l.OfLayer(f.Layer)
			start := l.Blocks[idx[0]].Start
			w := f.Input.SymmetricDim()
			var k mat.Dense
			k.Kronecker(f.Output, f.Input)
			r, _ := k.Dims()
			var maxd, scale float64
			for i := 0; i < r; i++ {
				for j := 0; j < r; j++ {
					maxd = math.Max(maxd, math.Abs(k.At(i, j)-g.At(start+i, start+j)))
					scale = math.Max(scale, math.Abs(g.At(start+i, start+j)))
				}
			}
			if maxd > 1e-13*scale || w != l.Blocks[idx[0]].Size {
				t.Errorf("%v layer %d: |Output⊗Input − G_ll| = %.2e (scale %.2e)", cfg, f.Layer, maxd, scale)
			}
		}
	}
}

// TestKFACBruteForce builds B_n = ∂z_n/∂s_n column by column from central
// differences of the logits along the bias of each neuron (∂z/∂b_i is
// column i of B exactly), and A_n from the softmax, and compares
// (1/N) Σ B_nᵀ A_n B_n and (1/N) Σ ā ā ᵀ with KFACFactors.
func TestKFACBruteForce(t *testing.T) {
	cfg := Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 3, D: 2, N: 5, M: 3, Depth: 3, Bias: true, SigmaW: 1, SigmaV: 1, Seed: 21}
	p := deepProblem(t, cfg)
	fs, err := p.KFACFactors()
	if err != nil {
		t.Fatal(err)
	}
	logits := func(q *Problem) []float64 {
		f := q.forward()
		return append([]float64(nil), f.deep.s[f.deep.L-1]...)
	}
	n, c := cfg.N, cfg.C
	prob := p.Probabilities()
	l := p.Layout()
	const h = 1e-5
	for _, f := range fs {
		idx := l.OfLayer(f.Layer)
		hl := len(idx)
		b := make([][]float64, hl) // b[i] = ∂z/∂b_i, N×C
		for i, blk := range idx {
			bi := l.Blocks[blk].End() - 1
			q := p.Clone()
			th := q.Params()
			th[bi] += h
			_ = q.SetParams(th)
			zp := logits(q)
			th[bi] -= 2 * h
			_ = q.SetParams(th)
			zm := logits(q)
			b[i] = make([]float64, n*c)
			for k := range zp {
				b[i][k] = (zp[k] - zm[k]) / (2 * h)
			}
		}
		for i := 0; i < hl; i++ {
			for j := 0; j < hl; j++ {
				var want float64
				for s := 0; s < n; s++ {
					// B_iᵀ (diag(p) − ppᵀ) B_j for sample s.
					var bpb, pbi, pbj float64
					for k := 0; k < c; k++ {
						pk := prob.At(s, k)
						bpb += b[i][s*c+k] * pk * b[j][s*c+k]
						pbi += pk * b[i][s*c+k]
						pbj += pk * b[j][s*c+k]
					}
					want += (bpb - pbi*pbj) / float64(n)
				}
				if got := f.Output.At(i, j); math.Abs(got-want) > 1e-8*math.Max(1, math.Abs(want)) {
					t.Errorf("layer %d Output[%d,%d] = %v, brute force %v", f.Layer, i, j, got, want)
				}
			}
		}
		// Input: the layer's input with a trailing 1, from Params-free forward data.
		fw := p.forward()
		a := fw.deep.abar[f.Layer-1]
		w := f.Input.SymmetricDim()
		for i := 0; i < w; i++ {
			for j := 0; j < w; j++ {
				var want float64
				for s := 0; s < n; s++ {
					want += a[s*w+i] * a[s*w+j] / float64(n)
				}
				if got := f.Input.At(i, j); math.Abs(got-want) > 1e-14*math.Max(1, math.Abs(want)) {
					t.Errorf("layer %d Input[%d,%d] = %v, want %v", f.Layer, i, j, got, want)
				}
			}
			if i == w-1 && f.Input.At(i, i) != 1 {
				t.Errorf("layer %d: Input's bias corner %v, want 1", f.Layer, f.Input.At(i, i))
			}
		}
	}
}

// BenchmarkDenseHessianEngines compares the dense Hessian of the
// one-hidden-layer MLP by the specialized engine and by the general one,
// and of deeper networks with biases by the general engine, at one width.
// ns/P²N is the time per (parameters² × samples), the unit of the issue's
// "within 2× of the one-hidden-layer cost" target (bench/README.md).
func BenchmarkDenseHessianEngines(b *testing.B) {
	cfg := Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 10, D: 32, N: 256, M: 16, SigmaW: 1, SigmaV: 1, Seed: 1}
	run := func(name string, cfg Config, general bool) {
		p, err := NewProblem(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if general {
					_, err = p.generalHessian()
				} else {
					_, err = p.Hessian()
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			P := float64(p.NumParams())
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(P*P*float64(cfg.N)), "ns/P²N")
		})
	}
	run("specialized", cfg, false)
	run("general", cfg, true)
	for _, depth := range []int{3, 4} {
		deep := cfg
		deep.Depth, deep.Bias = depth, true
		run(fmt.Sprintf("general-L%d-bias", depth), deep, false)
	}
}

// TestDeepExportNPY writes a three-layer network with biases and reads
// back the per-layer files and H in θ order.
func TestDeepExportNPY(t *testing.T) {
	p := deepProblem(t, deepConfig(3, true, kind.Tanh, kind.CE, 31))
	h, err := p.Hessian()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := ExportNPY(dir, p, h); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"W1.npy", "W2.npy", "W3.npy", "b1.npy", "b2.npy", "b3.npy", "hessian.npy", "layout.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	f, err := os.Open(filepath.Join(dir, "b2.npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b2 []float64
	if err := npyio.Read(f, &b2); err != nil {
		t.Fatal(err)
	}
	if RelativeError(b2, p.Biases()[1]) != 0 {
		t.Errorf("b2.npy = %v, want %v", b2, p.Biases()[1])
	}
}

// TestDeepLossGradientOn: the minibatch loss and gradient of a deep
// network equal those of a problem holding only the batch's rows.
func TestDeepLossGradientOn(t *testing.T) {
	cfg := deepConfig(3, true, kind.GELU, kind.CE, 41)
	p := deepProblem(t, cfg)
	rows := []int{4, 1, 1, 7}
	loss, grad := p.LossGradientOn(rows, nil)
	x := mat.NewDense(len(rows), cfg.D, nil)
	labels := make([]int, len(rows))
	for i, r := range rows {
		x.SetRow(i, p.X().RawRowView(r))
		labels[i] = p.Labels()[r]
	}
	sub := cfg
	sub.N = len(rows)
	q, err := NewProblemWithData(sub, x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.SetParams(p.Params()); err != nil {
		t.Fatal(err)
	}
	wl, wg := q.LossGradient(nil)
	if loss != wl || RelativeError(grad, wg) != 0 {
		t.Errorf("LossGradientOn = %v (gradient off by %.1e), want %v", loss, RelativeError(grad, wg), wl)
	}
}

// TestDeepMeasureBytes: the estimate of a deep network counts the
// per-sample Jacobians and is refused over a small budget before
// allocating.
func TestDeepMeasureBytes(t *testing.T) {
	cfg := deepConfig(4, true, kind.ReLU, kind.CE, 1)
	cfg.C, cfg.N, cfg.M = 50, 2000, 40
	need := cfg.MeasureBytes(DefaultMaxDenseBytes)
	if need < cfg.ProblemBytes()+cfg.deepJacobianBytes(true) {
		t.Errorf("MeasureBytes %d below problem %d + Jacobians %d", need, cfg.ProblemBytes(), cfg.deepJacobianBytes(true))
	}
	if err := cfg.CheckMeasure(need-1, DefaultMaxDenseBytes); err == nil {
		t.Error("CheckMeasure one byte under the estimate: no error")
	}
}

// TestDeepNoSilentNaN: at scales where float64 overflows, every entry point
// of the general engine returns an error or finite numbers, never a panic
// or a silent NaN.
func TestDeepNoSilentNaN(t *testing.T) {
	for _, scale := range []float64{1, 1e100, 1e200, 1e300} {
		for _, act := range []kind.Activation{kind.Identity, kind.GELU} {
			cfg := deepConfig(3, true, act, kind.MSE, 51)
			cfg.SigmaW, cfg.SigmaV = scale, scale
			p := mustProblem(t, cfg)
			finiteOrErr := func(what string, v []float64, err error) {
				if err == nil && !finiteSlice(v) {
					t.Errorf("σ = %g %s: %s has a non-finite entry and no error", scale, act, what)
				}
			}
			h, err := p.Hessian()
			if scale >= 1e200 && err == nil {
				t.Errorf("σ = %g: Hessian without error (entries overflow)", scale)
			}
			if err == nil {
				finiteOrErr("Hessian", h.RawSymmetric().Data, nil)
			} else if scale == 1 {
				t.Errorf("σ = 1: Hessian: %v", err)
			}
			v := make([]float64, p.NumParams())
			v[0] = 1
			hv, err := p.HessVec(nil, v)
			finiteOrErr("H·v", hv, err)
			gv, err := p.GaussNewtonVec()(nil, v)
			finiteOrErr("G·v", gv, err)
			g, err := p.GaussNewton()
			if err == nil {
				finiteOrErr("G", g.RawSymmetric().Data, nil)
			}
			fs, err := p.KFACFactors()
			if err == nil {
				for _, f := range fs {
					finiteOrErr("KFAC", append(f.Input.RawSymmetric().Data, f.Output.RawSymmetric().Data...), nil)
				}
			}
			for _, m := range []StatsMethod{StatsDense, StatsSampled} {
				st, err := Measure(p, MeasureOptions{Method: m})
				if err == nil {
					if math.IsNaN(st.Summary.Rho) && st.Summary.RhoUndefined == "" {
						t.Errorf("σ = %g %s: %s ρ is NaN without a reason", scale, act, m)
					}
				} else if scale == 1 {
					t.Errorf("σ = 1: Measure %s: %v", m, err)
				}
			}
		}
	}
}

// BenchmarkHessVecEngines compares one H·v of the one-hidden-layer MLP by
// the specialized R-operator and by the general one (same forward pass
// reused, as HessVecOperator does).
func BenchmarkHessVecEngines(b *testing.B) {
	cfg := Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 100, D: 64, N: 1024, M: 64, SigmaW: 1, SigmaV: 1, Seed: 1}
	p, err := NewProblem(cfg)
	if err != nil {
		b.Fatal(err)
	}
	v := make([]float64, p.NumParams())
	for i := range v {
		v[i] = math.Sin(float64(i))
	}
	dst := make([]float64, len(v))
	b.Run("specialized", func(b *testing.B) {
		op := p.HessVecOperator()
		for i := 0; i < b.N; i++ {
			if _, err := op(dst, v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		f := p.deepForwardPass()
		w := new(deepWork)
		for i := 0; i < b.N; i++ {
			p.deepVec(f, w, partsH, dst, v)
		}
	})
	// The curvature parts of issue 13 cost about one H·v each.
	for _, op := range []struct {
		name string
		op   func(dst, v []float64) ([]float64, error)
	}{{"gauss-newton", p.GaussNewtonVec()}, {"residual", p.ResidualVec()}} {
		b.Run(op.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := op.op(dst, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	deep := cfg
	deep.Depth, deep.Bias = 3, true
	q, err := NewProblem(deep)
	if err != nil {
		b.Fatal(err)
	}
	vq := make([]float64, q.NumParams())
	for i := range vq {
		vq[i] = math.Sin(float64(i))
	}
	b.Run("general-L3-bias", func(b *testing.B) {
		op := q.HessVecOperator()
		for i := 0; i < b.N; i++ {
			if _, err := op(nil, vq); err != nil {
				b.Fatal(err)
			}
		}
	})
}
