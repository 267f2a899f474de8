package theory

import (
	"errors"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

var testRatios = []float64{0.1, 0.5, 1, 2, 4}

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

// The quantile round trip at random parameters (the conformance harness
// checks it on a grid of p at fixed laws).
func TestMPQuantile(t *testing.T) {
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
