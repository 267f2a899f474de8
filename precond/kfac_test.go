package precond

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// secondMoment is (1/N) Σ_n ā_n ā_nᵀ for N Gaussian inputs a_n ∈ R^in,
// ā_n = [a_n; 1] when bias is set: a KFAC Input factor.
func secondMoment(r *rand.Rand, in, n int, bias bool) *mat.SymDense {
	k := in
	if bias {
		k++
	}
	a := mat.NewDense(n, k, nil)
	for s := 0; s < n; s++ {
		for j := 0; j < in; j++ {
			a.Set(s, j, r.NormFloat64())
		}
		if bias {
			a.Set(s, in, 1)
		}
	}
	out := mat.NewSymDense(k, nil)
	out.SymOuterK(1/float64(n), a.T())
	return out
}

// TestKFACBruteForce: for random factors of two layers, with and without a
// bias column in Input, and with an indefinite Output, KFAC's B and
// (|B| + λI)^{−1/2} equal the dense Output ⊗ Input in θ order and its dense
// matrix function, column by column.
func TestKFACBruteForce(t *testing.T) {
	for _, tc := range []struct {
		name       string
		bias       bool
		indefinite bool
	}{{"no-bias", false, false}, {"bias", true, false}, {"bias-indefinite-output", true, true}} {
		r := newRand(11)
		in1 := 5
		if tc.bias {
			in1++
		}
		out1 := randPSD(r, 3, 6)
		if tc.indefinite {
			out1 = randSym(r, 3)
		}
		factors := []Factor{
			{Start: 0, Output: out1, Input: secondMoment(r, 5, 12, tc.bias)},
			{Start: 3 * in1, Output: randPSD(r, 2, 4), Input: secondMoment(r, 3, 7, tc.bias)},
		}
		p := factors[1].Start + 2*factors[1].Input.SymmetricDim()
		k, err := NewKFAC(p, factors)
		if err != nil {
			t.Fatal(err)
		}
		want := kronDense(p, factors)
		if d := maxAbsDiff(applyAll(t, k.Operator(), p), want); d > 1e-13 {
			t.Errorf("%s: B differs from the dense Kronecker product by %g", tc.name, d)
		}
		for _, damping := range []float64{1e-4, 0.3} {
			s, err := k.InvSqrt(damping)
			if err != nil {
				t.Fatal(err)
			}
			ref := denseInvSqrt(t, want, damping)
			scale := 1 / math.Sqrt(damping)
			if d := maxAbsDiff(applyAll(t, s, p), ref); d > 1e-11*scale {
				t.Errorf("%s λ=%g: (|B|+λI)^{-1/2} differs from the dense matrix function by %g", tc.name, damping, d)
			}
		}
	}
}

// TestKFACExactBlock: when a layer block of H is exactly Output ⊗ Input
// (PSD), KFAC's InvSqrt is that block's exact (H + λI)^{−1/2} and M = I.
func TestKFACExactBlock(t *testing.T) {
	r := newRand(12)
	factors := []Factor{
		{Start: 0, Output: randPSD(r, 4, 4), Input: secondMoment(r, 4, 20, true)},
		{Start: 20, Output: randPSD(r, 3, 2), Input: randPSD(r, 4, 6)}, // rank-2 Output: a null space
	}
	const p = 32
	h := kronDense(p, factors)
	k, err := NewKFAC(p, factors)
	if err != nil {
		t.Fatal(err)
	}
	const damping = 1e-2
	s, err := k.InvSqrt(damping)
	if err != nil {
		t.Fatal(err)
	}
	ref := denseFunc(t, h, func(mu float64) float64 { return 1 / math.Sqrt(mu+damping) })
	if d := maxAbsDiff(applyAll(t, s, p), ref); d > 1e-11 {
		t.Errorf("InvSqrt differs from (H+λI)^{-1/2} by %g", d)
	}
	res, err := Quality(denseOp(h), k, damping, Options{Seed: 1, Dense: h})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.LambdaMin-1) > 1e-10 || math.Abs(res.LambdaMax-1) > 1e-10 || math.Abs(res.Condition-1) > 1e-10 || res.RelError > 1e-14 {
		t.Errorf("exact KFAC H: M spectrum [%v, %v], condition %v, rel error %v; want 1, 1, 1, 0", res.LambdaMin, res.LambdaMax, res.Condition, res.RelError)
	}
}
