package theory

import "math/rand/v2"

// SpectralLaw is a limit spectral law of a (scaled) Hessian block. Both
// MarchenkoPastur and GeneralizedMP implement it.
type SpectralLaw interface {
	Validate() error
	Prob(x float64) float64
	LogProb(x float64) float64
	CDF(x float64) float64
	Quantile(p float64) float64
	Mean() float64
	Variance() float64
	Moment(k int) float64
	Stieltjes(z complex128) complex128
	Support() []Interval
	Atom() float64
	Rand() float64
}

var (
	_ SpectralLaw = MarchenkoPastur{}
	_ SpectralLaw = GeneralizedMP{}
)

// Interval is a closed interval [Min, Max] of the real line.
type Interval struct {
	Min, Max float64
}

// Contains reports whether x lies in [Min, Max].
func (iv Interval) Contains(x float64) bool { return iv.Min <= x && x <= iv.Max }

// Len returns Max − Min.
func (iv Interval) Len() float64 { return iv.Max - iv.Min }

// uniform draws from U[0, 1) with src, or with the global source when src
// is nil: the one random number behind Rand's inversion of the CDF.
func uniform(src rand.Source) float64 {
	if src == nil {
		return rand.Float64()
	}
	return rand.New(src).Float64()
}
