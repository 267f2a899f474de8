package spectralfit

import "testing"

// BenchmarkFitSpectrumMP: one MP fit of 400 eigenvalues with 8 bootstrap
// refits.
func BenchmarkFitSpectrumMP(b *testing.B) {
	eigs := wishart(400, 800, 1, nil, nil, 1)
	for b.Loop() {
		if _, err := FitSpectrum(eigs, Options{Model: MP, Gamma: 0.5, Bootstrap: 8}); err != nil {
			b.Fatal(err)
		}
	}
}
