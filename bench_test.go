package hessblock_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hessblock/hessblock/theory"
)

// --- theory ---
//
// Density evaluation on a 1000-point grid spanning the support; ns/op is the
// time per grid, points/s the evaluation rate.

const theoryGridPoints = 1000

func benchTheoryDensity(b *testing.B, law theory.SpectralLaw) {
	iv := law.Support()
	lo, hi := iv[0].Min, iv[len(iv)-1].Max
	grid := make([]float64, theoryGridPoints)
	for i := range grid {
		grid[i] = lo + (hi-lo)*(float64(i)+0.5)/theoryGridPoints
	}
	b.ResetTimer()
	sink := 0.0
	for i := 0; i < b.N; i++ {
		for _, x := range grid {
			sink += law.Prob(x)
		}
	}
	b.StopTimer()
	if math.IsNaN(sink) {
		b.Fatal("NaN density")
	}
	b.ReportMetric(float64(b.N*theoryGridPoints)/b.Elapsed().Seconds(), "points/s")
}

func BenchmarkTheoryMPDensity(b *testing.B) {
	benchTheoryDensity(b, theory.MarchenkoPastur{Ratio: 0.5, Scale: 1})
}

func BenchmarkTheoryGMPLogNormalDensity(b *testing.B) {
	law, err := theory.LinearCEDiagLaw(0.5, 1) // 100 Gauss–Hermite nodes
	if err != nil {
		b.Fatal(err)
	}
	benchTheoryDensity(b, law)
}

func BenchmarkTheoryGMPEmpiricalDensity(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	samples := make([]float64, 1000)
	for i := range samples {
		samples[i] = math.Exp(-0.5 + rng.NormFloat64())
	}
	law, err := theory.NewGeneralizedMP(0.5, theory.EmpiricalWeights{Samples: samples})
	if err != nil {
		b.Fatal(err)
	}
	benchTheoryDensity(b, law)
}

// --- end theory ---
