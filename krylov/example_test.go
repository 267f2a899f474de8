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

// Hutch++ and the top eigenpair of a rank-2 matrix 5·e₀e₀ᵀ + 2·e₁e₁ᵀ: six
// probes (two sketch vectors) capture its range, so the trace is exact, and
// the top eigenvector lies in the first block.
func ExampleTopEigenpairs() {
	const n = 50
	op := func(dst, v []float64) ([]float64, error) {
		if len(dst) != n {
			dst = make([]float64, n)
		}
		clear(dst)
		dst[0], dst[1] = 5*v[0], 2*v[1]
		return dst, nil
	}
	est, err := krylov.HutchPlusPlus(op, n, krylov.TraceOptions{Probes: 6, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	top, err := krylov.TopEigenpairs(op, n, 2, krylov.EigenpairOptions{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	mass, err := krylov.BlockMass(top.Vectors[0], []int{0, 25}, []int{25, 25})
	if err != nil {
		fmt.Println(err)
		return
	}
	pr, _ := krylov.ParticipationRatio(top.Vectors[0])
	fmt.Printf("trace %.6f, standard error below 1e-12: %v\n", est.Trace, est.StdErr < 1e-12)
	fmt.Printf("λ = %.6f, %.6f; block mass of v₁ %.3f %.3f; participation %.3f\n", top.Values[0], top.Values[1], mass[0], mass[1], pr)
	// Output:
	// trace 7.000000, standard error below 1e-12: true
	// λ = 5.000000, 2.000000; block mass of v₁ 1.000 0.000; participation 1.000
}
