package theory

import (
	"errors"
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
)

// At σ = 0 every weight is constant and the finite-size law is exact.
func TestLinearCEFiniteSizeSigmaZero(t *testing.T) {
	for _, c := range []int{2, 7, 50} {
		r, err := LinearCEFiniteSize{Classes: c, Inputs: 10, Samples: 40, Sigma: 0, Draws: 10, Seed: 1}.Ratio()
		if err != nil || relErr(r, 1/float64(c-1)) > 1e-12 {
			t.Errorf("C = %d: R = %v, %v; want 1/(C−1)", c, r, err)
		}
	}
}

// As d grows at fixed C the dependence of the weights on x fades and the
// finite-size law approaches LinearCEFiniteC (whose weights are
// independent of x); at d = 32 it is several per cent above it.
func TestLinearCEFiniteSizeLargeD(t *testing.T) {
	const c, sigma = 50, 1.0
	big := LinearCEFiniteSize{Classes: c, Inputs: 2000, Samples: 20000, Sigma: sigma, Draws: 3000, Seed: 3}
	b, err := big.BlockNorms()
	if err != nil {
		t.Fatal(err)
	}
	got := math.Sqrt(b.Off/b.Diag) / c
	want, _ := LinearCEFiniteC{Classes: c, Sigma: sigma, Gamma: 0.1, Draws: 20000, Seed: 3}.RatioFinite(2000, 20000)
	// The remaining bias is ≈ 2/d = 0.1%; RatioErr is the Monte Carlo
	// standard error (≈ 0.2%), and LinearCEFiniteC's own error is ≈ 0.1%.
	if math.Abs(got/want-1) > 4*b.RatioErr*c/want+0.003 {
		t.Errorf("d = 2000: R = %v (±%v), LinearCEFiniteC %v", got, b.RatioErr, want)
	}
	small, _ := LinearCEFiniteSize{Classes: c, Inputs: 32, Samples: 320, Sigma: sigma, Draws: 3000, Seed: 3}.Ratio()
	ind, _ := LinearCEFiniteC{Classes: c, Sigma: sigma, Gamma: 0.1, Draws: 20000, Seed: 3}.RatioFinite(32, 320)
	if small/ind < 1.02 {
		t.Errorf("d = 32: finite-size R %v not above the independent-weights %v", small, ind)
	}
}

func TestFiniteSizeAndCrossValidate(t *testing.T) {
	bad := []LinearCEFiniteSize{
		{Classes: 1, Inputs: 1, Samples: 1, Draws: 2},
		{Classes: 2, Inputs: 0, Samples: 1, Draws: 2},
		{Classes: 2, Inputs: 1, Samples: 1, Sigma: math.NaN(), Draws: 2},
		{Classes: 2, Inputs: 1, Samples: 1, Draws: 1},
	}
	for _, f := range bad {
		if _, err := f.Ratio(); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("%+v accepted: %v", f, err)
		}
	}
	badX := []MLPCECross{
		{Activation: kind.ReLU, Classes: 1, Inputs: 1, Samples: 1, Width: 1, SigmaW: 1, SigmaV: 1},
		{Activation: "swish", Classes: 2, Inputs: 1, Samples: 1, Width: 1, SigmaW: 1, SigmaV: 1},
		{Activation: kind.ReLU, Classes: 2, Inputs: 1, Samples: 1, Width: 1, SigmaW: 0, SigmaV: 1},
	}
	for _, x := range badX {
		if r, err := x.Ratio(); !errors.Is(err, ErrInvalidParameter) || !math.IsNaN(r) {
			t.Errorf("%+v accepted: %v, %v", x, r, err)
		}
		if _, err := MLPCEHidden(x).Ratio(); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("hidden %+v accepted: %v", x, err)
		}
	}
}

// The cross law: its residual term is γEφ'²(1 − 2/C + e^{s²}/C)/C, R tends
// to a positive plateau, and the Gauss–Newton share falls like 1/C.
func TestMLPCECross(t *testing.T) {
	x := MLPCECross{Activation: kind.ReLU, Inputs: 32, Samples: 128, Width: 16, SigmaW: 1, SigmaV: 1}
	lim, err := x.ScaledRatioLimit()
	if err != nil || !(lim > 0.2 && lim < 1) {
		t.Fatalf("plateau %v, %v", lim, err)
	}
	prev := math.Inf(1)
	for _, c := range []int{8, 32, 128, 512, 4096} {
		x.Classes = c
		tm, err := x.Terms()
		if err != nil {
			t.Fatal(err)
		}
		C := float64(c)
		if want := 0.25 * 0.5 * (1 - 2/C + math.Exp(0.5)/C) / C; relErr(tm.Residual, want) > 1e-12 {
			t.Errorf("C = %d: residual %v, want %v", c, tm.Residual, want)
		}
		r := math.Sqrt(tm.ratioSq())
		if !(r < prev && r > lim) {
			t.Errorf("C = %d: R = %v not between plateau %v and previous %v", c, r, lim, prev)
		}
		prev = r
	}
	if relErr(prev, lim) > 0.01 {
		t.Errorf("R at C = 4096 is %v, plateau %v", prev, lim)
	}
	for _, act := range []kind.Activation{kind.Identity, kind.Tanh} {
		x.Activation = act
		if r, err := x.Ratio(); err != nil || !(r > 0 && r < 1) {
			t.Errorf("%s: R = %v, %v", act, r, err)
		}
	}
}

// Without φ” and class offsets (identity) MLPCEHidden's first-order form
// is mlpCEHiddenRatioSq with γ = (d+2)/N.
func TestMLPCEHiddenReducesToOldForm(t *testing.T) {
	h := MLPCEHidden{Activation: kind.Identity, Classes: 20, Inputs: 30, Samples: 100, Width: 8, SigmaW: 1, SigmaV: 0.7}
	got, err := h.FirstOrderRatioSq()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := activationMoments(kind.Identity, 1, 0)
	want := mlpCEHiddenRatioSq(20, 32.0/100, logitVariance(kind.Identity, 1, 0.7), a)
	if relErr(got, want) > 1e-12 {
		t.Errorf("identity: %v, mlpCEHiddenRatioSq %v", got, want)
	}
}
