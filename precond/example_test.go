package precond_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/precond"
)

// Two neurons of two parameters each, weakly coupled: the per-neuron
// block-diagonal preconditioner leaves a condition number near 1, the
// diagonal one does less well, and no preconditioning keeps H's own.
func ExampleQuality() {
	h := mat.NewSymDense(4, []float64{
		2.0, 0.5, 0.1, 0.0,
		0.5, 1.0, 0.0, 0.1,
		0.1, 0.0, 3.0, 1.0,
		0.0, 0.1, 1.0, 2.0,
	})
	hv := func(dst, v []float64) ([]float64, error) {
		if len(dst) != 4 {
			dst = make([]float64, 4)
		}
		mat.NewVecDense(4, dst).MulVec(h, mat.NewVecDense(4, v))
		return dst, nil
	}
	damping, err := precond.DefaultDamping(hv, 4, 1) // 1e-3·λmax(H)
	if err != nil {
		fmt.Println(err)
		return
	}
	neurons, _ := precond.NewBlockDiagonal(h, []precond.Range{{Start: 0, Size: 2}, {Start: 2, Size: 2}})
	diag, _ := precond.DiagonalOf(h)
	none, _ := precond.NewIdentity(4)
	for _, b := range []precond.Approximation{precond.Named(neurons, "per-neuron"), diag, none} {
		res, err := precond.Quality(hv, b, damping, precond.Options{Seed: 1, Dense: h})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-10s  ‖H−B‖/‖H‖ = %.3f  spectrum of M [%.3f, %.3f]  condition %.2f\n", res.Name, res.RelError, res.LambdaMin, res.LambdaMax, res.Condition)
	}
	// Output:
	// per-neuron  ‖H−B‖/‖H‖ = 0.044  spectrum of M [0.905, 1.095]  condition 1.21
	// diagonal    ‖H−B‖/‖H‖ = 0.352  spectrum of M [0.558, 1.442]  condition 2.59
	// identity    ‖H−B‖/‖H‖ = 0.645  spectrum of M [0.780, 3.629]  condition 4.65
}

// A layer of two neurons with two inputs whose Hessian block is exactly
// Output ⊗ Input (neuron-major θ: W[0,0], W[0,1], W[1,0], W[1,1]): KFAC
// then preconditions it perfectly, without forming the 4×4 inverse.
func ExampleNewKFAC() {
	output := mat.NewSymDense(2, []float64{2, 0.5, 0.5, 1})
	input := mat.NewSymDense(2, []float64{1, 0.25, 0.25, 3})
	h := mat.NewSymDense(4, nil)
	for i := 0; i < 2; i++ {
		for j := 0; j < 2; j++ {
			for k := 0; k < 2; k++ {
				for l := 0; l < 2; l++ {
					h.SetSym(2*i+j, 2*k+l, output.At(i, k)*input.At(j, l))
				}
			}
		}
	}
	hv := func(dst, v []float64) ([]float64, error) {
		if len(dst) != 4 {
			dst = make([]float64, 4)
		}
		mat.NewVecDense(4, dst).MulVec(h, mat.NewVecDense(4, v))
		return dst, nil
	}
	kfac, err := precond.NewKFAC(4, []precond.Factor{{Start: 0, Output: output, Input: input}})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := precond.Quality(hv, kfac, 1e-3, precond.Options{Seed: 1, Dense: h})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("‖H−B‖/‖H‖ = %.3f, condition %.6f\n", res.RelError, res.Condition)
	// Output:
	// ‖H−B‖/‖H‖ = 0.000, condition 1.000000
}
