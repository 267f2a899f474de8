package spectralfit_test

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/spectralfit"
)

// Fit the scale of a Marchenko–Pastur law to the eigenvalues of a sample
// covariance 2·XXᵀ/N with one planted spike: the population variance of
// the first coordinate is 36 times the others'.
func ExampleFitSpectrum() {
	const d, n = 200, 400
	r := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(d, n, nil)
	for i := 0; i < d; i++ {
		s := 1.0
		if i == 0 {
			s = 6
		}
		for j := 0; j < n; j++ {
			x.Set(i, j, r.NormFloat64()*s)
		}
	}
	var b mat.SymDense
	b.SymOuterK(2.0/n, x) // scale σ² = 2; the spike has variance 2·36
	var eig mat.EigenSym
	if !eig.Factorize(&b, false) {
		fmt.Println("eigendecomposition failed")
		return
	}
	fit, err := spectralfit.FitSpectrum(eig.Values(nil), spectralfit.Options{
		Model: spectralfit.MP, Gamma: float64(d) / n, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("σ² = %.1f, edge %.1f, spikes %d, KS < 0.05: %v\n",
		fit.Params[0], fit.Edge, fit.Spikes, fit.KS < 0.05)
	// Output:
	// σ² = 2.0, edge 5.8, spikes 1, KS < 0.05: true
}
