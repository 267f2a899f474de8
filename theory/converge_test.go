package theory

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/internal/testguard"
)

// Every iterative solver has a bounded amount of work: fed an equation it
// cannot solve, it returns an error wrapping ErrNotConverged (naming what
// did not converge) instead of running on. Each call runs under
// testguard.Within, which fails a solver that loops instead of hanging.
func within(t *testing.T, what string, f func()) { t.Helper(); testguard.Within(t, what, f) }

func wantNotConverged(t *testing.T, what string, err error, mention string) {
	t.Helper()
	if !errors.Is(err, ErrNotConverged) || !strings.Contains(err.Error(), mention) {
		t.Errorf("%s: err = %v; want ErrNotConverged mentioning %q", what, err, mention)
	}
}

// The support search's bisection on a bracket with infinite ends used to
// loop for ever: the midpoint of (−∞, ∞) is NaN, which never stops moving.
func TestBisectBounded(t *testing.T) {
	f := func(x float64) float64 { return -x }
	for _, br := range [][2]float64{{math.Inf(-1), math.Inf(1)}, {math.NaN(), 1}, {0, math.Inf(1)}} {
		within(t, "bisect", func() {
			x, err := bisect(f, br[0], br[1], true)
			if !math.IsNaN(x) {
				t.Errorf("bisect on %v: %v, want NaN", br, x)
			}
			wantNotConverged(t, "bisect", err, "bracket is not finite")
		})
	}
	// A finite bracket converges to the sign change, or to an end when f
	// has none (the caller's bracket is wrong, not the iteration).
	for _, tc := range []struct{ lo, hi, want float64 }{{-1, 3, 0}, {-1e300, 1e300, 0}, {1, 2, 1}} {
		x, err := bisect(f, tc.lo, tc.hi, true)
		if err != nil || math.Abs(x-tc.want) > 1e-300 {
			t.Errorf("bisect on (%v, %v): %v, %v; want %v", tc.lo, tc.hi, x, err, tc.want)
		}
	}
}

func TestExpandBracketBounded(t *testing.T) {
	within(t, "expandBracket", func() {
		_, err := expandBracket(1, func(float64) bool { return true }, "a bracket that never closes")
		wantNotConverged(t, "expandBracket", err, "a bracket that never closes")
	})
	if x, err := expandBracket(1, func(x float64) bool { return x < 100 }, "x"); x != 128 || err != nil {
		t.Errorf("expandBracket to 100: %v, %v; want 128", x, err)
	}
}

