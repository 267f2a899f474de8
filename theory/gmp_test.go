package theory

import (
	"errors"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

func mustGMP(t testing.TB, gamma float64, w WeightLaw) GeneralizedMP {
	t.Helper()
	g, err := NewGeneralizedMP(gamma, w)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// gmpResidual returns |m(−z + Σ p τ/(1+γτm)) − 1|, the defining equation,
// evaluated from the weight atoms independently of the solver.
func gmpResidual(g GeneralizedMP, z, m complex128) float64 {
	vs, ps := g.Weights.Atoms()
	var e complex128
	for i, v := range vs {
		e += complex(ps[i]*v, 0) / (1 + complex(g.Gamma*v, 0)*m)
	}
	return cmplx.Abs(m*(-z+e) - 1)
}

func testWeightLaws() map[string]WeightLaw {
	return map[string]WeightLaw{
		"three-atom": DiscreteWeights{Values: []float64{0.2, 1, 5}, Probs: []float64{0.5, 0.3, 0.2}},
		"bernoulli":  BernoulliWeights{P: 0.5},
		"lognormal":  LogNormalWeights{Mu: -0.125, Sigma: 0.5, Nodes: 40},
	}
}

// For d ≫ N the N non-zero eigenvalues of B are those of
// (1/N) T^{1/2} XᵀX T^{1/2} ≈ γ·T, so well separated weights split the
// support: with γ = 20 and τ ∈ {1, 10} there are clusters near 20 and 200,
// each of mass ½·(1/γ), plus the atom 1 − 1/γ.
func TestGMPSplitSupport(t *testing.T) {
	const gamma = 20
	g := mustGMP(t, gamma, DiscreteWeights{Values: []float64{1, 10}, Probs: []float64{0.5, 0.5}})
	iv := g.Support()
	if len(iv) != 2 || !iv[0].Contains(gamma) || !iv[1].Contains(10*gamma) {
		t.Fatalf("support %v, want two intervals around 20 and 200", iv)
	}
	if math.Abs(g.Atom()-(1-1.0/gamma)) > 1e-15 {
		t.Errorf("atom %v", g.Atom())
	}
	if e := math.Abs(g.CDF(iv[0].Max) - (g.Atom() + 0.5/gamma)); e > 1e-9 {
		t.Errorf("mass up to the first interval %v, want %v", g.CDF(iv[0].Max), g.Atom()+0.5/gamma)
	}
	got := integrateLaw(g, 0, 1e-10)[0]
	if math.Abs(got-1.0/gamma) > 1e-8 {
		t.Errorf("∫Prob = %v, want %v", got, 1.0/gamma)
	}
	mid := 0.5 * (iv[0].Max + iv[1].Min)
	if g.Prob(mid) != 0 || g.Prob(iv[0].Max-1e-6) <= 0 || g.Prob(iv[1].Min+1e-6) <= 0 {
		t.Errorf("density not zero in the gap or zero inside")
	}
	// Independent check of the edges: just outside, m(x + i0) is real.
	for _, v := range iv {
		for _, x := range []float64{v.Min * (1 - 1e-6), v.Max * (1 + 1e-6)} {
			if m := g.Stieltjes(complex(x, 1e-12)); imag(m) > 1e-6 {
				t.Errorf("Im m(%v) = %v just outside an edge", x, imag(m))
			}
		}
		x := 0.5 * (v.Min + v.Max)
		if m := g.Stieltjes(complex(x, 1e-12)); imag(m) < 1e-5 {
			t.Errorf("Im m(%v) = %v inside the support", x, imag(m))
		}
	}
}

// 100 points of the upper half-plane per law, Im z from 1e−6 to 1e3.
func TestGMPStieltjesEquation(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	laws := testWeightLaws()
	laws["empirical"] = EmpiricalWeights{Samples: lognormalSamples(200, 0.8, 5)}
	for name, w := range laws {
		for _, gamma := range []float64{0.1, 1, 4} {
			g := mustGMP(t, gamma, w)
			top := g.Support()[len(g.Support())-1].Max
			for i := 0; i < 100; i++ {
				z := complex(-1+(top+2)*rng.Float64(), math.Pow(10, -6+9*rng.Float64()))
				if i < 10 {
					z = complex(real(z), 1e-6)
				}
				m := g.Stieltjes(z)
				if r := gmpResidual(g, z, m); r > 1e-12 || imag(m) <= 0 {
					t.Errorf("%s γ=%v z=%v: m=%v residual %.2g", name, gamma, z, m, r)
				}
			}
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		gamma := rapid.Float64Range(0.02, 10).Draw(t, "gamma")
		k := rapid.IntRange(1, 5).Draw(t, "atoms")
		vals := make([]float64, k)
		probs := make([]float64, k)
		for i := range vals {
			vals[i] = rapid.Float64Range(0.01, 10).Draw(t, "value")
			probs[i] = 1 / float64(k)
		}
		g := GeneralizedMP{Gamma: gamma, Weights: DiscreteWeights{vals, probs}}
		z := complex(rapid.Float64Range(-5, 60).Draw(t, "x"), math.Pow(10, rapid.Float64Range(-6, 3).Draw(t, "logeta")))
		m := g.Stieltjes(z)
		if r := gmpResidual(g, z, m); r > 1e-12 || imag(m) <= 0 {
			t.Fatalf("z=%v: m=%v residual %.2g", z, m, r)
		}
	})
}

func lognormalSamples(n int, sigma float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = math.Exp(-sigma*sigma/2 + sigma*rng.NormFloat64())
	}
	return xs
}

// GMP(γ, δ_1) = MP(γ, 1), and GMP(γ, δ_c) = MP(γ, c).
func TestGMPPointMassIsMP(t *testing.T) {
	for _, gamma := range testRatios {
		for _, c := range []float64{1, 2.5} {
			g := mustGMP(t, gamma, pointMass{c})
			mp := MarchenkoPastur{Gamma: gamma, Scale: c}
			gi, mi := g.Support(), mp.Support()
			if len(gi) != 1 || math.Abs(gi[0].Min-mi[0].Min) > 1e-12*c || math.Abs(gi[0].Max-mi[0].Max) > 1e-12*c {
				t.Errorf("γ=%v: support %v, MP %v", gamma, gi, mi)
			}
			if g.Atom() != mp.Atom() {
				t.Errorf("γ=%v: atom %v vs %v", gamma, g.Atom(), mp.Atom())
			}
			for _, f := range []float64{0.01, 0.2, 0.5, 0.9, 0.999} {
				x := mi[0].Min + f*mi[0].Len()
				if relErr(g.Prob(x), mp.Prob(x)) > 1e-9 {
					t.Errorf("γ=%v: Prob(%v) %v vs %v", gamma, x, g.Prob(x), mp.Prob(x))
				}
				if math.Abs(g.CDF(x)-mp.CDF(x)) > 1e-10 {
					t.Errorf("γ=%v: CDF(%v) %v vs %v", gamma, x, g.CDF(x), mp.CDF(x))
				}
				z := complex(x, 0.01)
				if cmplx.Abs(g.Stieltjes(z)-mp.Stieltjes(z)) > 1e-11*cmplx.Abs(mp.Stieltjes(z)) {
					t.Errorf("γ=%v: Stieltjes differs at %v", gamma, z)
				}
			}
			for k := 0; k <= 6; k++ {
				if relErr(g.Moment(k), mp.Moment(k)) > 1e-13 {
					t.Errorf("γ=%v: Moment(%d) %v vs %v", gamma, k, g.Moment(k), mp.Moment(k))
				}
			}
		}
	}
}

// With τ ∈ {0, 1}, B = (1/N) Σ_{τ_n=1} x xᵀ = q·S' with S' a Wishart matrix
// of qN samples: GMP(γ, Bernoulli(q)) is the law of qλ, λ ~ MP(γ/q), whose
// atom is 1 − q/γ when γ > q.
func TestGMPBernoulliScaling(t *testing.T) {
	for _, q := range []float64{0.25, 0.5, 0.8} {
		for _, gamma := range testRatios {
			g := mustGMP(t, gamma, BernoulliWeights{P: q})
			mp := MarchenkoPastur{Gamma: gamma / q, Scale: q}
			if math.Abs(g.Atom()-math.Max(0, 1-q/gamma)) > 1e-15 || math.Abs(g.Atom()-mp.Atom()) > 1e-15 {
				t.Errorf("q=%v γ=%v: atom %v, want %v", q, gamma, g.Atom(), mp.Atom())
			}
			mi := mp.Support()[0]
			gi := g.Support()
			if len(gi) != 1 || math.Abs(gi[0].Min-mi.Min) > 1e-12 || math.Abs(gi[0].Max-mi.Max) > 1e-12 {
				t.Errorf("q=%v γ=%v: support %v, want %v", q, gamma, gi, mi)
			}
			for _, f := range []float64{0.001, 0.1, 0.5, 0.95} {
				x := mi.Min + f*mi.Len()
				if relErr(g.Prob(x), mp.Prob(x)) > 1e-8 {
					t.Errorf("q=%v γ=%v: Prob(%v) %v vs %v", q, gamma, x, g.Prob(x), mp.Prob(x))
				}
				if math.Abs(g.CDF(x)-mp.CDF(x)) > 1e-10 {
					t.Errorf("q=%v γ=%v: CDF(%v) %v vs %v", q, gamma, x, g.CDF(x), mp.CDF(x))
				}
			}
			for k := 1; k <= 6; k++ {
				if relErr(g.Moment(k), mp.Moment(k)) > 1e-12 {
					t.Errorf("q=%v γ=%v: Moment(%d) %v vs %v", q, gamma, k, g.Moment(k), mp.Moment(k))
				}
			}
		}
	}
}

func TestGMPLogNormalSecondMoment(t *testing.T) {
	for _, sigma := range []float64{0.5, 1} {
		w := LogNormalWeights{Mu: -sigma * sigma / 2, Sigma: sigma}
		for _, gamma := range []float64{0.1, 0.5} {
			g := mustGMP(t, gamma, w)
			want := gamma*math.Exp(sigma*sigma) + 1 // γEτ² + (Eτ)², Eτ = 1
			if relErr(g.Moment(2), want) > 1e-13 || relErr(g.Mean(), 1) > 1e-14 {
				t.Errorf("σ=%v γ=%v: Moment(2) = %v, want %v", sigma, gamma, g.Moment(2), want)
			}
			if sigma == 0.5 {
				// Independent: the discretized law's density integrated.
				got := integrateLaw(g, 2, 1e-9)
				if relErr(got[2], want) > 1e-5 {
					t.Errorf("σ=%v γ=%v: ∫x²Prob = %v, want %v", sigma, gamma, got[2], want)
				}
			}
		}
	}
}

// The quantile round trip at random weights (the conformance harness
// checks it on a grid of p at fixed laws).
func TestGMPQuantile(t *testing.T) {
	if testing.Short() {
		return
	}
	rapid.Check(t, func(t *rapid.T) {
		gamma := rapid.Float64Range(0.05, 5).Draw(t, "gamma")
		q := rapid.Float64Range(0.05, 1).Draw(t, "q")
		g := GeneralizedMP{Gamma: gamma, Weights: DiscreteWeights{Values: []float64{0, 1, 3}, Probs: []float64{1 - q, q / 2, q / 2}}}
		g, _ = NewGeneralizedMP(g.Gamma, g.Weights)
		p := rapid.Float64Range(0, 1).Draw(t, "p")
		x := g.Quantile(p)
		if p > g.Atom() && math.Abs(g.CDF(x)-p) > 1e-10 {
			t.Fatalf("CDF(Quantile(%v)) = %v", p, g.CDF(x))
		}
	})
}

func TestGMPValidate(t *testing.T) {
	bad := []GeneralizedMP{
		{Gamma: 0, Weights: pointMass{1}},
		{Gamma: math.NaN(), Weights: pointMass{1}},
		{Gamma: 1},
		{Gamma: 1, Weights: pointMass{-1}},
		{Gamma: 1, Weights: BernoulliWeights{P: 0}},
		{Gamma: 1, Weights: DiscreteWeights{}},
		{Gamma: 1, Weights: DiscreteWeights{Values: []float64{1, -2}, Probs: []float64{0.5, 0.5}}},
		{Gamma: 1, Weights: DiscreteWeights{Values: []float64{1, 2}, Probs: []float64{0.5, 0.6}}},
		{Gamma: 1, Weights: DiscreteWeights{Values: []float64{0}, Probs: []float64{1}}},
		{Gamma: 1, Weights: EmpiricalWeights{}},
		{Gamma: 1, Weights: EmpiricalWeights{Samples: []float64{1, math.Inf(1)}}},
		{Gamma: 1, Weights: LogNormalWeights{Sigma: -1}},
	}
	for _, g := range bad {
		if err := g.Validate(); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("%+v: Validate = %v", g, err)
		}
		if _, err := NewGeneralizedMP(g.Gamma, g.Weights); err == nil {
			t.Errorf("%+v: constructor accepted invalid law", g)
		}
		if !math.IsNaN(g.Prob(1)) || !math.IsNaN(g.CDF(1)) || !math.IsNaN(g.Moment(2)) || g.Support() != nil {
			t.Errorf("%+v: invalid law should give NaN", g)
		}
	}
}
