package krylov

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// TraceOptions controls Hutchinson, HutchPlusPlus and Diagonal.
type TraceOptions struct {
	// Probes is the number of operator applications m ≥ 1. There is no
	// default: the standard error shrinks as 1/√m and only the caller
	// knows what a product costs.
	Probes int
	// Seed draws the Rademacher probes.
	Seed uint64
}

// TraceEstimate is a stochastic estimate of tr(A).
type TraceEstimate struct {
	Trace float64
	// StdErr is the standard error of Trace estimated from the spread of
	// the per-probe values (for HutchPlusPlus: of its Hutchinson part on
	// the deflated operator; the sketched part tr(QᵀAQ) is exact). It is
	// +Inf when a single probe leaves no spread to measure.
	StdErr float64
	// Applications counts the products with the operator.
	Applications int
}

// DiagonalEstimate is a stochastic estimate of diag(A).
type DiagonalEstimate struct {
	Diag []float64
	// StdErr holds the standard error of each entry, from the spread of the
	// per-probe values v_i (Av)_i; +Inf with a single probe.
	StdErr []float64
}

func (o TraceOptions) validate(op Operator, n int, what string) error {
	if op == nil {
		return fmt.Errorf("krylov: %s needs an operator, got nil", what)
	}
	if n <= 0 {
		return fmt.Errorf("krylov: %s needs dimension n ≥ 1, got %d", what, n)
	}
	if o.Probes < 1 {
		return fmt.Errorf("krylov: %s Probes = %d, want ≥ 1", what, o.Probes)
	}
	return nil
}

// rademacher fills v with independent ±1 entries.
func rademacher(r *rand.Rand, v []float64) {
	for i := 0; i < len(v); i += 64 {
		bits := r.Uint64()
		for j := i; j < min(i+64, len(v)); j++ {
			if bits&1 == 0 {
				v[j] = 1
			} else {
				v[j] = -1
			}
			bits >>= 1
		}
	}
}

// apply computes A·v into dst, checking the length and finiteness of the
// result.
func apply(op Operator, dst, v []float64) ([]float64, error) {
	out, err := op(dst, v)
	if err != nil {
		return nil, err
	}
	if len(out) != len(v) {
		return nil, fmt.Errorf("krylov: operator returned a vector of length %d for one of length %d", len(out), len(v))
	}
	if err := checkFiniteVec(out); err != nil {
		return nil, err
	}
	return out, nil
}

// meanStdErr returns the mean of xs and its standard error s/√m (s the
// sample standard deviation), +Inf for a single value.
func meanStdErr(xs []float64) (mean, se float64) {
	m := float64(len(xs))
	for _, x := range xs {
		mean += x
	}
	mean /= m
	if len(xs) < 2 {
		return mean, math.Inf(1)
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / (m - 1) / m)
}

// Hutchinson estimates tr(A) of the symmetric n×n operator op as the mean of
// vᵀAv over Probes Rademacher vectors v (Hutchinson 1989). The estimate is
// unbiased with variance 2(‖A‖_F² − Σ_i a_ii²)/m for m probes.
//
// Cost: m operator applications and O(n·m) arithmetic; memory two
// n-vectors.
func Hutchinson(op Operator, n int, opts TraceOptions) (TraceEstimate, error) {
	if err := opts.validate(op, n, "Hutchinson"); err != nil {
		return TraceEstimate{}, err
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x7ace))
	v := make([]float64, n)
	var av []float64
	vals := make([]float64, opts.Probes)
	for p := range vals {
		rademacher(r, v)
		var err error
		if av, err = apply(op, av, v); err != nil {
			return TraceEstimate{}, err
		}
		vals[p] = dot(v, av)
	}
	tr, se := meanStdErr(vals)
	return TraceEstimate{Trace: tr, StdErr: se, Applications: opts.Probes}, nil
}

