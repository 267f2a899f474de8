package theory

import (
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/integrate/quad"
)

// WeightLaw is the law ν of the non-negative weights τ_n in
// B = (1/N) Σ_n τ_n x_n x_nᵀ (see GeneralizedMP).
type WeightLaw interface {
	// Validate returns an error wrapping ErrInvalidParameter if the law is
	// not a probability law on [0, ∞) with some mass on (0, ∞).
	Validate() error
	// Moment returns E τ^k exactly (not from the discretization).
	Moment(k int) float64
	// Atoms returns the finite discrete law used for spectral computations:
	// distinct values in increasing order and their probabilities (summing
	// to 1). For a law that is itself finite and discrete it is exact.
	Atoms() (values, probs []float64)
}

// pointMass is the law δ_Value.
type pointMass struct {
	Value float64
}

// Validate requires Value finite and > 0.
func (w pointMass) Validate() error {
	if !isFinite(w.Value) || w.Value <= 0 {
		return paramError("point-mass weight must be finite and > 0, got %v", w.Value)
	}
	return nil
}

// Moment returns Value^k.
func (w pointMass) Moment(k int) float64 { return math.Pow(w.Value, float64(k)) }

// Atoms returns the single atom.
func (w pointMass) Atoms() ([]float64, []float64) { return []float64{w.Value}, []float64{1} }

// BernoulliWeights is the law of τ ∈ {0, 1} with P(τ = 1) = P.
type BernoulliWeights struct {
	P float64
}

// Validate requires 0 < P ≤ 1.
func (w BernoulliWeights) Validate() error {
	if !(w.P > 0 && w.P <= 1) {
		return paramError("Bernoulli weight probability must be in (0, 1], got %v", w.P)
	}
	return nil
}

// Moment returns P for k ≥ 1 and 1 for k = 0.
func (w BernoulliWeights) Moment(k int) float64 {
	if k == 0 {
		return 1
	}
	return w.P
}

// Atoms returns {0: 1−P, 1: P} (the zero atom is omitted when P = 1).
func (w BernoulliWeights) Atoms() ([]float64, []float64) {
	if w.P == 1 {
		return []float64{1}, []float64{1}
	}
	return []float64{0, 1}, []float64{1 - w.P, w.P}
}

// DiscreteWeights is a finite law: P(τ = Values[i]) = Probs[i].
type DiscreteWeights struct {
	Values []float64
	Probs  []float64
}

// Validate requires equal non-zero lengths, finite non-negative values and
// probabilities, probabilities summing to 1 within 1e−9, and some mass on
// positive values.
func (w DiscreteWeights) Validate() error {
	if len(w.Values) == 0 || len(w.Values) != len(w.Probs) {
		return paramError("discrete weights need equal, non-zero numbers of values and probabilities (%d, %d)", len(w.Values), len(w.Probs))
	}
	sum, positive := 0.0, 0.0
	for i, v := range w.Values {
		p := w.Probs[i]
		if !isFinite(v) || v < 0 {
			return paramError("discrete weight value %d is %v; must be finite and ≥ 0", i, v)
		}
		if !isFinite(p) || p < 0 {
			return paramError("discrete weight probability %d is %v; must be finite and ≥ 0", i, p)
		}
		sum += p
		if v > 0 {
			positive += p
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		return paramError("discrete weight probabilities sum to %v, not 1", sum)
	}
	if positive == 0 {
		return paramError("discrete weights put no mass on positive values")
	}
	return nil
}

// Moment returns Σ Probs[i]·Values[i]^k.
func (w DiscreteWeights) Moment(k int) float64 {
	s := 0.0
	for i, v := range w.Values {
		s += w.Probs[i] * math.Pow(v, float64(k))
	}
	return s
}

// Atoms merges equal values, drops zero probabilities, sorts and renormalizes.
func (w DiscreteWeights) Atoms() ([]float64, []float64) {
	return mergeAtoms(w.Values, w.Probs)
}

func mergeAtoms(values, probs []float64) ([]float64, []float64) {
	idx := make([]int, len(values))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return values[idx[a]] < values[idx[b]] })
	var vs, ps []float64
	total := 0.0
	for _, i := range idx {
		if probs[i] <= 0 {
			continue
		}
		total += probs[i]
		if n := len(vs); n > 0 && vs[n-1] == values[i] {
			ps[n-1] += probs[i]
			continue
		}
		vs = append(vs, values[i])
		ps = append(ps, probs[i])
	}
	for i := range ps {
		ps[i] /= total
	}
	return vs, ps
}

