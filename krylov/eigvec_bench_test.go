package krylov

import "testing"

// BenchmarkTopEigenpairs: the top 5 eigenpairs of a 400×400 dense matrix
// with a random spectrum, block size 5.
func BenchmarkTopEigenpairs(b *testing.B) {
	a := lowRankPlus(400, nil, []float64{9, 8, 7, 6, 5}, 0.05, 1)
	for b.Loop() {
		if _, err := TopEigenpairs(dense(a), 400, 5, EigenpairOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHutchPlusPlus: 30 probes on a 400×400 dense matrix.
func BenchmarkHutchPlusPlus(b *testing.B) {
	a := lowRankPlus(400, nil, []float64{9, 8, 7, 6, 5}, 0.05, 1)
	for b.Loop() {
		if _, err := HutchPlusPlus(dense(a), 400, TraceOptions{Probes: 30, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
