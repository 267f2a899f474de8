// Package krylov estimates the spectrum of a symmetric operator known only
// through matrix–vector products: the extreme eigenvalues by Lanczos and
// the spectral density by stochastic Lanczos quadrature (SLQ).
//
// An Operator is a function computing A·v, so a Hessian of millions of
// parameters is handled through Hessian–vector products without being
// formed. The package imports nothing of hessblock; numerics supplies the
// Hessian operators.
//
// # Traces, diagonals and eigenvectors
//
// Hutchinson and HutchPlusPlus estimate tr(A) from Rademacher probes, each
// with a standard error from the spread of its probes (Hutch++ deflates
// the top of the spectrum with a sketch first, so on matrices with a few
// large eigenvalues its error falls as 1/m rather than 1/√m); Diagonal
// estimates diag(A) with per-entry standard errors. TopEigenpairs returns
// the k largest (or smallest) eigenvalues with orthonormal eigenvectors and
// their residuals ‖Av − λv‖; BlockMass and ParticipationRatio say how an
// eigenvector spreads over blocks and entries:
//
//	est, err := krylov.HutchPlusPlus(op, n, krylov.TraceOptions{Probes: 30, Seed: 1})
//	top, err := krylov.TopEigenpairs(op, n, 5, krylov.EigenpairOptions{Seed: 1})
//	mass, err := krylov.BlockMass(top.Vectors[0], starts, sizes)
//
// Costs in operator products: Hutchinson and Diagonal m (= Probes),
// Hutch++ m plus O(n·m²) arithmetic, TopEigenpairs its Krylov dimension
// (reported as Applications) plus O(n·dim) per product for
// reorthogonalization; TopEigenpairsBytes gives its memory before the call.
//
// # Errors
//
// Invalid options (negative sizes, an unknown Reorth, a non-finite
// tolerance) and numerical failure (an operator returning NaN or ±Inf, a
// tridiagonal eigendecomposition that does not converge) are errors.
// Lanczos that stops at MaxIter before its tolerance returns its best
// estimates together with an error wrapping ErrNotConverged.
package krylov
