package inspect_test

import (
	"fmt"
	"io"

	"github.com/hessblock/hessblock/internal/inspect"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// The linear model's Hessian is its Gauss–Newton matrix, and one block per
// layer is all of H: the per-layer preconditioner is exact (condition 1).
func ExampleAnalyze() {
	p, err := numerics.NewProblem(numerics.Config{Model: kind.Linear, Loss: kind.CE, C: 4, D: 6, N: 40, Sigma: 1, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := inspect.Measure(p, io.Discard)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := inspect.Analyze(p, &res, inspect.Options{Curvature: true, Precond: true, Eigvecs: 1, Seed: 1}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("‖Hres‖_F = %g, ρ(H) = %.6f, ρ(G) = %.6f\n", res.Residual.Frobenius, res.Rho, res.GaussNewton.Rho)
	for _, r := range res.Preconditioners {
		if r.Name == "per-layer" {
			fmt.Printf("per-layer condition %.6f\n", r.Condition)
		}
	}
	fmt.Printf("top eigenvector: %d blocks, mass on output %.3f\n", len(res.Eigvecs[0].BlockMass), res.Eigvecs[0].LayerMass[0].Mass)
	// Output:
	// ‖Hres‖_F = 0, ρ(H) = 0.259222, ρ(G) = 0.259222
	// per-layer condition 1.000000
	// top eigenvector: 4 blocks, mass on output 1.000
}