// HutchPlusPlus estimates tr(A) of the symmetric n×n operator op by Hutch++
// (Meyer, Musco, Musco, Woodruff 2021). With m = Probes, s = ⌊m/3⌋
// Gaussian sketch vectors S give Q = orth(AS); tr(QᵀAQ) is computed exactly, and the
// remaining m − 2s (or more, when AS has rank below s) Rademacher probes
// estimate the trace of the deflated operator (I−QQᵀ)A(I−QQᵀ) by
// Hutchinson. When A has a few large eigenvalues the
// deflated operator has a far smaller Frobenius norm, so the error falls as
// 1/m instead of 1/√m; when rank(A) ≤ s the estimate is exact (up to
// round-off). For m < 3 it is Hutchinson.
//
// Cost: m operator applications and O(n·m²) arithmetic (orthogonalizing
// the sketch and projecting the probes); memory 2s + 2 n-vectors.
func HutchPlusPlus(op Operator, n int, opts TraceOptions) (TraceEstimate, error) {
	if err := opts.validate(op, n, "HutchPlusPlus"); err != nil {
		return TraceEstimate{}, err
	}
	s := opts.Probes / 3
	if s == 0 {
		return Hutchinson(op, n, opts)
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x4a7c))
	// Q = orth(A S).
	var q [][]float64
	v := make([]float64, n)
	for j := 0; j < s; j++ {
		// Gaussian, not Rademacher: AS then has rank min(s, rank A) with
		// probability 1, where ±1 sketches of a matrix with a sparse range
		// (A = 5e₀e₀ᵀ + 2e₁e₁ᵀ) coincide on it with probability 2^{1−s}.
		for i := range v {
			v[i] = r.NormFloat64()
		}
		av, err := apply(op, nil, v)
		if err != nil {
			return TraceEstimate{}, err
		}
		q = append(q, av)
	}
	q = orthonormalize(q)
	// tr(QᵀAQ).
	var est TraceEstimate
	var aq []float64
	for _, qj := range q {
		var err error
		if aq, err = apply(op, aq, qj); err != nil {
			return TraceEstimate{}, err
		}
		est.Trace += dot(qj, aq)
	}
	// Hutchinson on the deflated operator with the probes left: the sketch
	// used s, tr(QᵀAQ) used len(q) ≤ s.
	rest := opts.Probes - s - len(q)
	vals := make([]float64, rest)
	for p := range vals {
		rademacher(r, v)
		project(q, v)
		var err error
		if aq, err = apply(op, aq, v); err != nil {
			return TraceEstimate{}, err
		}
		vals[p] = dot(v, aq)
	}
	tr, se := meanStdErr(vals)
	est.Trace += tr
	est.StdErr = se
	est.Applications = opts.Probes
	return est, nil
}

// orthonormalize returns an orthonormal basis of the span of vs by modified
// Gram–Schmidt applied twice, dropping vectors that fall below 1e-12 of the
// largest input norm (a rank-deficient sketch). It overwrites vs.
func orthonormalize(vs [][]float64) [][]float64 {
	var big float64
	for _, v := range vs {
		big = math.Max(big, math.Sqrt(dot(v, v)))
	}
	out := vs[:0]
	for _, v := range vs {
		for pass := 0; pass < 2; pass++ {
			for _, q := range out {
				c := dot(v, q)
				for i := range v {
					v[i] -= c * q[i]
				}
			}
		}
		nv := math.Sqrt(dot(v, v))
		if !(nv > 1e-12*big) {
			continue
		}
		scaleVec(v, 1/nv)
		out = append(out, v)
	}
	return out
}

// project replaces v by (I − QQᵀ)v for orthonormal columns q (twice, for
// round-off).
func project(q [][]float64, v []float64) {
	for pass := 0; pass < 2; pass++ {
		for _, qj := range q {
			c := dot(v, qj)
			for i := range v {
				v[i] -= c * qj[i]
			}
		}
	}
}

// Diagonal estimates diag(A) of the symmetric n×n operator op (Bekas,
// Kokiopoulou, Saad 2007): diag ≈ Σ_k v_k⊙Av_k / Σ_k v_k⊙v_k over Probes
// Rademacher vectors v_k, for which v⊙v = 1, so entry i is the mean of
// v_i(Av)_i. It is unbiased with per-entry variance Σ_{j≠i} a_ij²/m.
//
// Cost: m operator applications and O(n·m) arithmetic; memory four
// n-vectors.
func Diagonal(op Operator, n int, opts TraceOptions) (*DiagonalEstimate, error) {
	if err := opts.validate(op, n, "Diagonal"); err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0xd1a6))
	v := make([]float64, n)
	var av []float64
	// Welford's running mean and sum of squared deviations per entry.
	mean := make([]float64, n)
	m2 := make([]float64, n)
	for p := 1; p <= opts.Probes; p++ {
		rademacher(r, v)
		var err error
		if av, err = apply(op, av, v); err != nil {
			return nil, err
		}
		for i := range v {
			x := v[i] * av[i]
			d := x - mean[i]
			mean[i] += d / float64(p)
			m2[i] += d * (x - mean[i])
		}
	}
	se := m2 // reused
	m := float64(opts.Probes)
	for i := range se {
		if opts.Probes < 2 {
			se[i] = math.Inf(1)
		} else {
			se[i] = math.Sqrt(se[i] / (m - 1) / m)
		}
	}
	return &DiagonalEstimate{Diag: mean, StdErr: se}, nil
}
