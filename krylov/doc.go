// Package krylov estimates the spectrum of a symmetric operator known only
// through matrix–vector products: the extreme eigenvalues by Lanczos and
// the spectral density by stochastic Lanczos quadrature (SLQ).
//
// An Operator is a function computing A·v, so a Hessian of millions of
// parameters is handled through Hessian–vector products without being
// formed. The package imports nothing of hessblock; numerics supplies the
// Hessian operators.
//
// # Errors
//
// Invalid options (negative sizes, an unknown Reorth, a non-finite
// tolerance) and numerical failure (an operator returning NaN or ±Inf, a
// tridiagonal eigendecomposition that does not converge) are errors.
// Lanczos that stops at MaxIter before its tolerance returns its best
// estimates together with an error wrapping ErrNotConverged.
package krylov
