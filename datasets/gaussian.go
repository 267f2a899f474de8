package datasets

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Gaussian returns the setting of THEORY §1: n samples x_n iid N(0, I_d)
// and labels iid uniform on {0, …, c−1}, independent of x. The inputs and
// the labels come from separate random streams of the seed, so the labels
// for a given (n, c, seed) do not depend on d.
func Gaussian(n, d, c int, seed uint64) (*Set, error) {
	const what = "Gaussian"
	if err := checkShape(what, n, d); err != nil {
		return nil, err
	}
	if err := checkClasses(what, c); err != nil {
		return nil, err
	}
	rng := newRNG(seed, streamGaussX)
	data := make([]float64, n*d)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	return &Set{
		X:      mat.NewDense(n, d, data),
		Labels: uniformLabels(n, c, newRNG(seed, streamGaussLabels)),
		C:      c,
		Name:   fmt.Sprintf("gaussian(n=%d,d=%d,c=%d,seed=%d)", n, d, c, seed),
	}, nil
}

// ClusteredGaussian returns a Gaussian mixture with one component per
// class: class means μ_k iid uniform on the sphere of the given radius in
// R^d, labels y_n iid uniform on {0, …, c−1}, and
// x_n = μ_{y_n} + spread·z_n with z_n iid N(0, I_d). radius = 0, spread = 1
// gives the law of Gaussian (with different draws). Means, labels and
// noise come from separate random streams of the seed.
func ClusteredGaussian(n, d, c int, radius, spread float64, seed uint64) (*Set, error) {
	const what = "ClusteredGaussian"
	if err := checkShape(what, n, d); err != nil {
		return nil, err
	}
	if err := checkClasses(what, c); err != nil {
		return nil, err
	}
	if !(radius >= 0) || math.IsInf(radius, 0) {
		return nil, fmt.Errorf("datasets: %s: radius = %v, need a finite value ≥ 0", what, radius)
	}
	if !(spread >= 0) || math.IsInf(spread, 0) {
		return nil, fmt.Errorf("datasets: %s: spread = %v, need a finite value ≥ 0", what, spread)
	}
	if c > maxElements/d {
		return nil, fmt.Errorf("datasets: %s: c·d = %d·%d exceeds the limit of %d entries", what, c, d, maxElements)
	}

	// Means: normalized Gaussian vectors are uniform on the sphere.
	mrng := newRNG(seed, streamClusterMeans)
	means := make([]float64, c*d)
	for k := 0; k < c; k++ {
		mu := means[k*d : (k+1)*d]
		var norm2 float64
		for norm2 == 0 { // a zero draw has probability 0; redraw if it happens
			norm2 = 0
			for j := range mu {
				mu[j] = mrng.NormFloat64()
				norm2 += mu[j] * mu[j]
			}
		}
		scale := radius / math.Sqrt(norm2)
		for j := range mu {
			mu[j] *= scale
		}
	}

	labels := uniformLabels(n, c, newRNG(seed, streamClusterLabels))
	xrng := newRNG(seed, streamClusterX)
	data := make([]float64, n*d)
	for i := 0; i < n; i++ {
		row := data[i*d : (i+1)*d]
		mu := means[labels[i]*d : (labels[i]+1)*d]
		for j := range row {
			row[j] = mu[j] + spread*xrng.NormFloat64()
		}
	}
	return &Set{
		X:      mat.NewDense(n, d, data),
		Labels: labels,
		C:      c,
		Name: fmt.Sprintf("clustered-gaussian(n=%d,d=%d,c=%d,radius=%g,spread=%g,seed=%d)",
			n, d, c, radius, spread, seed),
	}, nil
}
