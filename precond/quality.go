package precond

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/krylov"
)

// Options controls Quality. The zero value computes the extreme eigenvalues
// only.
type Options struct {
	// Tol is Lanczos' relative residual: each reported extreme eigenvalue
	// of M lies within Tol·max(|λmin|, |λmax|) of a true eigenvalue (the
	// Result's residuals bound it). 0 means 1e−10.
	Tol float64
	// MaxIter bounds the Lanczos steps; 0 means min(P, 300).
	MaxIter int
	// Seed draws the Lanczos start vector (and, unless Density sets its
	// own, nothing else).
	Seed   uint64
	Reorth krylov.Reorth

	// Dense, when set, is H itself (the matrix the operator applies), and
	// RelError is the exact RelativeError(Dense, B).
	Dense *mat.SymDense
	// RelErrorProbes > 0 (and no Dense) estimates RelError matrix-free
	// with that many probes (EstimateRelativeError, seeded by Seed).
	RelErrorProbes int

	// Density, when set, adds the SLQ spectral density of M.
	Density *krylov.SLQOptions
}

// Result is how well one approximation B preconditions H at damping λ:
// the spectrum of M = S·(H + λI)·S with S = (|B| + λI)^{−1/2} (S = I for
// Identity). M is symmetric; its eigenvalues are those of the generalized
// problem (H + λI)x = μ(|B| + λI)x.
type Result struct {
	Name    string
	Damping float64
	// LambdaMin and LambdaMax are the extreme eigenvalues of M; LambdaMin
	// is negative when H + λI is indefinite. The residuals bound their
	// errors; Iterations counts the Lanczos steps (products with M).
	LambdaMin, LambdaMax     float64
	MinResidual, MaxResidual float64
	Iterations               int
	// Condition is λmax(M)/λmin(M) when λmin(M) > 0 beyond its residual;
	// otherwise it is NaN and ConditionUndefined says why.
	Condition          float64
	ConditionUndefined string
	// RelError is ‖H − B‖_F/‖H‖_F: exact when Options.Dense was given,
	// estimated when Options.RelErrorProbes was; otherwise NaN and
	// RelErrorUndefined says why. RelErrorEstimated tells the two apart.
	RelError          float64
	RelErrorUndefined string
	RelErrorEstimated bool
	// Density is the SLQ density of M's spectrum when Options.Density was
	// set.
	Density *krylov.SpectralDensity
}

// Reasons for an undefined Condition or RelError.
const (
	UndefinedNotPositive = "λmin(M) ≤ 0: H + λI is not positive definite"
	UndefinedNotAsked    = "not computed: set Options.Dense or Options.RelErrorProbes"
	UndefinedZeroH       = "H = 0"
)

// MarshalJSON writes an undefined Condition or RelError as null beside its
// reason (JSON has no NaN).
func (r Result) MarshalJSON() ([]byte, error) {
	num := func(x float64) *float64 {
		if math.IsNaN(x) {
			return nil
		}
		return &x
	}
	return json.Marshal(struct {
		Name               string                  `json:"name"`
		Damping            float64                 `json:"damping"`
		LambdaMin          float64                 `json:"lambda_min"`
		LambdaMax          float64                 `json:"lambda_max"`
		MinRes             float64                 `json:"lambda_min_residual"`
		MaxRes             float64                 `json:"lambda_max_residual"`
		Iterations         int                     `json:"iterations"`
		Condition          *float64                `json:"condition"`
		ConditionUndefined string                  `json:"condition_undefined,omitempty"`
		RelError           *float64                `json:"rel_error"`
		RelErrorUndefined  string                  `json:"rel_error_undefined,omitempty"`
		RelErrorEstimated  bool                    `json:"rel_error_estimated,omitempty"`
		Density            *krylov.SpectralDensity `json:"density,omitempty"`
	}{
		Name: r.Name, Damping: r.Damping, LambdaMin: r.LambdaMin, LambdaMax: r.LambdaMax,
		MinRes: r.MinResidual, MaxRes: r.MaxResidual, Iterations: r.Iterations,
		Condition: num(r.Condition), ConditionUndefined: r.ConditionUndefined,
		RelError: num(r.RelError), RelErrorUndefined: r.RelErrorUndefined, RelErrorEstimated: r.RelErrorEstimated,
		Density: r.Density,
	})
}

