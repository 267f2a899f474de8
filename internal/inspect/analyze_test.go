package inspect

import (
	"io"
	"math"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/precond"
)

// measured returns the problem of cfg and its Measure (dense unless
// maxDense forces the structured path).
func measured(t *testing.T, cfg numerics.Config, maxDense int64) (*numerics.Problem, Result) {
	t.Helper()
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.MaxDenseBytes = maxDense
	res, err := Measure(p, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return p, res
}

var (
	linearCE = numerics.Config{Model: kind.Linear, Loss: kind.CE, C: 4, D: 6, N: 30, Sigma: 1, Seed: 3}
	tanhMLP  = numerics.Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 3, D: 5, N: 25, M: 4, SigmaW: 1, SigmaV: 1, Seed: 4}
	deepMLP  = numerics.Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.MSE, C: 3, D: 4, N: 20, M: 3, SigmaW: 1, SigmaV: 1, Seed: 5, Depth: 3, Bias: true}
)

var approx = cmp.Options{cmpopts.EquateApprox(1e-10, 1e-14), cmpopts.EquateNaNs()}

// The linear model is its own Gauss–Newton matrix: Hres = 0 exactly and G
// has every statistic of H.
func TestCurvatureSplitLinear(t *testing.T) {
	p, res := measured(t, linearCE, 0)
	if err := Analyze(p, &res, Options{Curvature: true, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	g, r := res.GaussNewton, res.Residual
	if r.Frobenius != 0 || r.LambdaMax != 0 || r.RhoUndefined == "" {
		t.Errorf("linear Hres: ‖·‖_F = %v, λmax = %v, ρ undefined %q; want 0, 0 and a reason", r.Frobenius, r.LambdaMax, r.RhoUndefined)
	}
	if d := cmp.Diff(res.Stats, *g, approx, cmpopts.IgnoreFields(Stats{}, "LambdaMaxResidual")); d != "" {
		t.Errorf("linear G differs from H (-H +G):\n%s", d)
	}
	if math.Abs(g.LambdaMax-res.LambdaMax) > g.LambdaMaxResidual+1e-12 {
		t.Errorf("λmax(G) = %v ± %v, λmax(H) = %v", g.LambdaMax, g.LambdaMaxResidual, res.LambdaMax)
	}
}

// For the MLP the parts are those numerics computes, G is positive
// semidefinite and Weyl's inequality λmax(H) ≤ λmax(G) + λmax(Hres) holds.
func TestCurvatureSplitMLP(t *testing.T) {
	for _, cfg := range []numerics.Config{tanhMLP, deepMLP} {
		p, res := measured(t, cfg, 0)
		if err := Analyze(p, &res, Options{Curvature: true, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		for _, part := range []struct {
			name  string
			got   *Stats
			dense func() (*mat.SymDense, error)
		}{{"G", res.GaussNewton, p.GaussNewton}, {"Hres", res.Residual, p.Residual}} {
			m, err := part.dense()
			if err != nil {
				t.Fatal(err)
			}
			bs, err := numerics.ComputeBlockStats(m, p.Layout())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(bs.Ratios, part.got.Ratios, approx); d != "" || math.Abs(bs.Rho-part.got.Rho) > 1e-12 ||
				math.Abs(math.Sqrt(bs.Summary.FrobeniusSq)-part.got.Frobenius) > 1e-12 {
				t.Errorf("%v %s: ρ %v, ‖·‖_F %v; numerics ρ %v, ‖·‖_F %v; ratios (-numerics +inspect):\n%s",
					cfg, part.name, part.got.Rho, part.got.Frobenius, bs.Rho, math.Sqrt(bs.Summary.FrobeniusSq), d)
			}
			ev, err := numerics.SymmetricEigenvalues(m)
			if err != nil {
				t.Fatal(err)
			}
			top := ev[0]
			for _, e := range ev {
				top = math.Max(top, e)
			}
			if math.Abs(top-part.got.LambdaMax) > part.got.LambdaMaxResidual+1e-10 {
				t.Errorf("%v %s: λmax %v ± %v, eigenvalues say %v", cfg, part.name, part.got.LambdaMax, part.got.LambdaMaxResidual, top)
			}
		}
		g, r := res.GaussNewton, res.Residual
		if g.LambdaMax < 0 || res.LambdaMax > g.LambdaMax+r.LambdaMax+g.LambdaMaxResidual+r.LambdaMaxResidual+1e-12 {
			t.Errorf("%v: λmax H %v, G %v, Hres %v: want G ≥ 0 and Weyl's bound", cfg, res.LambdaMax, g.LambdaMax, r.LambdaMax)
		}
		if r.Frobenius == 0 {
			t.Errorf("%v: Hres = 0 for a tanh network", cfg)
		}
	}
}

// Off the dense path the split has λmax only, and says why.
func TestCurvatureSplitStructured(t *testing.T) {
	p, res := measured(t, tanhMLP, 1000)
	if res.Method != "structured" {
		t.Fatalf("method %s, want structured", res.Method)
	}
	if err := Analyze(p, &res, Options{Curvature: true, Precond: true, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	pd, dense := measured(t, tanhMLP, 0)
	if err := Analyze(pd, &dense, Options{Curvature: true, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]*Stats{{res.GaussNewton, dense.GaussNewton}, {res.Residual, dense.Residual}} {
		s, d := pair[0], pair[1]
		if s.NotComputed == "" || s.Ratios != nil || !math.IsNaN(s.Rho) {
			t.Errorf("structured split %+v: want no ratios, ρ NaN and a reason", s)
		}
		if math.Abs(s.LambdaMax-d.LambdaMax) > s.LambdaMaxResidual+1e-10 {
			t.Errorf("structured λmax %v ± %v, dense %v", s.LambdaMax, s.LambdaMaxResidual, d.LambdaMax)
		}
	}
	if res.Preconditioners != nil || res.PrecondSkipped == "" {
		t.Errorf("structured path: preconditioners %v, skipped %q; want none with a reason", res.Preconditioners, res.PrecondSkipped)
	}
}

// The rows are precond.Quality of approximations built here independently.
func TestPreconditionersMatchQuality(t *testing.T) {
	for _, cfg := range []numerics.Config{linearCE, tanhMLP, deepMLP} {
		p, res := measured(t, cfg, 0)
		if err := Analyze(p, &res, Options{Precond: true, DampingFactor: 1e-2, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		h, l := res.Hessian, p.Layout()
		var neurons []precond.Range
		for _, b := range l.Blocks {
			neurons = append(neurons, precond.Range{Start: b.Start, Size: b.Size})
		}
		layers := map[int]*precond.Range{}
		var order []int
		for _, b := range l.Blocks {
			if r, ok := layers[b.Layer]; ok {
				r.Size += b.Size
				continue
			}
			layers[b.Layer] = &precond.Range{Start: b.Start, Size: b.Size}
			order = append(order, b.Layer)
		}
		var perLayer []precond.Range
		for _, k := range order {
			perLayer = append(perLayer, *layers[k])
		}
		factors, err := p.KFACFactors()
		if err != nil {
			t.Fatal(err)
		}
		var kf []precond.Factor
		for i, f := range factors {
			kf = append(kf, precond.Factor{Start: perLayer[i].Start, Output: f.Output, Input: f.Input})
		}
		bn, err1 := precond.NewBlockDiagonal(h, neurons)
		bl, err2 := precond.NewBlockDiagonal(h, perLayer)
		k, err3 := precond.NewKFAC(l.P, kf)
		d, err4 := precond.DiagonalOf(h)
		id, err5 := precond.NewIdentity(l.P)
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				t.Fatal(err)
			}
		}
		damping := 1e-2 * res.LambdaMax
		if len(res.Preconditioners) != 5 {
			t.Fatalf("%v: %d rows, want 5", cfg, len(res.Preconditioners))
		}
		for i, b := range []precond.Approximation{bn, bl, k, d, id} {
			want, err := precond.Quality(denseOperator(h), precond.Named(b, Approximations[i]), damping, precond.Options{Dense: h, Seed: 7, Tol: 1e-6,
				Density: &krylov.SLQOptions{Probes: 4, Steps: min(l.P, 40), Seed: 7, Reorth: krylov.ReorthFull}})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, res.Preconditioners[i], approx); d != "" {
				t.Errorf("%v row %s (-Quality +inspect):\n%s", cfg, Approximations[i], d)
			}
		}
		// One block per layer is H itself for the linear model: M = I.
		if cfg.Model == kind.Linear {
			if r := res.Preconditioners[1]; math.Abs(r.Condition-1) > 1e-6 || r.RelError > 1e-12 {
				t.Errorf("linear per-layer row %+v, want condition 1 and error 0", r)
			}
		}
	}
}

// The top eigenpairs agree with a dense eigendecomposition, and their
// masses are those of the dense eigenvectors and sum to 1.
func TestEigvecsMatchEigenSym(t *testing.T) {
	for _, cfg := range []numerics.Config{tanhMLP, deepMLP} {
		p, res := measured(t, cfg, 0)
		const k = 3
		if err := Analyze(p, &res, Options{Eigvecs: k, Seed: 2}); err != nil {
			t.Fatal(err)
		}
		var es mat.EigenSym
		if !es.Factorize(res.Hessian, true) {
			t.Fatal("EigenSym failed")
		}
		vals := es.Values(nil)
		var vecs mat.Dense
		es.VectorsTo(&vecs)
		idx := make([]int, len(vals))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return vals[idx[a]] > vals[idx[b]] })
		if len(res.Eigvecs) != k {
			t.Fatalf("%d eigenvectors, want %d", len(res.Eigvecs), k)
		}
		l := p.Layout()
		for i, e := range res.Eigvecs {
			if math.Abs(e.Value-vals[idx[i]]) > 1e-8*vals[idx[0]] {
				t.Errorf("%v: λ%d = %v, EigenSym %v", cfg, i+1, e.Value, vals[idx[i]])
			}
			u := mat.Col(nil, idx[i], &vecs)
			if dot := math.Abs(mat.Dot(mat.NewVecDense(len(u), u), mat.NewVecDense(len(u), e.Vector))); dot < 1-1e-6 {
				t.Errorf("%v: |⟨v%d, u⟩| = %v, want 1", cfg, i+1, dot)
			}
			var sum, lsum float64
			for b, blk := range l.Blocks {
				var m float64
				for _, x := range u[blk.Start:blk.End()] {
					m += x * x
				}
				if math.Abs(m-e.BlockMass[b]) > 1e-6 {
					t.Errorf("%v: v%d mass on %s = %v, EigenSym %v", cfg, i+1, blk.Name, e.BlockMass[b], m)
				}
				sum += e.BlockMass[b]
			}
			for _, m := range e.LayerMass {
				lsum += m.Mass
			}
			if math.Abs(sum-1) > 1e-12 || math.Abs(lsum-1) > 1e-12 {
				t.Errorf("%v: v%d block masses sum to %v, layer masses to %v", cfg, i+1, sum, lsum)
			}
			if e.TopBlocks[0].Mass != maxOf(e.BlockMass) || e.Participation < 1 || e.Participation > float64(l.P) {
				t.Errorf("%v: v%d top block %+v, participation %v", cfg, i+1, e.TopBlocks[0], e.Participation)
			}
		}
		if cfg.Depth == 3 {
			if names := []string{res.Eigvecs[0].LayerMass[0].Name, res.Eigvecs[0].LayerMass[2].Name}; names[0] != "L1" || names[1] != "L3" {
				t.Errorf("deep layer names %v, want L1 … L3", names)
			}
		}
	}
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// The exact trace is Σ H_ii and the layers' traces add up to it; the
// estimates lie within five standard errors (a false failure for a normal
// error has probability 6e-7 per estimate; the seeds are fixed).
func TestTraces(t *testing.T) {
	for _, cfg := range []numerics.Config{linearCE, tanhMLP, deepMLP} {
		p, res := measured(t, cfg, 0)
		if err := Analyze(p, &res, Options{TraceProbes: 40, Seed: 9}); err != nil {
			t.Fatal(err)
		}
		tr := res.Trace
		var exact, layers float64
		for i := 0; i < res.Params; i++ {
			exact += res.Hessian.At(i, i)
		}
		for _, l := range tr.Layers {
			layers += l.Trace
		}
		if math.Abs(tr.Exact-exact) > 1e-12*math.Abs(exact) || math.Abs(layers-exact) > 1e-12*math.Abs(exact) {
			t.Errorf("%v: exact %v, layers sum to %v; Σ H_ii = %v", cfg, tr.Exact, layers, exact)
		}
		for name, e := range map[string]Estimate{"Hutchinson": tr.Hutchinson, "Hutch++": tr.HutchPlusPlus} {
			if !(math.Abs(e.Trace-exact) <= 5*e.StdErr) {
				t.Errorf("%v: %s %v ± %v, exact %v", cfg, name, e.Trace, e.StdErr, exact)
			}
		}
		// The diagonal: exact entries are H_ii; with 40 probes (a t law of
		// 39 degrees of freedom, P(|z| > 3) ≈ 0.5%) at least 90% of the
		// entries lie within 3 standard errors: a correct estimator misses
		// that with probability below 3e−4 at these P = 24 … 39 (binomial
		// tail of 3 or more misses), and the seed is fixed.
		d := tr.Diagonal
		if d == nil || len(d.Estimate) != res.Params || len(d.Exact) != res.Params {
			t.Fatalf("%v: diagonal %+v, want %d entries with the exact ones", cfg, d, res.Params)
		}
		within := 0
		for i := range d.Exact {
			if d.Exact[i] != res.Hessian.At(i, i) {
				t.Fatalf("%v: exact diagonal[%d] = %v, H_ii = %v", cfg, i, d.Exact[i], res.Hessian.At(i, i))
			}
			if math.Abs(d.Estimate[i]-d.Exact[i]) <= 3*d.StdErr[i] {
				within++
			}
		}
		if float64(within) < 0.9*float64(res.Params) {
			t.Errorf("%v: %d of %d diagonal entries within 3 standard errors", cfg, within, res.Params)
		}

		// Off the dense path: estimates per layer, within their errors.
		ps, structured := measured(t, cfg, 1000)
		if cfg.Depth == 3 {
			continue // no structured path for deep networks
		}
		if err := Analyze(ps, &structured, Options{TraceProbes: 40, Seed: 9}); err != nil {
			t.Fatal(err)
		}
		if !math.IsNaN(structured.Trace.Exact) {
			t.Errorf("%v: structured exact trace %v, want NaN (not computed)", cfg, structured.Trace.Exact)
		}
		for i, l := range structured.Trace.Layers {
			want := tr.Layers[i].Trace
			if l.Exact || !(math.Abs(l.Trace-want) <= 5*l.StdErr) {
				t.Errorf("%v: structured layer %s %v ± %v (exact %v), exact trace %v", cfg, l.Layer, l.Trace, l.StdErr, l.Exact, want)
			}
		}
	}
}

func TestAnalyzeErrors(t *testing.T) {
	p, res := measured(t, linearCE, 0)
	for _, o := range []Options{
		{Damping: -1}, {Damping: math.NaN()}, {Damping: math.Inf(1)}, {DampingFactor: -1},
		{Eigvecs: -1}, {TraceProbes: -2}, {Eigvecs: res.Params + 1},
	} {
		if err := Analyze(p, &res, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	// λmax(H) = 0: no damping to scale, so no rows, with the reason.
	cfg := numerics.Config{Model: kind.Linear, Loss: kind.CE, C: 3, D: 3, N: 5, Sigma: 1e308, Seed: 1} // H = 0 (saturated softmax)
	p0, r0 := measured(t, cfg, 0)
	if err := Analyze(p0, &r0, Options{Precond: true}); err != nil {
		t.Fatal(err)
	}
	if r0.Preconditioners != nil || r0.PrecondSkipped == "" {
		t.Errorf("H = 0: rows %v, skipped %q", r0.Preconditioners, r0.PrecondSkipped)
	}
}
