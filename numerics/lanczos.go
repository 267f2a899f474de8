package numerics

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Operator applies a symmetric matrix A of known dimension: it returns
// A·vec, writing into dst when dst has the right length. HessVecOperator,
// BlockDiagVecOperator and OffBlockVecOperator have this type.
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
		return fmt.Errorf("numerics: unknown Reorth %d (want ReorthAuto, ReorthFull or ReorthNone)", int(r))
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
var ErrNotConverged = errors.New("numerics: Lanczos did not converge")

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
			return nil, nil, fmt.Errorf("numerics: operator returned a vector of length %d for one of length %d", len(w), n)
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
			return fmt.Errorf("numerics: operator returned %v at entry %d", x, i)
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
		return nil, nil, nil, errors.New("numerics: tridiagonal eigendecomposition did not converge")
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
		return nil, fmt.Errorf("numerics: Lanczos needs an operator and n ≥ 1 (n = %d)", n)
	}
	if opts.MaxIter < 0 {
		return nil, fmt.Errorf("numerics: Lanczos MaxIter = %d, want ≥ 0 (0: min(n, 300))", opts.MaxIter)
	}
	if !(opts.Tol >= 0) || math.IsInf(opts.Tol, 0) {
		return nil, fmt.Errorf("numerics: Lanczos Tol = %v, want a finite value ≥ 0 (0: 1e-10)", opts.Tol)
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

// SLQOptions controls stochastic Lanczos quadrature.
type SLQOptions struct {
	// Probes is the number of Rademacher probe vectors; 0 means 16.
	Probes int
	// Steps is the number of Lanczos steps per probe (the quadrature has
	// that many nodes); 0 means min(n, 80).
	Steps int
	Seed  uint64
	// Reorth defaults to ReorthAuto; quadrature weights are exact only with
	// ReorthFull.
	Reorth Reorth
}

// SpectralDensity is an SLQ estimate of the spectral density
// (1/n) Σ_i δ(λ − λ_i) of a symmetric operator: for each probe v, the
// Gauss quadrature of the measure μ_v = Σ_i (u_iᵀv)²/‖v‖² δ_{λ_i}, whose
// mean over Rademacher probes is the spectral density.
type SpectralDensity struct {
	Dim     int         `json:"dim"`
	Nodes   [][]float64 `json:"nodes"`   // per probe, ascending
	Weights [][]float64 `json:"weights"` // per probe, summing to 1
}

// SLQ estimates the spectral density of the symmetric n×n operator op by
// stochastic Lanczos quadrature (Ubaru, Chen, Saad 2017): each probe's
// k-step Lanczos tridiagonal gives nodes θ_j (its eigenvalues) and weights
// τ_j² (squared first components of its eigenvectors), a Gauss quadrature
// exact for polynomials of degree ≤ 2k−1 under full reorthogonalization.
func SLQ(op Operator, n int, opts SLQOptions) (*SpectralDensity, error) {
	if op == nil || n <= 0 {
		return nil, fmt.Errorf("numerics: SLQ needs an operator and n ≥ 1 (n = %d)", n)
	}
	if opts.Probes < 0 || opts.Steps < 0 {
		return nil, fmt.Errorf("numerics: SLQ Probes = %d, Steps = %d, want ≥ 0 (0: defaults)", opts.Probes, opts.Steps)
	}
	if err := opts.Reorth.validate(); err != nil {
		return nil, err
	}
	probes, steps := opts.Probes, opts.Steps
	if probes == 0 {
		probes = 16
	}
	if steps == 0 {
		steps = 80
	}
	steps = min(steps, n)
	r := rand.New(rand.NewPCG(opts.Seed, 0x51c0))
	sd := &SpectralDensity{Dim: n}
	q1 := make([]float64, n)
	inv := 1 / math.Sqrt(float64(n))
	for pr := 0; pr < probes; pr++ {
		for i := range q1 {
			if r.Uint64()&1 == 0 {
				q1[i] = inv
			} else {
				q1[i] = -inv
			}
		}
		alpha, beta, err := lanczos(op, q1, steps, opts.Reorth, nil)
		if err != nil {
			return nil, err
		}
		vals, first, _, err := tridiagEigen(alpha, beta)
		if err != nil {
			return nil, err
		}
		w := make([]float64, len(vals))
		for j, f := range first {
			w[j] = f * f
		}
		sd.Nodes = append(sd.Nodes, vals)
		sd.Weights = append(sd.Weights, w)
	}
	return sd, nil
}

// Validate checks that s has at least one probe and a weight for every
// node, as SLQ returns it. Moment, Expect, Range and CDF return NaN for a
// density that fails it (one read from a malformed file, say), and Density
// returns its error.
func (s *SpectralDensity) Validate() error {
	if s == nil || len(s.Nodes) == 0 {
		return errors.New("numerics: spectral density has no probes")
	}
	if len(s.Weights) != len(s.Nodes) {
		return fmt.Errorf("numerics: spectral density has %d weight lists for %d probes", len(s.Weights), len(s.Nodes))
	}
	for p, nodes := range s.Nodes {
		if len(s.Weights[p]) != len(nodes) {
			return fmt.Errorf("numerics: probe %d of the spectral density has %d weights for %d nodes", p, len(s.Weights[p]), len(nodes))
		}
	}
	return nil
}

// Moment returns the estimate of tr(A^k)/n: the mean over probes of
// Σ_j τ_j² θ_j^k. Per probe it equals q1ᵀ A^k q1 exactly (to round-off)
// for k ≤ 2·steps−1 under full reorthogonalization, so its error is the
// Hutchinson error of the probes.
func (s *SpectralDensity) Moment(k int) float64 {
	return s.Expect(func(x float64) float64 { return math.Pow(x, float64(k)) })
}

// Expect returns the estimate of tr(f(A))/n.
func (s *SpectralDensity) Expect(f func(float64) float64) float64 {
	if s.Validate() != nil || f == nil {
		return math.NaN()
	}
	var total float64
	for p, nodes := range s.Nodes {
		for j, x := range nodes {
			total += s.Weights[p][j] * f(x)
		}
	}
	return total / float64(len(s.Nodes))
}

// Range returns the smallest and largest node over all probes.
func (s *SpectralDensity) Range() (lo, hi float64) {
	if s.Validate() != nil {
		return math.NaN(), math.NaN()
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, nodes := range s.Nodes {
		if len(nodes) > 0 {
			lo = math.Min(lo, nodes[0])
			hi = math.Max(hi, nodes[len(nodes)-1])
		}
	}
	return lo, hi
}

// Density returns the density at the points x, each quadrature node
// smoothed by a Gaussian of standard deviation sigma > 0.
func (s *SpectralDensity) Density(x []float64, sigma float64) ([]float64, error) {
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return nil, fmt.Errorf("numerics: smoothing width %v, want a finite σ > 0", sigma)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	out := make([]float64, len(x))
	norm := 1 / (sigma * math.Sqrt(2*math.Pi) * float64(len(s.Nodes)))
	for p, nodes := range s.Nodes {
		for j, c := range nodes {
			w := s.Weights[p][j] * norm
			for i, xi := range x {
				z := (xi - c) / sigma
				out[i] += w * math.Exp(-z*z/2)
			}
		}
	}
	return out, nil
}

// CDF returns the estimated fraction of eigenvalues ≤ x for each x (the
// quadrature's step function, averaged over probes).
func (s *SpectralDensity) CDF(x []float64) []float64 {
	out := make([]float64, len(x))
	if s.Validate() != nil {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	for p, nodes := range s.Nodes {
		cum := make([]float64, len(nodes))
		var acc float64
		for j := range nodes {
			acc += s.Weights[p][j]
			cum[j] = acc
		}
		for i, xi := range x {
			j := sort.SearchFloat64s(nodes, math.Nextafter(xi, math.Inf(1)))
			if j > 0 {
				out[i] += cum[j-1]
			}
		}
	}
	for i := range out {
		out[i] /= float64(len(s.Nodes))
	}
	return out
}