// nanGMP is a law whose equation has no solution: a weight atom corrupted
// to NaN after validation (Validate refuses NaN, so only a bug could do
// this, which is what the bound is for).
func nanGMP(t *testing.T) GeneralizedMP {
	g, err := NewGeneralizedMP(0.5, DiscreteWeights{Values: []float64{1, 2}, Probs: []float64{0.5, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	g.cache.tau[0] = math.NaN()
	return g
}

func TestGMPSupportSearchNotConverged(t *testing.T) {
	g := nanGMP(t)
	within(t, "GMP support search", func() {
		_, err := g.SupportErr()
		wantNotConverged(t, "SupportErr", err, "GMP")
		if iv := g.Support(); len(iv) != 1 || !math.IsNaN(iv[0].Min) {
			t.Errorf("Support after a failed search: %v, want one NaN interval", iv)
		}
		_, err = g.QuantileErr(0.5)
		wantNotConverged(t, "QuantileErr", err, "GMP")
		if q := g.Quantile(0.5); !math.IsNaN(q) {
			t.Errorf("Quantile after a failed search: %v, want NaN", q)
		}
		if c := g.CDF(1); !math.IsNaN(c) {
			t.Errorf("CDF after a failed search: %v, want NaN", c)
		}
	})
}

func TestGMPNewtonContinuationNotConverged(t *testing.T) {
	g := nanGMP(t)
	within(t, "GMP Newton continuation", func() {
		for _, z := range []complex128{complex(1, 1), complex(1, 0), complex(1e-3, 1e-12)} {
			_, err := g.StieltjesErr(z)
			wantNotConverged(t, "StieltjesErr", err, "Newton continuation")
		}
	})
	// A valid law solves, as Stieltjes does.
	ok, _ := NewGeneralizedMP(0.5, DiscreteWeights{Values: []float64{1, 2}, Probs: []float64{0.5, 0.5}})
	m, err := ok.StieltjesErr(complex(1, 0.5))
	if err != nil || m != ok.Stieltjes(complex(1, 0.5)) {
		t.Errorf("StieltjesErr of a valid law: %v, %v; want %v", m, err, ok.Stieltjes(complex(1, 0.5)))
	}
}

// The quantile inversion fed a CDF it cannot invert: NaN, one that does
// not reach p on the interval, one with a jump over p.
func TestInvertOnIntervalNotConverged(t *testing.T) {
	iv := Interval{0, 1}
	one := func(float64) float64 { return 1 }
	for _, tc := range []struct {
		name    string
		cdf     func(float64) float64
		mention string
	}{
		{"NaN", func(float64) float64 { return math.NaN() }, "NaN"},
		{"short of p", func(x float64) float64 { return 0.5 * x }, "residual"},
		{"jump over p", func(x float64) float64 {
			if x < 0.3 {
				return 0
			}
			return 1
		}, "residual"},
	} {
		within(t, "invertOnInterval "+tc.name, func() {
			x, err := invertOnInterval(iv, 0.7, tc.cdf, one)
			if !math.IsNaN(x) {
				t.Errorf("%s: %v, want NaN", tc.name, x)
			}
			wantNotConverged(t, tc.name, err, tc.mention)
		})
	}
	x, err := invertOnInterval(iv, 0.7, func(x float64) float64 { return x * x }, func(x float64) float64 { return 2 * x })
	if err != nil || math.Abs(x-math.Sqrt(0.7)) > 1e-14 {
		t.Errorf("x² = 0.7: %v, %v", x, err)
	}
	// Through the public method: MP's inversion of a valid law converges.
	if q, err := (MarchenkoPastur{Gamma: 0.5, Scale: 1}).QuantileErr(0.5); err != nil || math.IsNaN(q) {
		t.Errorf("MP QuantileErr(0.5): %v, %v", q, err)
	}
	if _, err := (MarchenkoPastur{Gamma: 0.5, Scale: 1}).QuantileErr(2); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("MP QuantileErr(2): %v, want ErrInvalidParameter", err)
	}
}

// Quadrature refinement stops at its depth; a NaN integrand is not refined
// at all (it would otherwise spend the whole 2^(depth+1)-panel budget).
func TestAdaptiveGKBounded(t *testing.T) {
	calls := 0
	within(t, "adaptiveGK", func() {
		v := adaptiveGK(func(float64) float64 { calls++; return math.NaN() }, 0, 1, 1e-16, 40)
		if !math.IsNaN(v) || calls != 15 {
			t.Errorf("NaN integrand: %v after %d evaluations, want NaN after 15", v, calls)
		}
		calls = 0
		// 1/√x at 0 never meets 1e−300: the depth bounds the panels.
		adaptiveGK(func(x float64) float64 { calls++; return 1 / math.Sqrt(x) }, 0, 1, 1e-300, 8)
		if calls > 15*(1<<9-1) {
			t.Errorf("depth 8: %d evaluations, want ≤ %d", calls, 15*(1<<9-1))
		}
	})
}

// The Monte Carlo's work is bounded at Validate time: a huge Draws is an
// error at once, not hours of sampling.
func TestFiniteSizeDrawsBounded(t *testing.T) {
	for _, f := range []LinearCEFiniteSize{
		{Classes: 10, Inputs: 10, Samples: 10, Sigma: 1, Draws: 1 << 40},
		{Classes: 1 << 20, Inputs: 1 << 20, Samples: 10, Sigma: 1, Draws: 1 << 20},
	} {
		within(t, "LinearCEFiniteSize.BlockNorms", func() {
			if _, err := f.BlockNorms(); !errors.Is(err, ErrInvalidParameter) || !strings.Contains(err.Error(), "Draws") {
				t.Errorf("%+v: %v, want an ErrInvalidParameter naming Draws", f, err)
			}
		})
	}
}
