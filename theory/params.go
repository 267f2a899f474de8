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

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func clamp(x, lo, hi float64) float64 { return math.Min(hi, math.Max(lo, x)) }
