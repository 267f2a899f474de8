package theory

import (
	"errors"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

var testRatios = []float64{0.1, 0.5, 1, 2, 4}

// Mass and moments of the density by independent tanh–sinh quadrature.
func TestMPMassAndMoments(t *testing.T) {
	for _, gamma := range testRatios {
		for _, scale := range []float64{1, 0.3} {
			mp := MarchenkoPastur{Gamma: gamma, Scale: scale}
			got := integrateLaw(mp, 6, 1e-13)
			if e := math.Abs(got[0] - (1 - mp.Atom())); e > 1e-8 {
				t.Errorf("γ=%v s=%v: ∫Prob = %v, want 1−atom = %v", gamma, scale, got[0], 1-mp.Atom())
			}
			for k := 1; k <= 6; k++ {
				if e := relErr(got[k], mp.Moment(k)); e > 1e-8 {
					t.Errorf("γ=%v s=%v: ∫x^%d Prob = %v, Moment = %v (rel %.2g)", gamma, scale, k, got[k], mp.Moment(k), e)
				}
			}
		}
	}
}

func TestMPMomentsClosedForms(t *testing.T) {
	mp := MarchenkoPastur{Gamma: 0.7, Scale: 2}
	g, s := 0.7, 2.0
	want := []float64{1, s, s * s * (1 + g), s * s * s * (1 + 3*g + g*g), math.Pow(s, 4) * (1 + 6*g + 6*g*g + g*g*g)}
	for k, w := range want {
		if relErr(mp.Moment(k), w) > 1e-14 {
			t.Errorf("Moment(%d) = %v, want %v", k, mp.Moment(k), w)
		}
	}
	if relErr(mp.Mean(), s) > 1e-15 || relErr(mp.Variance(), s*s*g) > 1e-15 {
		t.Errorf("Mean/Variance = %v/%v", mp.Mean(), mp.Variance())
	}
}

// The closed-form CDF against quadrature of the density.
func TestMPCDFAgainstQuadrature(t *testing.T) {
	for _, gamma := range testRatios {
		mp := MarchenkoPastur{Gamma: gamma, Scale: 1.5}
		a, b := mp.edges()
		for _, frac := range []float64{1e-6, 0.01, 0.3, 0.5, 0.77, 0.999} {
			x := a + frac*(b-a)
			want := mp.Atom() + tanhSinhMoments(mp.Prob, a, x, 0, 1e-14)[0]
			if math.Abs(mp.CDF(x)-want) > 1e-10 {
				t.Errorf("γ=%v: CDF(%v) = %v, quadrature %v", gamma, x, mp.CDF(x), want)
			}
		}
		if mp.CDF(-1) != 0 || mp.CDF(b) != 1 || (a > 0 && mp.CDF(a/2) != mp.Atom()) {
			t.Errorf("γ=%v: CDF outside the support wrong", gamma)
		}
	}
}

func mpStieltjesResidual(mp MarchenkoPastur, z, m complex128) float64 {
	g, s := complex(mp.Gamma, 0), complex(mp.Scale, 0)
	t1 := g * z * s * m * m
	t2 := (z + s*(g-1)) * m
	return cmplx.Abs(t1+t2+1) / (cmplx.Abs(t1) + cmplx.Abs(t2) + 1)
}

// 100 points per law, from Im z = 1e−6 to 1e3, checked against the
// quadratic and the sign condition Im m > 0.
func TestMPStieltjesEquation(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, gamma := range testRatios {
		mp := MarchenkoPastur{Gamma: gamma, Scale: 1.3}
		_, b := mp.edges()
		for i := 0; i < 100; i++ {
			x := -1 + (b+2)*rng.Float64()
			eta := math.Pow(10, -6+9*rng.Float64())
			z := complex(x, eta)
			m := mp.Stieltjes(z)
			if r := mpStieltjesResidual(mp, z, m); r > 1e-12 || imag(m) <= 0 {
				t.Errorf("γ=%v z=%v: m=%v residual %.2g", gamma, z, m, r)
			}
			if mc := mp.Stieltjes(cmplx.Conj(z)); cmplx.Abs(mc-cmplx.Conj(m)) > 1e-13*cmplx.Abs(m) {
				t.Errorf("conjugate symmetry fails at %v", z)
			}
		}
	}
}

// Stieltjes against direct quadrature ∫ f(λ)/(λ−z) dλ − atom/z.
func TestMPStieltjesAgainstQuadrature(t *testing.T) {
	for _, gamma := range testRatios {
		mp := MarchenkoPastur{Gamma: gamma, Scale: 1}
		a, b := mp.edges()
		for _, z := range []complex128{complex(1, 0.5), complex(-2, 0.1), complex(3, 2), complex(b+1, 0.01)} {
			re := tanhSinhMoments(func(x float64) float64 { return mp.Prob(x) * real(1/(complex(x, 0)-z)) }, a, b, 0, 1e-13)[0]
			im := tanhSinhMoments(func(x float64) float64 { return mp.Prob(x) * imag(1/(complex(x, 0)-z)) }, a, b, 0, 1e-13)[0]
			want := complex(re, im) - complex(mp.Atom(), 0)/z
			if got := mp.Stieltjes(z); cmplx.Abs(got-want) > 1e-9 {
				t.Errorf("γ=%v z=%v: Stieltjes %v, quadrature %v", gamma, z, got, want)
			}
		}
	}
}

func TestMPQuantile(t *testing.T) {
	for _, gamma := range testRatios {
		mp := MarchenkoPastur{Gamma: gamma, Scale: 2}
		for i := 0; i <= 200; i++ {
			p := float64(i) / 200
			x := mp.Quantile(p)
			if p <= mp.Atom() {
				if x != 0 {
					t.Errorf("γ=%v: Quantile(%v) = %v inside the atom, want 0", gamma, p, x)
				}
				continue
			}
			if e := math.Abs(mp.CDF(x) - p); e > 1e-10 {
				t.Errorf("γ=%v: CDF(Quantile(%v)) − p = %.2g", gamma, p, e)
			}
		}
		if !math.IsNaN(mp.Quantile(-0.1)) || !math.IsNaN(mp.Quantile(1.1)) || !math.IsNaN(mp.Quantile(math.NaN())) {
			t.Errorf("Quantile outside [0,1] should be NaN")
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		mp := MarchenkoPastur{
			Gamma: rapid.Float64Range(0.01, 20).Draw(t, "gamma"),
			Scale: rapid.Float64Range(0.01, 100).Draw(t, "scale"),
		}
		p := rapid.Float64Range(0, 1).Draw(t, "p")
		x := mp.Quantile(p)
		if p > mp.Atom() && math.Abs(mp.CDF(x)-p) > 1e-10 {
			t.Fatalf("CDF(Quantile(%v)) = %v", p, mp.CDF(x))
		}
		eta := math.Pow(10, rapid.Float64Range(-6, 3).Draw(t, "logeta"))
		z := complex(rapid.Float64Range(-5, 5).Draw(t, "x")*mp.Scale, eta)
		if r := mpStieltjesResidual(mp, z, mp.Stieltjes(z)); r > 1e-12 {
			t.Fatalf("Stieltjes residual %.2g at %v", r, z)
		}
	})
}

// ksDistance returns sup |F_n − F| for the sorted sample xs. Ties (the atom
// at 0) are compared once, on both sides of the jump: F_n(x−) against F(x−),
// with F(x−) = F(x) − atom at x = 0 and F(x−) = F(x) elsewhere.
func ksDistance(xs []float64, cdf func(float64) float64, atom float64) float64 {
	n := float64(len(xs))
	d := 0.0
	for i := 0; i < len(xs); {
		j := i
		for j+1 < len(xs) && xs[j+1] == xs[i] {
			j++
		}
		f := cdf(xs[i])
		fLeft := f
		if xs[i] == 0 {
			fLeft -= atom
		}
		d = math.Max(d, math.Max(math.Abs(float64(j+1)/n-f), math.Abs(fLeft-float64(i)/n)))
		i = j + 1
	}
	return d
}

// Rand against the CDF by a one-sample Kolmogorov–Smirnov test. Critical value
// from the asymptotic Kolmogorov law, P(√n D > λ) ≤ 2e^{−2λ²}: for a
// false-failure rate α = 1e−6, D_crit = √(−ln(α/2)/(2n)) (0.0601 for n = 2000).
// With atoms the sample has ties; the test is then conservative. As a check of
// power, the sample must be rejected against a law with a 50% larger ratio.
func TestMPRandKS(t *testing.T) {
	const n, alpha = 2000, 1e-6
	crit := math.Sqrt(-math.Log(alpha/2) / (2 * n))
	for i, gamma := range []float64{0.3, 1, 3} {
		mp := MarchenkoPastur{Gamma: gamma, Scale: 1, Src: rand.NewPCG(uint64(i+1), 99)}
		xs := make([]float64, n)
		for j := range xs {
			xs[j] = mp.Rand()
		}
		slices.Sort(xs)
		if d := ksDistance(xs, mp.CDF, mp.Atom()); d > crit {
			t.Errorf("γ=%v: KS distance %.4f > %.4f", gamma, d, crit)
		}
		wrong := MarchenkoPastur{Gamma: 1.5 * gamma, Scale: 1}
		if d := ksDistance(xs, wrong.CDF, wrong.Atom()); d <= crit {
			t.Errorf("γ=%v: KS test has no power against γ·1.5 (D = %.4f)", gamma, d)
		}
	}
}

func TestMPValidate(t *testing.T) {
	bad := []MarchenkoPastur{{Gamma: 0, Scale: 1}, {Gamma: -1, Scale: 1}, {Gamma: math.NaN(), Scale: 1},
		{Gamma: math.Inf(1), Scale: 1}, {Gamma: 1, Scale: -1}, {Gamma: 1, Scale: 0}}
	for _, mp := range bad {
		if err := mp.Validate(); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("%+v: Validate = %v", mp, err)
		}
		if !math.IsNaN(mp.Prob(1)) || !math.IsNaN(mp.CDF(1)) || !math.IsNaN(mp.Mean()) || mp.Support() != nil {
			t.Errorf("%+v: invalid law should give NaN", mp)
		}
	}
	if err := (MarchenkoPastur{Gamma: 1, Scale: 1}).Validate(); err != nil {
		t.Error(err)
	}
	hard := MarchenkoPastur{Gamma: 1, Scale: 1}
	if !math.IsInf(hard.Prob(0), 1) || hard.Atom() != 0 {
		t.Errorf("γ = 1: Prob(0) = %v, Atom = %v", hard.Prob(0), hard.Atom())
	}
	if lp := hard.LogProb(0.5); math.Abs(lp-math.Log(hard.Prob(0.5))) > 1e-14 {
		t.Errorf("LogProb inconsistent")
	}
}
