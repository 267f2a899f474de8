package spectralfit

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// wishart returns the eigenvalues of (1/N) Σ_n τ_n x_n x_nᵀ with x_n ~
// N(0, Σ) in R^d, Σ = diag(spikes..., 1, …, 1), and τ_n drawn by tau
// (nil: τ = scale). All draws come from seed.
func wishart(d, n int, scale float64, tau func(r *rand.Rand) float64, spikes []float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	x := mat.NewDense(d, n, nil)
	for j := 0; j < n; j++ {
		t := scale
		if tau != nil {
			t = tau(r)
		}
		for i := 0; i < d; i++ {
			s := 1.0
			if i < len(spikes) {
				s = math.Sqrt(spikes[i])
			}
			x.Set(i, j, s*math.Sqrt(t)*r.NormFloat64())
		}
	}
	var b mat.SymDense
	b.SymOuterK(1/float64(n), x)
	var eig mat.EigenSym
	if !eig.Factorize(&b, false) {
		panic("eigendecomposition failed")
	}
	return eig.Values(nil)
}
