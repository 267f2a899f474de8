// Package numerics computes finite-size Hessians of the models of the
// hessblock study and their block statistics.
//
// # Models and conventions
//
// A Problem holds data X (N×d, one sample x_n per row), labels y_n ∈ [0, C)
// and parameters. The linear model is f(x) = W x with W ∈ R^{C×d} and
// W_kj ~ N(0, σ²/d); the one-hidden-layer network (MLP) is f(x) = V φ(W x)
// with W ∈ R^{m×d}, V ∈ R^{C×m}, W_ij ~ N(0, σ_w²/d), V_ki ~ N(0, σ_v²/m),
// φ ∈ {identity, ReLU, tanh}, no biases. The loss is the sample mean of
// MSE ½‖z − e_y‖² or cross-entropy −z_y + log Σ_k e^{z_k}, the latter via a
// max-shifted log-sum-exp so that logits of any finite size stay finite.
//
// The parameter vector θ is W row by row, then V row by row. Each row is
// one block ("one block per neuron"): W[k] (linear, output kind), or W[i]
// (hidden) and V[k] (output) for the MLP. Layout names the blocks and their
// ranges; pairs of blocks fall in the families hidden–hidden,
// output–output and hidden–output.
//
// # Hessians
//
// With residual r_n = ∇_z ℓ and loss curvature A_n = ∇²_z ℓ (I for MSE,
// diag(p) − p pᵀ for CE), the Hessian is Gauss–Newton plus residual,
//
//	H = (1/N) Σ_n [ J_nᵀ A_n J_n + Σ_k r_nk ∇²f_k(x_n) ].
//
// Every block family has the form (1/N) Σ_n c_n[a,b] · g_n h_nᵀ for per-sample
// features g, h ∈ {x, φ(u)} and scalar coefficients c_n[a,b]:
//
//	linear, H_kl:        c = A_n[k,l],                                  g = h = x
//	MLP, H_{w_i w_j}:    c = (VᵀA_nV)_ij φ'_i φ'_j + δ_ij φ''_i (Vᵀr_n)_i,  g = h = x
//	MLP, H_{v_k v_l}:    c = A_n[k,l],                                  g = h = φ(u)
//	MLP, H_{w_i v_l}:    c = φ'_i (A_n V)_{li},  g = x, h = φ(u),  plus (1/N) Σ_n r_nl φ'_ni x_n e_iᵀ
//
// Hessian computes the upper triangle only, O(P²N) flops in GEMM shape.
// Families with the same features on both sides (linear; MLP hidden–hidden
// and output–output) are one product over packed index pairs,
// Hp[(a,b), (i,j)] = (1/N) Σ_n c_n[a,b] g_ni g_nj, about N·P²/4
// multiply–adds; the hidden–output family is assembled one block row at a
// time as F_aᵀ Z_a with Z_a[n, (b, j)] = c_n[a,b] h_nj, in chunks of
// samples and in parallel over block rows. HessVec applies H without
// forming it by differentiating the gradient along a direction
// (Pearlmutter's R-operator), O(N·P).
//
// For CE, A_n has zero row sums, so Σ_l H_kl = 0 for the linear model and H
// is PSD with a null space of dimension ≥ d. At W = 0, p = 1/C and
// H = (I/C − 11ᵀ/C²) ⊗ S, so every diagonal block is (C−1)/C²·S and every
// off-diagonal one −S/C²: R = 1/(C−1) and ρ = C(C−1)/C⁴ / (C(C−1)/C⁴ +
// C(C−1)²/C⁴) = 1/C exactly.
//
// # Block statistics
//
// For a family F, R_F = sqrt(mean_{a≠b} ‖H_ab‖_F² / mean_a ‖H_aa‖_F²) (for
// hidden–output the denominator is the geometric mean of the two kinds'
// diagonal means), and ρ = ‖H − blockdiag(H)‖_F² / ‖H‖_F².
//
// # Without forming H
//
// Problem.Block computes one block from a forward pass, O(N·P), plus
// O(N·size_a·size_b). StructuredStats computes R per family, ρ, every
// diagonal block norm and the norms of chosen pairs exactly from Gram
// identities: since every block is (1/N) Σ_n c_n[a,b] g_n h_nᵀ,
// ‖H_ab‖_F² = (1/N²) Σ_{n,n'} c_n[a,b] c_n'[a,b] (g_n·g_n')(h_n·h_n'), and
// summing over pairs turns the sums over blocks into N×N matrices made by
// GEMMs (structured.go derives each family). For the linear model the cost
// is about 2·N²·C multiply–adds (1.5·N²·C without the per-block norms) with
// O(N²) memory, so C = 10⁵ is reachable where P² would not fit; for the MLP
// it is O(m·N²·C). Its work arrays are bounded like the dense Hessian
// (Problem.MaxStructuredBytes, 16 GiB by default, else a
// *StructuredTooLargeError). When the softmax is saturated at every sample
// (1 − max_k p_nk ≲ 1e-4) the output–output identity cancels terms of size
// 1 down to the size of H and StructuredStats returns an error rather than
// digits of rounding.
//
// Lanczos (with full or no reorthogonalization) gives extreme eigenvalues
// of any Operator — HessVecOperator, BlockDiagVecOperator (blockdiag(H)·v)
// or OffBlockVecOperator ((H − blockdiag(H))·v) — and SLQ the spectral
// density by stochastic Lanczos quadrature: Rademacher probes drawn from a
// seed, Gauss nodes and weights from each probe's tridiagonal matrix.
//
// # Training
//
// Train runs GD, SGD (optional momentum) or Adam from an explicit seed
// (minibatches are drawn without replacement within an epoch) and records
// at chosen checkpoints the loss, accuracy, gradient norm and the block
// statistics. ComputeHessianStats is their single entry point: dense H for
// small P, StructuredStats otherwise (StatsAuto), or a seeded sample of
// blocks with standard errors (StatsSampled), and optionally the largest
// eigenvalues by Lanczos with full reorthogonalization.
//
// # Export
//
// ExportNPY writes a problem (data, labels, weights, layout, config) and
// optionally its Hessian as NumPy .npy and JSON files for analysis outside
// Go, each written to a temporary file and renamed into place.
//
// # Checks
//
// GradientFD and HessianFD are Richardson-extrapolated central differences
// (truncation O(h⁴)); HessianFD differentiates the analytic gradient and is
// not symmetrized, so an asymmetric Hessian is caught.
//
// # Errors
//
// Bad input is an error, never a panic or a silent NaN: Config.Validate
// reports every invalid field (wrapping ErrInvalidConfig), data and
// parameters must be finite, a dense Hessian that would exceed
// Problem.MaxDenseBytes (2 GiB by default) is refused with a
// *DenseTooLargeError naming the structured alternatives, and a result
// that overflows float64 (enormous but finite parameters or data) is an
// error from every method that returns one. Methods without an error
// result (Loss, Gradient, …) panic with a clear message only on a nil or
// zero Problem, which the constructors never return.
package numerics
