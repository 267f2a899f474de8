package precond

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

// TestPropExactStructureConditionOne: when H is exactly block-diagonal
// (PSD blocks, some rank-deficient) over the ranges B uses, or exactly
// Kronecker-factored per layer for KFAC, M = I: condition 1 at every
// damping. The bound is round-off: the eigendecompositions of B are
// backward stable to about n·ε·‖H‖₂, and S amplifies that by 1/λ, so M − I
// is of order n·ε·‖H‖₂/λ (n ≤ 20 here). The test allows
// 128·ε·(1 + ‖H‖₂/λ); the worst of 20 000 draws (-rapid.checks=20000) was
// 15·ε·(1 + ‖H‖₂/λ), so any draw must pass.
func TestPropExactStructureConditionOne(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		damping := math.Pow(10, rapid.Float64Range(-6, 1).Draw(rt, "log10 damping"))
		r := newRand(seed)

		sizes := rapid.SliceOfN(rapid.IntRange(1, 8), 1, 6).Draw(rt, "block sizes")
		var ranges []Range
		p := 0
		for _, s := range sizes {
			ranges = append(ranges, Range{Start: p, Size: s})
			p += s
		}
		h := mat.NewSymDense(p, nil)
		for _, rg := range ranges {
			blk := randPSD(r, rg.Size, rapid.IntRange(1, 2*rg.Size).Draw(rt, "rank"))
			blk.ScaleSym(math.Pow(10, rapid.Float64Range(-2, 1).Draw(rt, "log10 scale")), blk)
			for a := 0; a < rg.Size; a++ {
				for b := a; b < rg.Size; b++ {
					h.SetSym(rg.Start+a, rg.Start+b, blk.At(a, b))
				}
			}
		}
		bd, err := NewBlockDiagonal(h, ranges)
		if err != nil {
			rt.Fatal(err)
		}
		assertConditionOne(rt, "block-diagonal", h, bd, damping)

		var factors []Factor
		start := 0
		for l := rapid.IntRange(1, 3).Draw(rt, "layers"); l > 0; l-- {
			out, in := rapid.IntRange(1, 4).Draw(rt, "out"), rapid.IntRange(1, 5).Draw(rt, "in")
			factors = append(factors, Factor{Start: start, Output: randPSD(r, out, rapid.IntRange(1, 5).Draw(rt, "output rank")), Input: randPSD(r, in, rapid.IntRange(1, 6).Draw(rt, "input rank"))})
			start += out * in
		}
		hk := kronDense(start, factors)
		k, err := NewKFAC(start, factors)
		if err != nil {
			rt.Fatal(err)
		}
		assertConditionOne(rt, "KFAC", hk, k, damping)
	})
}

const eps = 0x1p-52

func assertConditionOne(rt *rapid.T, what string, h *mat.SymDense, b Approximation, damping float64) {
	res, err := Quality(denseOp(h), b, damping, Options{Seed: 1})
	if err != nil {
		rt.Fatalf("%s: %v", what, err)
	}
	var es mat.EigenSym
	if !es.Factorize(h, false) {
		rt.Fatal("EigenSym failed")
	}
	vals := es.Values(nil)
	tol := 128 * eps * (1 + vals[len(vals)-1]/damping)
	if math.Abs(res.LambdaMin-1) > tol || math.Abs(res.LambdaMax-1) > tol || math.Abs(res.Condition-1) > 2*tol {
		rt.Fatalf("%s λ=%g: M spectrum [%v, %v], condition %v (%s); want 1", what, damping, res.LambdaMin, res.LambdaMax, res.Condition, res.ConditionUndefined)
	}
}
