package krylov

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

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
		return nil, fmt.Errorf("krylov: SLQ needs an operator and n ≥ 1 (n = %d)", n)
	}
	if opts.Probes < 0 || opts.Steps < 0 {
		return nil, fmt.Errorf("krylov: SLQ Probes = %d, Steps = %d, want ≥ 0 (0: defaults)", opts.Probes, opts.Steps)
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
		return errors.New("krylov: spectral density has no probes")
	}
	if len(s.Weights) != len(s.Nodes) {
		return fmt.Errorf("krylov: spectral density has %d weight lists for %d probes", len(s.Weights), len(s.Nodes))
	}
	for p, nodes := range s.Nodes {
		if len(s.Weights[p]) != len(nodes) {
			return fmt.Errorf("krylov: probe %d of the spectral density has %d weights for %d nodes", p, len(s.Weights[p]), len(nodes))
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
		return nil, fmt.Errorf("krylov: smoothing width %v, want a finite σ > 0", sigma)
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
