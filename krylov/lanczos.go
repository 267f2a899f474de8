package krylov

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Operator applies a symmetric matrix A of known dimension: it returns
// A·vec, writing into dst when dst has the right length. The operators of
// numerics.Problem (Hessian, block diagonal, off-block part) have this type.
type Operator func(dst, vec []float64) ([]float64, error)

// Reorth selects how the Lanczos basis is kept orthogonal.
type Reorth int

const (
	// ReorthAuto uses ReorthFull when the basis fits in 1 GiB and
	// ReorthNone otherwise.
	ReorthAuto Reorth = iota
	// ReorthFull orthogonalizes every new vector against the whole basis
	// (twice, classical Gram–Schmidt), so Ritz values are those of an exact
	// Krylov projection; memory k·n floats.
	ReorthFull
	// ReorthNone keeps three vectors. The extreme Ritz values still
	// converge to the extreme eigenvalues; copies ("ghosts") of converged
	// ones appear among the others, which distorts SLQ weights slightly.
	ReorthNone
)

func (r Reorth) validate() error {
	if r < ReorthAuto || r > ReorthNone {
		return fmt.Errorf("krylov: unknown Reorth %d (want ReorthAuto, ReorthFull or ReorthNone)", int(r))
	}
	return nil
}

// checkEveryStep is the dimension from which Lanczos checks convergence
// after every step.
const checkEveryStep = 1 << 16

// reorthBudget is the largest basis ReorthAuto stores.
const reorthBudget = 1 << 30

// LanczosOptions controls Lanczos.
type LanczosOptions struct {
	// MaxIter bounds the Krylov dimension; 0 means min(n, 300).
	MaxIter int
	// Tol is the relative residual ‖A y − θ y‖ ≤ Tol·max|θ| at which both
	// extreme Ritz pairs count as converged; 0 means 1e-10.
	Tol float64
	// Seed draws the Gaussian start vector.
	Seed   uint64
	Reorth Reorth
	// LargestOnly stops as soon as the largest Ritz pair meets Tol; Min is
	// then only the current estimate. The smallest end of a Hessian is often
	// a cluster at 0 (linear CE has a null space) that converges slowly, so
	// this saves most of the products when only λmax is wanted.
	LargestOnly bool
}

// ExtremeEigen holds the extreme eigenvalues Lanczos found.
type ExtremeEigen struct {
	Max, Min float64
	// MaxResidual and MinResidual bound ‖A y − θ y‖ for the unit Ritz
	// vectors y of Max and Min; for a symmetric A an eigenvalue lies within
	// that distance of each.
	MaxResidual, MinResidual float64
	Iterations               int
	Converged                bool
}

// ErrNotConverged is wrapped when Lanczos stops at MaxIter before its
// tolerance; the returned estimates are still the best available.
var ErrNotConverged = errors.New("krylov: Lanczos did not converge")

// lanczos runs the three-term recurrence from q1 (unit norm) for at most
// k steps and returns the tridiagonal coefficients. check is called with the
// current α, β and may stop the iteration: after every step for operators of
// dimension ≥ checkEveryStep, where a product costs far more than the k×k
// tridiagonal eigenproblem of a check, and after every fifth step below.
func lanczos(op Operator, q1 []float64, k int, reorth Reorth, check func(alpha, beta []float64) bool) (alpha, beta []float64, err error) {
	n := len(q1)
	if reorth == ReorthAuto {
		reorth = ReorthNone
		if int64(k)*int64(n)*8 <= reorthBudget {
			reorth = ReorthFull
		}
	}
	var basis [][]float64
	prev := make([]float64, n)
	cur := append([]float64(nil), q1...)
	w := make([]float64, n)
	var betaPrev float64
	for j := 0; j < k; j++ {
		if reorth == ReorthFull {
			basis = append(basis, append([]float64(nil), cur...))
		}
		w, err = op(w, cur)
		if err != nil {
			return nil, nil, err
		}
		if len(w) != n {
			return nil, nil, fmt.Errorf("krylov: operator returned a vector of length %d for one of length %d", len(w), n)
		}
		if err := checkFiniteVec(w); err != nil {
			return nil, nil, err
		}
		a := dot(w, cur)
		for i := range w {
			w[i] -= a*cur[i] + betaPrev*prev[i]
		}
		if reorth == ReorthFull {
			for pass := 0; pass < 2; pass++ {
				for _, q := range basis {
					c := dot(w, q)
					for i := range w {
						w[i] -= c * q[i]
					}
				}
			}
		}
		b := math.Sqrt(dot(w, w))
		alpha = append(alpha, a)
		beta = append(beta, b)
		// An (almost) invariant subspace: the Ritz values are exact.
		scale := 0.0
		for _, v := range alpha {
			scale = math.Max(scale, math.Abs(v))
		}
		if b <= 1e-14*math.Max(scale, math.SmallestNonzeroFloat64) || j == n-1 {
			break
		}
		if check != nil && (n >= checkEveryStep || j%5 == 4) && check(alpha, beta) {
			break
		}
		prev, cur = cur, prev
		for i := range cur {
			cur[i] = w[i] / b
		}
		betaPrev = b
	}
	return alpha, beta, nil
}

func checkFiniteVec(v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("krylov: operator returned %v at entry %d", x, i)
		}
	}
	return nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// tridiagEigen returns the eigenvalues (ascending) of the Lanczos
