package numerics

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// gramSquared returns the elementwise square of F Fᵀ (N×N, full).
func gramSquared(feat []float64, n, f int) []float64 {
	g := make([]float64, n*n)
	syrkUpper(g, n, feat, f, f, 0)
	symmetrizeSquare(g, n, func(v float64) float64 { return v * v })
	return g
}

// symmetrizeSquare applies fn to the upper triangle of the N×N matrix a and
// mirrors it to the lower triangle.
func symmetrizeSquare(a []float64, n int, fn func(float64) float64) {
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			v := fn(a[i*n+j])
			a[i*n+j], a[j*n+i] = v, v
		}
	}
}

// upperContract returns Σ_{n,n'} a_{nn'} b_{nn'} for symmetric a (full) and
// b (upper triangle valid).
func upperContract(a, b []float64, n int) float64 {
	var s float64
	for i := 0; i < n; i++ {
		s += a[i*n+i] * b[i*n+i]
		var r float64
		for j := i + 1; j < n; j++ {
			r += a[i*n+j] * b[i*n+j]
		}
		s += 2 * r
	}
	return s
}

// quadForm returns aᵀ M b for the N×N matrix m.
func quadForm(m, a, b []float64, n int) float64 {
	var s float64
	for i := 0; i < n; i++ {
		if a[i] == 0 {
			continue
		}
		var r float64
		row := m[i*n : (i+1)*n]
		for j, v := range row {
			r += v * b[j]
		}
		s += a[i] * r
	}
	return s
}

func sum(a []float64) float64 {
	var s float64
	for _, v := range a {
		s += v
	}
	return s
}

// parallelRows splits [0, n) into one contiguous range per worker.
func parallelRows(n int, fn func(i0, i1 int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 || n < 64 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for i0 := 0; i0 < n; i0 += step {
		wg.Add(1)
		go func(i0, i1 int) {
			defer wg.Done()
			fn(i0, i1)
		}(i0, min(i0+step, n))
	}
	wg.Wait()
}

// syrkTile is the tile edge of syrkUpper.
const syrkTile = 256

// syrkUpper sets the upper triangle of c (N×N, row-major) to
// a aᵀ + beta·c, with a N×k of stride lda. It runs as GEMMs on the upper
// tiles, which the BLAS parallelizes (gonum's Dsyrk is a serial loop);
// entries below the diagonal inside diagonal tiles are written too and must
// be ignored.
func syrkUpper(c []float64, n int, a []float64, k, lda int, beta float64) {
	if k == 0 {
		if beta != 1 {
			for i := range c[:n*n] {
				c[i] *= beta
			}
		}
		return
	}
	for i0 := 0; i0 < n; i0 += syrkTile {
		i1 := min(i0+syrkTile, n)
		ai := blas64.General{Rows: i1 - i0, Cols: k, Stride: lda, Data: a[i0*lda:]}
		// One GEMM for the whole tile row right of the diagonal keeps the
		// products large.
		aj := blas64.General{Rows: n - i0, Cols: k, Stride: lda, Data: a[i0*lda:]}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, ai, aj, beta, blas64.General{Rows: i1 - i0, Cols: n - i0, Stride: n, Data: c[i0*n+i0:]})
	}
}
