package hessblock_test

// Reproductions of the tables of SCIENCE.md. They measure exact block
// statistics (numerics.StructuredStats) on fixed seeds and print them beside
// the predictions of package theory, one subtest per table row, so a single
// row can be rerun:
//
//	go test -run 'TestScienceRepro' -v . -args -science              # every table (long: tens of minutes)
//	go test -run 'TestScienceReproD/relu_sv1_m32_C1024$' -v . -args -science
//
// Without -science they are skipped, so `go test ./...` does not get slower.
// "±" is the sample standard deviation over seeds (meanSD, n − 1 in the
// denominator). The tests only print; the fast assertions on the same laws
// are in science_test.go.

import (
	"flag"
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/theory"
)

var science = flag.Bool("science", false, "run the SCIENCE.md reproductions in science_repro_test.go (slow)")

func needScience(t *testing.T) {
	t.Helper()
	if !*science {
		t.Skip("SCIENCE.md reproduction: rerun with -args -science")
	}
}

// reproStats returns the exact block statistics of cfg (and the problem).
func reproStats(t *testing.T, cfg numerics.Config) (*numerics.Problem, *numerics.StructuredStats) {
	t.Helper()
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.StructuredStats(numerics.StructuredOptions{SkipBlockNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	return p, st
}

// overSeeds evaluates f on cfg at seeds 1..seeds.
func overSeeds(t *testing.T, cfg numerics.Config, seeds int, f func(*numerics.Problem, *numerics.StructuredStats) float64) []float64 {
	t.Helper()
	out := make([]float64, 0, seeds)
	for s := 1; s <= seeds; s++ {
		cfg.Seed = uint64(s)
		p, st := reproStats(t, cfg)
		out = append(out, f(p, st))
	}
	return out
}

// orErr formats a prediction or the error that replaced it.
func orErr(v float64, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%.4f", v)
}

func actName(a kind.Activation) string { return strings.ToLower(string(a)) }

// TestScienceReproA reproduces the table of finding A: ReLU network, CE,
// hidden–output blocks, σ_w = σ_v = 1, seeds 1–2. Per row: R per seed, the
// Gauss–Newton and residual parts (crossParts, independent of numerics'
// Hessian code), C·‖res‖² and the prediction of theory.MLPCECross.
func TestScienceReproA(t *testing.T) {
	needScience(t)
	type row struct{ d, n, m, c int }
	var rows []row
	for _, n := range []int{128, 512, 2048} {
		for _, c := range []int{16, 64, 256} {
			rows = append(rows, row{32, n, 16, c})
		}
	}
	rows = append(rows, row{32, 1024, 64, 256}, row{128, 1024, 16, 256})
	for _, r := range rows {
		t.Run(fmt.Sprintf("d%d_N%d_m%d_C%d", r.d, r.n, r.m, r.c), func(t *testing.T) {
			cfg := numerics.Config{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: r.c, D: r.d, N: r.n, M: r.m, SigmaW: 1, SigmaV: 1}
			var rs, gns, ress, cres []float64
			for s := 1; s <= 2; s++ {
				cfg.Seed = uint64(s)
				p, st := reproStats(t, cfg)
				rs = append(rs, st.Ratio(kind.HiddenOutput))
				if r.n*r.c > 2048*256 || r.m > 16 || r.d > 32 {
					continue // the decomposition is only tabulated for the main grid
				}
				gn, res, _ := crossParts(p)
				norm := math.Sqrt(st.Sums.Diag[kind.Hidden] / float64(r.m) * st.Sums.Diag[kind.Output] / float64(r.c))
				gns = append(gns, math.Sqrt(gn/norm))
				ress = append(ress, math.Sqrt(res/norm))
				cres = append(cres, float64(r.c)*res)
			}
			pred, err := theory.MLPCECross{Activation: kind.ReLU, Classes: r.c, Inputs: r.d, Samples: r.n, Width: r.m, SigmaW: 1, SigmaV: 1}.Ratio()
			t.Logf("γ = %d/%d, C = %d: R = %.3f, %.3f | R_GN %v | R_res %v | C·‖res‖² %v | predicted %s",
				r.d, r.n, r.c, rs[0], rs[1], fmtList(gns), fmtList(ress), fmtList(cres), orErr(pred, err))
		})
	}
}

func fmtList(xs []float64) string {
	if len(xs) == 0 {
		return "—"
	}
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%.4g", x)
	}
	return strings.Join(s, ", ")
}

// TestScienceReproB reproduces the table of finding B: linear CE, C·R
// measured (mean ± sd over seeds) against the joint finite-size prediction
// theory.LinearCEFiniteSize (20000 draws, seed 1), the independent-weight
// prediction LinearCEFiniteC.RatioFinite (20000 draws) and its d = ∞ value
// LinearCEFiniteC.Ratio.
func TestScienceReproB(t *testing.T) {
	needScience(t)
	type row struct {
		sigma       float64
		d, n, c, sd int
	}
	rows := []row{
		{1, 100, 1000, 100, 3}, {1, 100, 1000, 1000, 3}, {1, 100, 1000, 5000, 3},
		{1, 200, 2000, 100, 3}, {1, 200, 2000, 1000, 3}, {1, 200, 2000, 5000, 3},
		{1, 400, 4000, 100, 2}, {1, 400, 4000, 1000, 2},
		{0.5, 200, 2000, 100, 3}, {0.5, 200, 2000, 1000, 3},
		{1, 32, 128, 128, 6}, {1, 32, 128, 16, 6}, {1, 40, 160, 16, 20},
	}
	for _, r := range rows {
		t.Run(fmt.Sprintf("sigma%g_d%d_N%d_C%d", r.sigma, r.d, r.n, r.c), func(t *testing.T) {
			cfg := numerics.Config{Model: kind.Linear, Loss: kind.CE, C: r.c, D: r.d, N: r.n, Sigma: r.sigma}
			xs := overSeeds(t, cfg, r.sd, func(_ *numerics.Problem, st *numerics.StructuredStats) float64 {
				return float64(r.c) * st.Ratio(kind.OutputOutput)
			})
			m, sd := meanSD(xs)
			c := float64(r.c)
			fs := theory.LinearCEFiniteSize{Classes: r.c, Inputs: r.d, Samples: r.n, Sigma: r.sigma, Draws: 20000, Seed: 1}
			b, err := fs.BlockNorms()
			joint := "error: "
			if err == nil {
				joint = fmt.Sprintf("%.4f ± %.4f", math.Sqrt(b.Off/b.Diag), c*b.RatioErr)
			} else {
				joint += err.Error()
			}
			fc := theory.LinearCEFiniteC{Classes: r.c, Sigma: r.sigma, Gamma: float64(r.d) / float64(r.n), Draws: 20000, Seed: 1}
			ind, err1 := fc.RatioFinite(r.d, r.n)
			inf, err2 := fc.Ratio()
			t.Logf("σ = %g, d = %d, N = %d, C = %d: C·R = %.4f ± %.4f (%d seeds) | joint %s | independent %s | independent d = ∞ %s",
				r.sigma, r.d, r.n, r.c, m, sd, r.sd, joint, orErr(c*ind, err1), orErr(c*inf, err2))
		})
	}
}

// firstFormMoments are the φ' moments of the first hidden-block laws,
// recomputed here (u_i, u_j ~ N(0, 1) independent, σ_w = 1): A1 = Eφ'²,
// A2 = Eφ'⁴, B1 = (Eφ')², B2 = (Eφ'²)², and the logit variance
// s² = σ_v²Eφ(u)². They are kept in this file because the tables compare
// with these superseded forms, which package theory need not export.
func firstFormMoments(act kind.Activation, sv float64) (a1, a2, b1, b2, s2 float64) {
	const n = 64
	x, w := make([]float64, n), make([]float64, n)
	quad.Hermite{}.FixedLocations(x, w, math.Inf(-1), math.Inf(1))
	e := func(f func(float64) float64) float64 { // E f(u), u ~ N(0, 1)
		var t float64
		for i := range x {
			t += w[i] * f(math.Sqrt2*x[i])
		}
		return t / math.SqrtPi
	}
	switch act {
	case kind.Identity:
		return 1, 1, 1, 1, sv * sv
	case kind.ReLU:
		return 0.5, 0.5, 0.25, 0.25, sv * sv / 2
	}
	sech2 := func(u float64) float64 { c := math.Cosh(u); return 1 / (c * c) }
	e1 := e(sech2)
	e2 := e(func(u float64) float64 { return math.Pow(sech2(u), 2) })
	e4 := e(func(u float64) float64 { return math.Pow(sech2(u), 4) })
	t2 := e(func(u float64) float64 { return math.Pow(math.Tanh(u), 2) })
	return e2, e4, e1 * e1, e2 * e2, sv * sv * t2
}

// reproHidden prints √C·R of the CE hidden–hidden family against the
// old form (recomputed here), MLPCEHidden.FirstOrderRatioSq and
// MLPCEHidden.Ratio (the law Law.Predict uses), and TiltScale.
func reproHidden(t *testing.T, act kind.Activation, sv float64, d, n, m, c, seeds int) {
	cfg := numerics.Config{Model: kind.MLP, Activation: act, Loss: kind.CE, C: c, D: d, N: n, M: m, SigmaW: 1, SigmaV: sv}
	sc := math.Sqrt(float64(c))
	xs := overSeeds(t, cfg, seeds, func(_ *numerics.Problem, st *numerics.StructuredStats) float64 {
		return sc * st.Ratio(kind.HiddenHidden)
	})
	mean, sd := meanSD(xs)
	// The first form, R² ≈ (γe^{s²}B2 + B1²)/(C[γA2(1 + (3e^{s²}−1)/C) + A1²(1 + 2/C)]).
	a1, a2, b1, b2, s2 := firstFormMoments(act, sv)
	g, es, cf := float64(d)/float64(n), math.Exp(s2), float64(c)
	old := sc * math.Sqrt((g*es*b2+b1*b1)/(cf*(g*a2*(1+(3*es-1)/cf)+a1*a1*(1+2/cf))))
	h := theory.MLPCEHidden{Activation: act, Classes: c, Inputs: d, Samples: n, Width: m, SigmaW: 1, SigmaV: sv}
	first, err1 := h.FirstOrderRatioSq()
	cur, err2 := h.Ratio()
	ts, err3 := h.TiltScale()
	t.Logf("%s σ_v = %g, d = %d, N = %d, m = %d, C = %d: √C·R = %.3f ± %.3f (%d seeds) | old form %.3f | first-order %s | MLPCEHidden %s | TiltScale %s",
		act, sv, d, n, m, c, mean, sd, seeds, old, orErr(sc*math.Sqrt(first), err1), orErr(sc*cur, err2), orErr(ts, err3))
}

// TestScienceReproC reproduces table C (d = 64, N = 256, m = 16, σ_w = 1,
// seeds 1–3).
func TestScienceReproC(t *testing.T) {
	needScience(t)
	for _, act := range []kind.Activation{kind.ReLU, kind.Tanh} {
		for _, sv := range []float64{0.5, 1, 2} {
			for _, c := range []int{4, 16, 64, 256} {
				t.Run(fmt.Sprintf("%s_sv%g_C%d", actName(act), sv, c), func(t *testing.T) {
					reproHidden(t, act, sv, 64, 256, 16, c, 3)
				})
			}
		}
	}
}

// TestScienceReproCPrime reproduces table C′ (d = 128, N = 512, σ_w = 1,
// 3 seeds, 2 at C ≥ 4096).
func TestScienceReproCPrime(t *testing.T) {
	needScience(t)
	type row struct {
		act  kind.Activation
		sv   float64
		m, c int
	}
	rows := []row{
		{kind.ReLU, 0.5, 32, 1024}, {kind.ReLU, 1, 16, 64}, {kind.ReLU, 1, 16, 1024},
		{kind.ReLU, 1, 32, 64}, {kind.ReLU, 1, 32, 1024}, {kind.ReLU, 1, 64, 1024},
		{kind.ReLU, 2, 64, 1024}, {kind.ReLU, 2, 64, 4096}, {kind.ReLU, 2, 64, 16384}, {kind.ReLU, 2, 32, 16384},
		{kind.Tanh, 0.5, 32, 1024}, {kind.Tanh, 1, 32, 1024}, {kind.Tanh, 1, 64, 1024},
		{kind.Tanh, 2, 16, 1024}, {kind.Tanh, 2, 32, 1024}, {kind.Tanh, 2, 64, 1024},
		{kind.Identity, 1, 32, 1024}, {kind.Identity, 1, 64, 1024},
	}
	for _, r := range rows {
		t.Run(fmt.Sprintf("%s_sv%g_m%d_C%d", actName(r.act), r.sv, r.m, r.c), func(t *testing.T) {
			seeds := 3
			if r.c >= 4096 {
				seeds = 2
			}
			reproHidden(t, r.act, r.sv, 128, 512, r.m, r.c, seeds)
		})
	}
}

// TestScienceReproD reproduces table D: C·R of the CE output family
// (d = 128, N = 512, σ_w = 1, seeds 1–3) against theory.MLPCEOutput's
// C → ∞ constant, plus the two rows at C = 4096, 16384 (ReLU, σ_v = 2,
// m = 64, 2 seeds).
func TestScienceReproD(t *testing.T) {
	needScience(t)
	run := func(act kind.Activation, sv float64, m, c, seeds int) {
		t.Run(fmt.Sprintf("%s_sv%g_m%d_C%d", actName(act), sv, m, c), func(t *testing.T) {
			cfg := numerics.Config{Model: kind.MLP, Activation: act, Loss: kind.CE, C: c, D: 128, N: 512, M: m, SigmaW: 1, SigmaV: sv}
			xs := overSeeds(t, cfg, seeds, func(_ *numerics.Problem, st *numerics.StructuredStats) float64 {
				return float64(c) * st.Ratio(kind.OutputOutput)
			})
			mean, sd := meanSD(xs)
			k, err := theory.MLPCEOutput{Activation: act, Classes: c, Inputs: 128, Samples: 512, Width: m, SigmaW: 1, SigmaV: sv}.ScaledRatioLimit()
			t.Logf("%s σ_v = %g, m = %d, C = %d: C·R = %.3f ± %.3f (%d seeds) | limit %s", act, sv, m, c, mean, sd, seeds, orErr(k, err))
		})
	}
	for _, act := range []kind.Activation{kind.ReLU, kind.Tanh, kind.Identity} {
		for _, sv := range []float64{0.5, 1, 2} {
			for _, m := range []int{16, 32, 64} {
				for _, c := range []int{64, 256, 1024} {
					run(act, sv, m, c, 3)
				}
			}
		}
	}
	run(kind.ReLU, 2, 64, 4096, 2)
	run(kind.ReLU, 2, 64, 16384, 2)
}

// TestScienceReproE reproduces table E: √C·R of the MSE hidden–output
// family (d = 128, N = 512, σ_w = 1, seeds 1–2) against theory.MLPMSECross,
// at C = 1024 for σ_v = ½, 1, 2 and at C = 64 for σ_v = 1.
func TestScienceReproE(t *testing.T) {
	needScience(t)
	for _, act := range []kind.Activation{kind.ReLU, kind.Tanh, kind.Identity} {
		for _, m := range []int{16, 32, 64} {
			for _, cs := range []struct {
				c  int
				sv float64
			}{{1024, 0.5}, {1024, 1}, {1024, 2}, {64, 1}} {
				t.Run(fmt.Sprintf("%s_sv%g_m%d_C%d", actName(act), cs.sv, m, cs.c), func(t *testing.T) {
					cfg := numerics.Config{Model: kind.MLP, Activation: act, Loss: kind.MSE, C: cs.c, D: 128, N: 512, M: m, SigmaW: 1, SigmaV: cs.sv}
					sc := math.Sqrt(float64(cs.c))
					xs := overSeeds(t, cfg, 2, func(_ *numerics.Problem, st *numerics.StructuredStats) float64 {
						return sc * st.Ratio(kind.HiddenOutput)
					})
					mean, sd := meanSD(xs)
					r, err := theory.MLPMSECross{Activation: act, Classes: cs.c, Inputs: 128, Samples: 512, Width: m, SigmaW: 1, SigmaV: cs.sv}.Ratio()
					t.Logf("%s σ_v = %g, m = %d, C = %d: √C·R = %.3f ± %.3f (2 seeds) | MLPMSECross %s", act, cs.sv, m, cs.c, mean, sd, orErr(sc*r, err))
				})
			}
		}
	}
}

// TestScienceReproTanhMSEHidden reproduces the side finding of E: √C·R of
// the tanh network's hidden blocks under MSE (d = 128, N = 512, σ_w = σ_v = 1,
// seeds 1–2) against the law of theory.Laws() (moments of ψ = φ'² + φφ″)
// and the superseded form with the moments of φ'² alone.
func TestScienceReproTanhMSEHidden(t *testing.T) {
	needScience(t)
	for _, m := range []int{16, 32, 64} {
		for _, c := range []int{64, 1024} {
			t.Run(fmt.Sprintf("tanh_m%d_C%d", m, c), func(t *testing.T) {
				cfg := numerics.Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.MSE, C: c, D: 128, N: 512, M: m, SigmaW: 1, SigmaV: 1}
				sc := math.Sqrt(float64(c))
				xs := overSeeds(t, cfg, 2, func(_ *numerics.Problem, st *numerics.StructuredStats) float64 {
					return sc * st.Ratio(kind.HiddenHidden)
				})
				mean, sd := meanSD(xs)
				g := 128.0 / 512
				law, err := theory.Lookup(kind.MLP, kind.MSE, kind.HiddenHidden, kind.Tanh)
				if err != nil {
					t.Fatal(err)
				}
				pr, err := law.Predict(theory.Setting{Classes: c, Gamma: g, SigmaW: 1, SigmaV: 1})
				if err != nil {
					t.Fatal(err)
				}
				a1, a2, b1, b2, _ := firstFormMoments(kind.Tanh, 1)
				plain := (g*b2 + b1*b1) / ((float64(c) + 2) * (g*a2 + a1*a1))
				t.Logf("tanh MSE m = %d, C = %d: √C·R = %.3f ± %.3f | with ψ %.3f | φ'² only %.3f", m, c, mean, sd,
					sc*pr.Ratio, sc*math.Sqrt(plain))
			})
		}
	}
}