// EmpiricalWeights is the empirical law of Samples (each sample has mass
// 1/len(Samples)). Use it for finite-size checks with the weights actually drawn.
type EmpiricalWeights struct {
	Samples []float64
}

// Validate requires at least one sample, all finite and ≥ 0, one of them > 0.
func (w EmpiricalWeights) Validate() error {
	if len(w.Samples) == 0 {
		return paramError("empirical weights need at least one sample")
	}
	positive := false
	for i, v := range w.Samples {
		if !isFinite(v) || v < 0 {
			return paramError("empirical weight sample %d is %v; must be finite and ≥ 0", i, v)
		}
		positive = positive || v > 0
	}
	if !positive {
		return paramError("empirical weights are all zero")
	}
	return nil
}

// Moment returns the sample mean of τ^k.
func (w EmpiricalWeights) Moment(k int) float64 {
	s := 0.0
	for _, v := range w.Samples {
		s += math.Pow(v, float64(k))
	}
	return s / float64(len(w.Samples))
}

// Atoms returns the distinct sample values with their frequencies.
func (w EmpiricalWeights) Atoms() ([]float64, []float64) {
	vs := slices.Clone(w.Samples)
	slices.Sort(vs)
	var out, ps []float64
	inv := 1 / float64(len(vs))
	for _, v := range vs {
		if n := len(out); n > 0 && out[n-1] == v {
			ps[n-1] += inv
			continue
		}
		out = append(out, v)
		ps = append(ps, inv)
	}
	return out, ps
}

// defaultLogNormalNodes is the number of Gauss–Hermite nodes used by
// LogNormalWeights when Nodes is 0.
const defaultLogNormalNodes = 100

// lognormalDropBelow is the probability under which Gauss–Hermite atoms are
// dropped: such atoms would create spectral islands narrower than float64
// can resolve, and carry less mass than any tolerance used here.
const lognormalDropBelow = 1e-15

// LogNormalWeights is the law of τ = exp(Mu + Sigma·g), g ~ N(0, 1).
//
// Spectral computations use the Gauss–Hermite discretization with Nodes
// nodes (defaultLogNormalNodes if 0): τ_j = exp(Mu + √2·Sigma·t_j) with
// probability w_j/√π, atoms lighter than 1e−15 dropped. Moment is exact.
type LogNormalWeights struct {
	Mu, Sigma float64
	Nodes     int
}

// Validate requires finite Mu, finite Sigma ≥ 0 and 0 ≤ Nodes ≤ 1000.
func (w LogNormalWeights) Validate() error {
	if !isFinite(w.Mu) || !isFinite(w.Sigma) || w.Sigma < 0 {
		return paramError("log-normal weights need finite Mu and Sigma ≥ 0, got %v, %v", w.Mu, w.Sigma)
	}
	if w.Nodes < 0 || w.Nodes > 1000 {
		return paramError("log-normal weights need 0 ≤ Nodes ≤ 1000, got %d", w.Nodes)
	}
	return nil
}

// Moment returns exp(kMu + k²Sigma²/2).
func (w LogNormalWeights) Moment(k int) float64 {
	kf := float64(k)
	return math.Exp(kf*w.Mu + 0.5*kf*kf*w.Sigma*w.Sigma)
}

// Atoms returns the Gauss–Hermite discretization.
func (w LogNormalWeights) Atoms() ([]float64, []float64) {
	if w.Sigma == 0 {
		return []float64{math.Exp(w.Mu)}, []float64{1}
	}
	n := w.Nodes
	if n == 0 {
		n = defaultLogNormalNodes
	}
	t := make([]float64, n)
	wt := make([]float64, n)
	quad.Hermite{}.FixedLocations(t, wt, math.Inf(-1), math.Inf(1))
	vs := make([]float64, 0, n)
	ps := make([]float64, 0, n)
	for i := range t {
		p := wt[i] / math.SqrtPi
		if p < lognormalDropBelow {
			continue
		}
		vs = append(vs, math.Exp(w.Mu+math.Sqrt2*w.Sigma*t[i]))
		ps = append(ps, p)
	}
	return mergeAtoms(vs, ps)
}