// Preconditioned returns the operator v ↦ S·(H + λI)·S·v of M, with
// S = b.InvSqrt(damping): two applications of S and one of H per product,
// no inverse formed. h must be b.Dim()×b.Dim().
func Preconditioned(h krylov.Operator, b Approximation, damping float64) (krylov.Operator, error) {
	if h == nil || b == nil {
		return nil, errors.New("precond: Preconditioned needs an operator H and an approximation B")
	}
	s, err := b.InvSqrt(damping)
	if err != nil {
		return nil, err
	}
	p := b.Dim()
	x := make([]float64, p)
	var hx []float64
	return func(dst, vec []float64) ([]float64, error) {
		if len(vec) != p {
			return nil, fmt.Errorf("precond: M applied to a vector of length %d, want P = %d", len(vec), p)
		}
		if x, err = s(x, vec); err != nil {
			return nil, err
		}
		if hx, err = h(hx, x); err != nil {
			return nil, err
		}
		if len(hx) != p {
			return nil, fmt.Errorf("precond: H returned a vector of length %d for one of length P = %d (B has dimension %d)", len(hx), p, p)
		}
		for i := range hx {
			hx[i] += damping * x[i]
		}
		return s(dst, hx)
	}, nil
}

// Quality measures how well b preconditions the symmetric operator h (H,
// of dimension b.Dim()) at damping λ > 0: the extreme eigenvalues of M by
// Lanczos on Preconditioned(h, b, λ), the condition number when M is
// positive definite, and as Options asks the relative error and the SLQ
// density. A Lanczos run that stops at Options.MaxIter returns the Result
// with its estimates and an error wrapping krylov.ErrNotConverged.
func Quality(h krylov.Operator, b Approximation, damping float64, opts Options) (Result, error) {
	if h == nil || b == nil {
		return Result{}, errors.New("precond: Quality needs an operator H and an approximation B")
	}
	if err := checkDamping(damping); err != nil {
		return Result{}, err
	}
	p := b.Dim()
	if opts.Dense != nil && opts.Dense.SymmetricDim() != p {
		return Result{}, fmt.Errorf("precond: Options.Dense is %d×%d, want P×P with P = %d (the approximation's dimension)", opts.Dense.SymmetricDim(), opts.Dense.SymmetricDim(), p)
	}
	if opts.RelErrorProbes < 0 {
		return Result{}, fmt.Errorf("precond: Options.RelErrorProbes = %d, want ≥ 0", opts.RelErrorProbes)
	}
	// Work vectors and, at worst, a fully reorthogonalized basis for the
	// longer of the Lanczos run and an SLQ probe.
	steps := opts.MaxIter
	if steps == 0 {
		steps = 300
	}
	if opts.Density != nil {
		slq := opts.Density.Steps
		if slq <= 0 {
			slq = 80
		}
		steps = max(steps, slq)
	}
	steps = min(steps, p)
	if err := membudget.Check(fmt.Sprintf("the preconditioned Lanczos run (P = %d, %d steps)", p, steps), membudget.Floats(float64(p)*float64(steps+6)), membudget.Limit(), "lower Options.MaxIter"); err != nil {
		return Result{}, err
	}
	m, err := Preconditioned(h, b, damping)
	if err != nil {
		return Result{}, err
	}
	res := Result{Name: b.Name(), Damping: damping, Condition: math.NaN(), RelError: math.NaN(), RelErrorUndefined: UndefinedNotAsked}
	ext, lerr := krylov.Lanczos(m, p, krylov.LanczosOptions{MaxIter: opts.MaxIter, Tol: opts.Tol, Seed: opts.Seed, Reorth: opts.Reorth})
	if ext == nil {
		return Result{}, fmt.Errorf("precond: %s: extreme eigenvalues of M: %w", b.Name(), lerr)
	}
	res.LambdaMin, res.LambdaMax = ext.Min, ext.Max
	res.MinResidual, res.MaxResidual, res.Iterations = ext.MinResidual, ext.MaxResidual, ext.Iterations
	if res.LambdaMin > res.MinResidual {
		res.Condition = res.LambdaMax / res.LambdaMin
	} else {
		res.ConditionUndefined = fmt.Sprintf("%s (λmin(M) = %.6g ± %.2g)", UndefinedNotPositive, res.LambdaMin, res.MinResidual)
	}
	switch {
	case opts.Dense != nil:
		res.RelErrorUndefined = ""
		if res.RelError, err = RelativeError(opts.Dense, b); err != nil {
			if !errors.Is(err, ErrZeroH) {
				return Result{}, err
			}
			res.RelError, res.RelErrorUndefined = math.NaN(), UndefinedZeroH
		}
	case opts.RelErrorProbes > 0:
		res.RelErrorUndefined, res.RelErrorEstimated = "", true
		if res.RelError, err = EstimateRelativeError(h, b, opts.RelErrorProbes, opts.Seed); err != nil {
			if !errors.Is(err, ErrZeroH) {
				return Result{}, err
			}
			res.RelError, res.RelErrorUndefined = math.NaN(), UndefinedZeroH
		}
	}
	if opts.Density != nil {
		if res.Density, err = krylov.SLQ(m, p, *opts.Density); err != nil {
			return Result{}, fmt.Errorf("precond: %s: density of M: %w", b.Name(), err)
		}
	}
	if lerr != nil {
		return res, fmt.Errorf("precond: %s: extreme eigenvalues of M: %w", b.Name(), lerr)
	}
	return res, nil
}
