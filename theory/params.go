package theory

import (
	"errors"
	"fmt"
	"math"
)

// Parameter checks shared by every Validate.

// ErrInvalidParameter is wrapped by every error returned from a Validate method.
var ErrInvalidParameter = errors.New("theory: invalid parameter")

func paramError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidParameter}, args...)...)
}

// ErrNotConverged is wrapped by the error of every iterative solver that
// stopped at its step cap, or met a NaN, before it converged: the GMP
// support search (bisection and bracket expansion) and Newton continuation,
// the MP/GMP quantile inversion. Each error names the solver and its input.
// The float64-only methods in the style of gonum's distuv (Quantile,
// Stieltjes, …) return NaN, or their documented best estimate, instead; their
// Err variants (QuantileErr, StieltjesErr, SupportErr) return the error.
var ErrNotConverged = errors.New("theory: did not converge")

func notConverged(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNotConverged}, args...)...)
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func clamp(x, lo, hi float64) float64 { return math.Min(hi, math.Max(lo, x)) }

// orNaN drops the error of a distuv-style method's Err variant: those
// methods report failure as NaN.
func orNaN(x float64, err error) float64 {
	if err != nil {
		return math.NaN()
	}
	return x
}
