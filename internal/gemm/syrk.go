package gemm

import "gonum.org/v1/gonum/blas"

// syrkTile is the tile edge of Dsyrk: diagonal tiles go through a
// syrkTile² buffer, the rest of each tile row is one Dgemm.
const syrkTile = 192

// Dsyrk computes the uplo triangle of C = alpha·A·Aᵀ + beta·C (trans =
// NoTrans, A n×k) or alpha·Aᵀ·A + beta·C (A k×n), as blas.Float64Level3,
// on the symmetric half only: each tile row is one Dgemm on the tiles
// strictly inside the triangle plus the diagonal tile, ≈ n²k + n·syrkTile·k
// multiply–adds instead of 2n²k. The other triangle is not referenced.
func (impl Implementation) Dsyrk(ul blas.Uplo, tA blas.Transpose, n, k int, alpha float64, a []float64, lda int, beta float64, c []float64, ldc int) {
	ok := validSyrk(ul, tA, n, k, a, lda, c, ldc)
	if !useAsm || !ok || alpha == 0 || n*n*k < 2*smallMin || n <= syrkTile/2 {
		if ok && beta == 0 {
			// gonum v0.17's Dsyrk (lower, transposed) scales C by β = 0,
			// keeping NaN; BLAS ignores C when β = 0.
			for i := 0; i < n; i++ {
				if ul == blas.Upper {
					clear(c[i*ldc+i : i*ldc+n])
				} else {
					clear(c[i*ldc : i*ldc+i+1])
				}
			}
		}
		impl.Implementation.Dsyrk(ul, tA, n, k, alpha, a, lda, beta, c, ldc)
		return
	}
	aT := tA != blas.NoTrans
	tL, tR := blas.NoTrans, blas.Trans // C_ij = A_i·A_jᵀ, A_i = rows i of A
	if aT {
		tL, tR = blas.Trans, blas.NoTrans // C_ij = A_iᵀ·A_j, A_i = columns i of A
	}
	off := func(i int) int {
		if aT {
			return i
		}
		return i * lda
	}
	tmp := make([]float64, syrkTile*syrkTile)
	for i0 := 0; i0 < n; i0 += syrkTile {
		i1 := min(i0+syrkTile, n)
		ti := i1 - i0
		// Off-diagonal part of the tile row.
		if ul == blas.Upper && i1 < n {
			impl.Dgemm(tL, tR, ti, n-i1, k, alpha, a[off(i0):], lda, a[off(i1):], lda, beta, c[i0*ldc+i1:], ldc)
		}
		if ul == blas.Lower && i0 > 0 {
			impl.Dgemm(tL, tR, ti, i0, k, alpha, a[off(i0):], lda, a[off(0):], lda, beta, c[i0*ldc:], ldc)
		}
		// Diagonal tile through the buffer, then its triangle into C.
		impl.Dgemm(tL, tR, ti, ti, k, alpha, a[off(i0):], lda, a[off(i0):], lda, 0, tmp, ti)
		for r := 0; r < ti; r++ {
			j0, j1 := r, ti
			if ul == blas.Lower {
				j0, j1 = 0, r+1
			}
			row := c[(i0+r)*ldc+i0+j0 : (i0+r)*ldc+i0+j1]
			src := tmp[r*ti+j0 : r*ti+j1]
			switch beta {
			case 0:
				copy(row, src)
			case 1:
				for j, v := range src {
					row[j] += v
				}
			default:
				for j, v := range src {
					row[j] = beta*row[j] + v
				}
			}
		}
	}
}

// validSyrk reports whether the arguments pass gonum's checks and n, k > 0.
func validSyrk(ul blas.Uplo, tA blas.Transpose, n, k int, a []float64, lda int, c []float64, ldc int) bool {
	if ul != blas.Upper && ul != blas.Lower || n <= 0 || k <= 0 {
		return false
	}
	switch tA {
	case blas.NoTrans:
		if lda < k || len(a) < (n-1)*lda+k {
			return false
		}
	case blas.Trans, blas.ConjTrans:
		if lda < n || len(a) < (k-1)*lda+n {
			return false
		}
	default:
		return false
	}
	return ldc >= n && len(c) >= (n-1)*ldc+n
}
