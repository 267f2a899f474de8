package krylov_test

import (
	"fmt"

	"github.com/hessblock/hessblock/krylov"
)

// Lanczos finds the extreme eigenvalues of the tridiagonal matrix with 2 on
// the diagonal and −1 beside it, given only its products with vectors.
func ExampleLanczos() {
	const n = 20
	op := func(dst, v []float64) ([]float64, error) {
		if len(dst) != n {
			dst = make([]float64, n)
		}
		for i := range v {
			dst[i] = 2 * v[i]
			if i > 0 {
				dst[i] -= v[i-1]
			}
			if i < n-1 {
				dst[i] -= v[i+1]
			}
		}
		return dst, nil
	}
	ext, err := krylov.Lanczos(op, n, krylov.LanczosOptions{Seed: 1, Reorth: krylov.ReorthFull})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The exact extremes are 2 ∓ 2cos(π/21).
	fmt.Printf("λmin = %.6f, λmax = %.6f\n", ext.Min, ext.Max)
	// Output:
	// λmin = 0.022338, λmax = 3.977662
}
