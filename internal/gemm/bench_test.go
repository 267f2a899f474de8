package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BenchmarkDgemm reports GFLOP/s (2mnk/t) of this package's Dgemm and of
// gonum's pure-Go Dgemm side by side, C = A·B (or A·Aᵀ for the Gram):
//
//	go test -run '^$' -bench Dgemm -count 5 ./internal/gemm
func BenchmarkDgemm(b *testing.B) {
	type shape struct {
		name    string
		tB      blas.Transpose
		m, n, k int
	}
	shapes := []shape{
		{"sq128", blas.NoTrans, 128, 128, 128},
		{"sq256", blas.NoTrans, 256, 256, 256},
		{"sq512", blas.NoTrans, 512, 512, 512},
		{"sq1024", blas.NoTrans, 1024, 1024, 1024},
		// hessblock shapes: logits N×d · d×C, the Gram N×N = X·Xᵀ.
		{"NxdxC_512x128x1024", blas.NoTrans, 512, 1024, 128},
		{"Gram_512x512x128", blas.Trans, 512, 512, 128},
		{"Gram_1024x1024x128", blas.Trans, 1024, 1024, 128},
	}
	impls := []struct {
		name string
		impl blas.Float64Level3
	}{{"hessblock", Implementation{}}, {"gonum", gonum.Implementation{}}}
	for _, s := range shapes {
		rng := rand.New(rand.NewPCG(1, 1))
		a := make([]float64, s.m*s.k)
		bb := make([]float64, s.k*s.n)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range bb {
			bb[i] = rng.NormFloat64()
		}
		if s.tB == blas.Trans && s.m == s.n {
			bb = a // Gram: B = A, op(B) = Aᵀ
		}
		ldb := s.n
		if s.tB == blas.Trans {
			ldb = s.k
		}
		c := make([]float64, s.m*s.n)
		for _, im := range impls {
			b.Run(fmt.Sprintf("%s/%s", s.name, im.name), func(b *testing.B) {
				for b.Loop() {
					im.impl.Dgemm(blas.NoTrans, s.tB, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)/sec/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkDsyrk: the Gram C = A·Aᵀ (A n×k) through Dsyrk (upper half),
// this package's and gonum's; GFLOP/s counted as the full product 2n²k, so
// that they compare with BenchmarkDgemm's Gram rows.
func BenchmarkDsyrk(b *testing.B) {
	for _, s := range [][2]int{{512, 128}, {1024, 128}} {
		n, k := s[0], s[1]
		rng := rand.New(rand.NewPCG(1, 1))
		a := make([]float64, n*k)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		c := make([]float64, n*n)
		for _, im := range []struct {
			name string
			impl blas.Float64Level3
		}{{"hessblock", Implementation{}}, {"gonum", gonum.Implementation{}}} {
			b.Run(fmt.Sprintf("Gram_%dx%d/%s", n, k, im.name), func(b *testing.B) {
				for b.Loop() {
					im.impl.Dsyrk(blas.Upper, blas.NoTrans, n, k, 1, a, k, 0, c, n)
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(2*float64(n)*float64(n)*float64(k)/sec/1e9, "GFLOP/s")
			})
		}
	}
}
