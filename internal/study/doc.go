// Package study reproduces the hessblock study end to end: it measures
// block statistics of Hessians at random initialization over a grid of
// class counts C, models and losses, computes block spectra, compares them
// with the laws of THEORY §4 and assembles a report.Document with figures
// and tables.
//
// # What is computed
//
// Grid: for the linear model (MSE and CE at σ > 0, CE at σ = 0) and the
// one-hidden-layer ReLU network (MSE and CE), for C = 2, 4, …, CMax and
// Seeds seeds, R per block family and the off-block mass ρ at
// initialization come from numerics.StructuredStats, which sums the
// squared block norms through Gram identities without forming H (equal to
// the dense statistics to round-off; O(N²·C) per linear point), so the
// grid reaches C = 1024 where P is in the hundred thousands. The spectral
// norms of one diagonal and one off-diagonal block per family in the
// records come from single blocks. The records are rounded to nine
// significant digits because the network's hidden–output sum is reduced
// across goroutines in completion order (last-bit differences between
// runs); the heatmaps form small dense Hessians.
//
// Exponents: the slope of log R (or log ρ) against log C is fitted by
// least squares over all seeds at C ≥ FitCMin, with a 95% Student-t
// interval from the residuals. It is reported beside the asymptotic
// exponent of THEORY §4 and, where a finite-C theory curve exists, beside
// that curve's own slope over the same C, since e.g. R = 1/(C−1) has a
// slope steeper than −1 at small C.
//
// Limit constants: C·R and C·ρ (linear CE), (C+2)·R² (MLP MSE hidden) and
// √C·R (hidden, CE) at the largest C, mean ± standard deviation over seeds,
// beside the predicted limits.
//
// Finite-size prediction for linear CE. theory.LinearCEFiniteSize gives
// E‖H_kk‖² and E‖H_kl‖² at the grid's C, d, N exactly up to Monte Carlo
// error: E‖H‖² = (1/N)E[w²‖x‖⁴] + (1−1/N)E[w(Wx)w(Wx')(xᵀx')²] over the
// weights, the samples and W jointly, with diagonal weights p_k(1−p_k) and
// off-diagonal ones p_k p_l, p = softmax(Wx). R_C is the square root of
// their ratio and ρ_C = (C−1)R_C² / ((C−1)R_C² + 1). Unlike the
// weights-independent-of-x equivalent (theory.LinearCEFiniteC, d → ∞), it
// keeps the logit scale's dependence on ‖x‖² and the shared W, worth
// ≈ 3σ⁴/d in C·R (SCIENCE.md, finding B). As C → ∞ and d → ∞, C·R_C tends
// to sqrt((1+γe^{2σ²})/(1+γe^{σ²})) (THEORY §4); at σ = 0, R_C = 1/(C−1).
//
// Network laws. The ReLU network's CE hidden–hidden curve is
// theory.MLPCEHidden and its hidden–output curve theory.MLPCECross, whose
// residual term keeps R from decaying at large C (SCIENCE.md, finding A).
//
// Spectra: for linear CE at a larger d, a few diagonal blocks H_kk and
// off-diagonal blocks H_kl are formed one at a time (numerics
// Problem.Block) and their eigenvalues pooled. Scaled as C·H_kk and −C²·H_kl
// they follow GMP(γ, ν) with ν the law of C p_k(1−p_k), resp. C² p_k p_l:
// drawn from the problem's own logits for the finite-C curve, log-normal in
// the limit C → ∞ (THEORY §4); at σ = 0 both scaled blocks equal S and
// follow MP(γ).
package study
