package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestDsyrk compares the uplo triangle with gonum's Dsyrk within the
// summation bound of check (2(k+2)ε·(|α|Σ|a||a| + |β||c|)), and checks
// that the other triangle (filled with NaN) and the ldc padding are not
// touched; β = 0 must overwrite NaN in the triangle.
func TestDsyrk(t *testing.T) {
	if !Available() {
		t.Skip("no AVX2+FMA: Dsyrk is gonum's")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	vals := []float64{0, 1, -1, 0.5}
	for _, ul := range []blas.Uplo{blas.Upper, blas.Lower} {
		for _, tA := range transposes {
			for _, sh := range [][2]int{{1, 5}, {97, 1}, {200, 33}, {401, 70}, {193, 300}, {385, 7}} {
				for _, alpha := range vals {
					for _, beta := range vals {
						n, k := sh[0], sh[1]
						ar, ac := n, k
						if tA == blas.Trans {
							ar, ac = k, n
						}
						lda, ldc := ac+2, n+3
						a := make([]float64, ar*lda)
						for i := range a {
							a[i] = rng.NormFloat64()
						}
						c0 := make([]float64, n*ldc)
						for i := 0; i < n; i++ {
							for j := 0; j < ldc; j++ {
								inTri := j < n && (ul == blas.Upper && j >= i || ul == blas.Lower && j <= i)
								switch {
								case !inTri:
									c0[i*ldc+j] = math.NaN()
								case beta == 0:
									c0[i*ldc+j] = math.NaN()
								default:
									c0[i*ldc+j] = rng.NormFloat64()
								}
							}
						}
						c := append([]float64(nil), c0...)
						ref := append([]float64(nil), c0...)
						if beta == 0 { // gonum keeps NaN there in one case (syrk.go)
							for i := range ref {
								if math.IsNaN(ref[i]) {
									ref[i] = 0
								}
							}
						}
						Implementation{}.Dsyrk(ul, tA, n, k, alpha, a, lda, beta, c, ldc)
						gonum.Implementation{}.Dsyrk(ul, tA, n, k, alpha, a, lda, beta, ref, ldc)
						at := func(i, l int) float64 {
							if tA == blas.Trans {
								return a[l*lda+i]
							}
							return a[i*lda+l]
						}
						for i := 0; i < n; i++ {
							for j := 0; j < ldc; j++ {
								got, want, orig := c[i*ldc+j], ref[i*ldc+j], c0[i*ldc+j]
								inTri := j < n && (ul == blas.Upper && j >= i || ul == blas.Lower && j <= i)
								if !inTri {
									if math.Float64bits(got) != math.Float64bits(orig) {
										t.Fatalf("ul=%c tA=%c n=%d k=%d: C[%d,%d] outside the triangle changed", ul, tA, n, k, i, j)
									}
									continue
								}
								var s float64
								for l := 0; l < k; l++ {
									s += math.Abs(at(i, l) * at(j, l))
								}
								bound := math.Abs(alpha) * s
								if beta != 0 {
									bound += math.Abs(beta * orig)
								}
								if d := math.Abs(got - want); !(d <= 2*float64(k+2)*0x1p-52*bound) {
									t.Fatalf("ul=%c tA=%c n=%d k=%d α=%g β=%g: C[%d,%d] = %v, gonum %v", ul, tA, n, k, alpha, beta, i, j, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
}
