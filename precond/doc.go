// Package precond measures what a structured approximation B of a Hessian
// H is worth as a preconditioner — the quantitative side of Adam-mini's
// bet that per-neuron blocks of H are enough.
//
// An Approximation is one of
//
//   - BlockDiagonal: blockdiag(H) over index ranges, one block per neuron
//     (the Start and Size of numerics.Layout's blocks) or per layer;
//   - KFAC: one Kronecker-factored block Output ⊗ Input per layer, from
//     factors the model code computes (Factor);
//   - Diagonal: diag(H);
//   - Identity: no preconditioning, the baseline.
//
// Each is built once (block or factor eigendecompositions) and then applied
// as krylov.Operators: B itself and, for a damping λ > 0, the preconditioner
// S = (|B| + λI)^{−1/2}. |B| takes the absolute values of B's eigenvalues,
// as saddle-free Newton does: a Hessian can be indefinite (the MLP's is),
// and S must exist anyway. Identity's S is I.
//
// Quality then reports the extreme eigenvalues of
//
//	M = S·(H + λI)·S,
//
// found by krylov.Lanczos on the operator v ↦ S(H + λI)S v (no inverse is
// formed), its condition number λmax(M)/λmin(M) when λmin(M) > 0 — NaN with
// a reason otherwise, since an indefinite H + λI has no meaningful one —
// the relative error ‖H − B‖_F/‖H‖_F (RelativeError for a dense H,
// EstimateRelativeError matrix-free) and, on request, the SLQ density of
// M's spectrum. A perfect preconditioner of a positive-definite H gives
// M = I, condition 1. The damping is a modelling choice; DefaultDamping
// takes DefaultDampingFactor·λmax(H) = 1e−3·λmax(H).
//
//	blocks := make([]precond.Range, len(layout.Blocks))
//	for i, b := range layout.Blocks {
//		blocks[i] = precond.Range{Start: b.Start, Size: b.Size}
//	}
//	bd, err := precond.NewBlockDiagonal(h, blocks) // h: the dense H
//	lambda, err := precond.DefaultDamping(hv, p, seed) // hv: H as a krylov.Operator
//	res, err := precond.Quality(hv, bd, lambda, precond.Options{Dense: h})
//	fmt.Println(res.Condition, res.RelError)
//
// # Cost
//
// One product with M costs one H·v plus two applications of S:
// O(Σ b_i²) for blocks of sizes b_i, O(Σ out·in·(out + in)) for KFAC
// layers, O(P) for the diagonal — against O(P²) for a dense H·v
// (BenchmarkApply in the tests compares them).
//
// The package imports krylov, gonum and internal/membudget (every
// allocation that grows with P is checked against the memory budget
// first), not numerics or theory: callers pass H as a matrix or an
// operator and the ranges as plain index ranges.
package precond