// tridiagonal T_k (α on the diagonal, β[:k−1] off it) and, per eigenvalue,
// the first and last components of its unit eigenvector.
func tridiagEigen(alpha, beta []float64) (vals, first, last []float64, err error) {
	k := len(alpha)
	t := mat.NewSymDense(k, nil)
	for i := 0; i < k; i++ {
		t.SetSym(i, i, alpha[i])
		if i+1 < k {
			t.SetSym(i, i+1, beta[i])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(t, true) {
		return nil, nil, nil, errors.New("krylov: tridiagonal eigendecomposition did not converge")
	}
	vals = eig.Values(nil)
	var vec mat.Dense
	eig.VectorsTo(&vec)
	first, last = make([]float64, k), make([]float64, k)
	for j := 0; j < k; j++ {
		first[j], last[j] = vec.At(0, j), vec.At(k-1, j)
	}
	return vals, first, last, nil
}

// Lanczos estimates the largest and smallest eigenvalues of the symmetric
// n×n operator op. It returns the estimates and an error wrapping
// ErrNotConverged if MaxIter steps did not reach the tolerance.
func Lanczos(op Operator, n int, opts LanczosOptions) (*ExtremeEigen, error) {
	if op == nil || n <= 0 {
		return nil, fmt.Errorf("krylov: Lanczos needs an operator and n ≥ 1 (n = %d)", n)
	}
	if opts.MaxIter < 0 {
		return nil, fmt.Errorf("krylov: Lanczos MaxIter = %d, want ≥ 0 (0: min(n, 300))", opts.MaxIter)
	}
	if !(opts.Tol >= 0) || math.IsInf(opts.Tol, 0) {
		return nil, fmt.Errorf("krylov: Lanczos Tol = %v, want a finite value ≥ 0 (0: 1e-10)", opts.Tol)
	}
	if err := opts.Reorth.validate(); err != nil {
		return nil, err
	}
	k := opts.MaxIter
	if k == 0 {
		k = min(n, 300)
	}
	k = min(k, n)
	tol := opts.Tol
	if tol == 0 {
		tol = 1e-10
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x1a2c05))
	q1 := make([]float64, n)
	for i := range q1 {
		q1[i] = r.NormFloat64()
	}
	scaleVec(q1, 1/math.Sqrt(dot(q1, q1)))

	var res ExtremeEigen
	eval := func(alpha, beta []float64) (bool, error) {
		vals, _, last, err := tridiagEigen(alpha, beta)
		if err != nil {
			return false, err
		}
		kk := len(vals)
		b := beta[kk-1]
		res.Min, res.Max = vals[0], vals[kk-1]
		res.MinResidual, res.MaxResidual = math.Abs(b*last[0]), math.Abs(b*last[kk-1])
		res.Iterations = kk
		scale := math.Max(math.Abs(res.Min), math.Abs(res.Max))
		res.Converged = res.MaxResidual <= tol*scale && (opts.LargestOnly || res.MinResidual <= tol*scale)
		return res.Converged, nil
	}
	var evalErr error
	alpha, beta, err := lanczos(Operator(op), q1, k, opts.Reorth, func(a, b []float64) bool {
		ok, err := eval(a, b)
		if err != nil {
			evalErr = err
			return true
		}
		return ok
	})
	if err != nil {
		return nil, err
	}
	if evalErr != nil {
		return nil, evalErr
	}
	if _, err := eval(alpha, beta); err != nil {
		return nil, err
	}
	if !res.Converged && len(alpha) < n {
		// Residuals of exactly zero mean an invariant subspace was found.
		if beta[len(beta)-1] != 0 {
			return &res, fmt.Errorf("%w in %d steps: residuals %.2e (max), %.2e (min)", ErrNotConverged, res.Iterations, res.MaxResidual, res.MinResidual)
		}
	}
	res.Converged = true
	return &res, nil
}

func scaleVec(v []float64, s float64) {
	for i := range v {
		v[i] *= s
	}
}

// Ritz returns the Ritz values (ascending) of op after at most steps
// Lanczos iterations from the direction of start, a nonzero vector of op's
// dimension (it is not modified). It is the building block for callers that
// draw their own start vector (numerics draws it from its seeded streams)
// and want a fixed Krylov dimension rather than a tolerance.
func Ritz(op Operator, start []float64, steps int, reorth Reorth) ([]float64, error) {
	if op == nil || len(start) == 0 || steps < 1 {
		return nil, fmt.Errorf("krylov: Ritz needs an operator, a start vector and steps ≥ 1 (len %d, steps %d)", len(start), steps)
	}
	if err := reorth.validate(); err != nil {
		return nil, err
	}
	q1 := append([]float64(nil), start...)
	norm := math.Sqrt(dot(q1, q1))
	if !(norm > 0) || math.IsInf(norm, 0) {
		return nil, fmt.Errorf("krylov: Ritz start vector has norm %v, want a finite value > 0", norm)
	}
	scaleVec(q1, 1/norm)
	alpha, beta, err := lanczos(op, q1, min(steps, len(start)), reorth, nil)
	if err != nil {
		return nil, err
	}
	vals, _, _, err := tridiagEigen(alpha, beta)
	return vals, err
}
