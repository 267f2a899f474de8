package theory

import (
	"errors"
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
)

// For the identity network with m ≪ d the features h = Wx are nearly
// N(0, σ_w²I_m), so the output law must reduce to linear CE with logit
// scale σ² = σ_v²σ_w² and γ = m/N, up to its finite-m corrections
// (≈ 3σ⁴/m at σ = 1, SCIENCE.md finding B): ≈ 0.6% at m = 512.
func TestMLPCEOutputIdentityIsLinearCE(t *testing.T) {
	o := MLPCEOutput{Activation: kind.Identity, Classes: 100, Inputs: 1 << 20, Samples: 2048, Width: 512, SigmaW: 1, SigmaV: 1}
	k, err := o.ScaledRatioLimit()
	if err != nil {
		t.Fatal(err)
	}
	want := linearCEScaledRatioLimit(512.0/2048, 1)
	t.Logf("identity C·R = %.5f, linear CE limit %.5f", k, want)
	if relErr(k, want) > 0.015 {
		t.Errorf("identity C·R = %v, linear CE limit %v", k, want)
	}
	if r, _ := o.Ratio(); relErr(r, k/100) > 1e-15 {
		t.Errorf("Ratio %v, Constant/C %v", r, k/100)
	}
	// Without logit scale the weights are all 1: C·R = 1.
	o.SigmaV = 1e-6
	if k, _ := o.ScaledRatioLimit(); math.Abs(k-1) > 1e-5 {
		t.Errorf("σ_v → 0: C·R = %v", k)
	}
}

// For wide ReLU layers the class offsets V_k·E h dominate: C·R² →
// e^{σ_v²(Eφ)²} (1 + corrections in 1/m, 1/d, 1/N).
func TestMLPCEOutputReLUWide(t *testing.T) {
	o := MLPCEOutput{Activation: kind.ReLU, Classes: 100, Inputs: 1 << 16, Samples: 1 << 22, Width: 1 << 14, SigmaW: 1, SigmaV: 1}
	k, err := o.ScaledRatioLimit()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wide ReLU C·R = %.5f", k)
	if want := math.Exp(1 / (4 * math.Pi)); relErr(k, want) > 2e-3 {
		t.Errorf("wide ReLU C·R = %v, want e^{σ_b²/2} = %v", k, want)
	}
}

// Too large a logit scale for the width makes the C → ∞ moments diverge:
// an error, not a number.
func TestMLPCEOutputSaturates(t *testing.T) {
	o := MLPCEOutput{Activation: kind.ReLU, Classes: 100, Inputs: 64, Samples: 256, Width: 4, SigmaW: 1, SigmaV: 3}
	if k, err := o.ScaledRatioLimit(); !errors.Is(err, ErrInvalidParameter) || !math.IsNaN(k) {
		t.Errorf("saturated law returned %v, %v", k, err)
	}
	bad := []MLPCEOutput{{}, {Activation: "gelu", Classes: 4, Inputs: 4, Samples: 4, Width: 4, SigmaW: 1, SigmaV: 1}}
	for _, b := range bad {
		if _, err := b.ScaledRatioLimit(); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("%+v accepted: %v", b, err)
		}
		if _, err := MLPMSECross(b).Ratio(); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("MSE cross %+v accepted: %v", b, err)
		}
	}
}

// As m, d → ∞ the finite-m moments of MLPCEHidden go to their first-order
// values, so ratioSq → firstOrderRatioSq (ReLU: ψ = φ'², the two forms
// differ only through S and X).
func TestMLPCEHiddenWideLimit(t *testing.T) {
	h := MLPCEHidden{Activation: kind.ReLU, Classes: 256, Inputs: 1 << 14, Samples: 1 << 16, Width: 1 << 14, SigmaW: 1, SigmaV: 1}
	got, err := h.ratioSq()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := h.FirstOrderRatioSq()
	if relErr(got, want) > 2e-3 {
		t.Errorf("wide: RatioSq %v, first order %v", got, want)
	}
	// At m = 32 the finite-m moments raise R (SCIENCE.md finding C).
	h.Inputs, h.Samples, h.Width = 128, 512, 32
	got, _ = h.ratioSq()
	want, _ = h.FirstOrderRatioSq()
	if !(got > 1.05*want) {
		t.Errorf("m = 32: RatioSq %v not above first order %v", got, want)
	}
}

// MSE cross law: √C·R tends to Constant, and for identity φ the
// Gauss–Newton and residual parts agree up to the label and cross terms.
func TestMLPMSECross(t *testing.T) {
	x := MLPMSECross{Activation: kind.Identity, Classes: 1 << 20, Inputs: 128, Samples: 512, Width: 32, SigmaW: 1, SigmaV: 1}
	tm, err := x.Terms()
	if err != nil {
		t.Fatal(err)
	}
	// Identity: K = γ'[(m−1) + 1]q² + q²[(m−1) + 1] = m(γ' + 1), cross term
	// 2v(γ' + 1), labels γ/C.
	g2 := 130.0 / 512
	if want := 1.0 / 32 * 32 * (g2 + 1); relErr(tm.GaussNewton, want) > 1e-12 {
		t.Errorf("GN %v, want %v", tm.GaussNewton, want)
	}
	if want := tm.GaussNewton + 2.0/32*(g2+1) + 0.25/float64(x.Classes); relErr(tm.Residual, want) > 1e-12 {
		t.Errorf("residual %v, want %v", tm.Residual, want)
	}
	k, err := x.ScaledRatioLimit()
	if err != nil {
		t.Fatal(err)
	}
	r, _ := x.Ratio()
	if relErr(r*math.Sqrt(float64(x.Classes)), k) > 1e-5 {
		t.Errorf("√C·R = %v at C = 2^20, constant %v", r*math.Sqrt(float64(x.Classes)), k)
	}
}
