// Package spectralfit fits limit spectral laws — Marchenko–Pastur and
// generalized Marchenko–Pastur (package theory) — to an empirical
// spectrum, such as the eigenvalues of a scaled Hessian block, and counts
// the eigenvalues beyond the fitted edge (spikes).
//
// A fit names a Model at a known ratio γ = d/N and a Method:
//
//	fit, err := spectralfit.FitSpectrum(eigs, spectralfit.Options{
//		Model: spectralfit.MP, Gamma: 0.5, Method: spectralfit.MinKS, Seed: 1})
//	// fit.Params[0] is σ², fit.StdErr[0] its bootstrap error, fit.KS the
//	// Kolmogorov–Smirnov distance, fit.Spikes the eigenvalues beyond
//	// fit.Edge + fit.Margin.
//
// MP has the free scale σ²; GMPLogNormal the parameters (μ, s) of
// log-normal weights τ = exp(μ + s·g), s explored up to 3; GMPTwoPoint a
// two-point weight law (Low, High, P). MinKS minimizes the
// Kolmogorov–Smirnov distance and is the robust default; MaxLikelihood
// maximizes a likelihood made robust to eigenvalues beyond the support by
// a 1/n uniform contamination. Both run gonum's Nelder–Mead
// (gonum.org/v1/gonum/optimize) from moment estimates on a tabulation of
// the law's density, rebuilt at every evaluation.
//
// Spikes — eigenvalues beyond the fitted edge by more than c Tracy–Widom
// scales (Fit.Margin) — are set aside and the bulk refitted, so that a few
// outliers neither widen the law nor, in MinKS, leave the distance on a
// plateau. Zero eigenvalues (within 1e-10·max|λ|) are the atom of a law at
// γ > 1, whose mass does not depend on the parameters: the fit uses the
// nonzero ones.
//
// # Failure is an error, not a number
//
// Bad input (fewer than MinEigenvalues eigenvalues, non-finite ones, γ ≤ 0,
// unknown models or methods) is an error. A fit that does not converge —
// the optimizer stops at its evaluation cap, on a plateau of the objective,
// or at the border of the model's parameters — returns a nil Fit and an
// error wrapping ErrNotConverged. A returned Fit always has Converged set.
//
// # Cost
//
// An MP evaluation is O(n + 80) closed-form work; a GMP evaluation solves
// the GMP equation at about 80 points on the main support interval and 8
// on each island of the discretized weight law (milliseconds). A fit takes
// a few hundred evaluations, and the bootstrap repeats it Bootstrap times
// (32 by default): well under a second for MP at n = 1000, tens of seconds
// for GMP.
//
// The package imports theory (the laws) and gonum; it does not import
// numerics, so a fit checks measured spectra against laws it shares no
// code with.
package spectralfit
