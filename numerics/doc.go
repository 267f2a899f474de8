// Package numerics computes finite-size Hessians of the models of the
// hessblock study and their block statistics. The derivations behind the
// code are in THEORY.md (THEORY §N in comments).
//
// # Problems
//
// A Problem is one instance: data X (N×d, one sample per row), labels in
// [0, C) and parameters. NewProblem draws everything from Config.Seed
// (Gaussian data from datasets.Gaussian, THEORY §1); NewProblemWithData
// takes the caller's data. Config selects the model — linear f(x) = W x or
// the one-hidden-layer MLP f(x) = V φ(W x) (kind.Linear, kind.MLP), the
// activation and the loss (kind.MSE, kind.CE) — and the sizes. The
// parameter vector θ is W row by row, then V row by row; each row is one
// block, and Layout names the blocks, their kinds and their families.
//
//	p, err := numerics.NewProblem(numerics.Config{Model: kind.Linear, Loss: kind.CE, C: 10, D: 50, N: 500, Sigma: 1, Seed: 1})
//	loss, grad := p.LossGradient(nil)
//	probs := p.Probabilities() // N×C softmax (CE only)
//
// # Deep networks and biases
//
// Config.Depth (L = 1 … MaxDepth weight layers, mlp from 2) and Config.Bias
// (or LayerBias, HiddenWidths for loaded models) select the network
//
//	f(x) = W_L φ(W_{L−1} φ(… φ(W_1 x + b_1) …) + b_{L−1}) + b_L,
//
// φ ∈ {identity, relu, tanh, gelu} (gelu the exact erf form, for every
// depth), W_l of shape h_l × h_{l−1} like PyTorch's nn.Linear.weight. θ runs layer
// by layer, neuron by neuron, each neuron's block being its weight row
// followed by its bias; Weights, Biases and SetLayers read and install
// the layers. Blocks keep the names W[i] and V[k] for L ≤ 2 and are W1[i],
// …, WL[k] beyond, with Block.Layer the layer; the families are those of
// L ≤ 2 (hidden–hidden, output–output, hidden–output) or the layer pairs
// Lp-Lq (kind.LayerPair), a cross-layer family normalized like
// hidden–output. Hidden layers start at N(0, σ_w²/h_{l−1}), the last at
// N(0, σ_v²/h_{L−1}), biases at 0.
//
// The models without biases of one or two layers keep their specialized
// engine; every other configuration goes through the general one, whose
// costs per evaluation are: loss and gradient O(N·P); H·v by the
// R-operator O(N·P); a single block O(N·(P + C·Σh_l) + N·size_a·size_b);
// the dense Hessian O(N·P²) multiply–adds (one GEMM-shaped Gram product per
// pair of layers, the cross-layer ones twice for their residual term) plus
// per-sample Jacobians O(N·C·Σ_{p<q} h_p h_q) in memory N·C·Σh_l. The
// structured statistics exist only for L = 1 — with a bias, the linear
// model on inputs augmented by a constant 1 — and for the one-hidden-layer
// MLP without biases; for other networks StructuredStats and Measure with
// StatsStructured return an error naming the dense and sampled methods,
// and StatsAuto falls back to StatsSampled when H does not fit.
//
// For every model, GaussNewton and Residual split H = G + Hres into the
// Gauss–Newton part (1/N) Σ J_nᵀ A_n J_n and the residual part
// (1/N) Σ_n Σ_k r_nk ∇²z_nk (zero for the linear model), dense or as
// operators (GaussNewtonVec, ResidualVec); KFACFactors gives the type-2
// KFAC factors of each layer's G block.
//
// # Hessians
//
// Hessian forms H (upper triangle, GEMM-shaped) when it fits
// Problem.MaxDenseBytes; Block computes one block H_ab, and HessVec,
// HessVecOperator, BlockDiagVecOperator and OffBlockVecOperator apply H,
// blockdiag(H) and H − blockdiag(H) to vectors, all without forming H. The
// operators are krylov.Operators, so krylov.Lanczos and krylov.SLQ give
// the extreme eigenvalues and the spectral density of each;
// ExtremeEigenvalues is the shortcut for H. GradientFD, HessianFD,
// CheckGradient and CheckHessian are the finite-difference checks.
//
// # Block statistics
//
// R per family and ρ (THEORY §4) come from three paths: ComputeBlockStats
// on a dense H; StructuredStats, exact from Gram identities without
// forming H (O(N²·C) time, O(N²) memory); and a seeded sample of single blocks with
// standard errors. Measure is the one entry point that chooses among them
// — dense when H fits, structured otherwise, sampled on request — and adds
// ‖H‖_F, λmax and the spectra of each family's representative blocks
// (Layout.Representative) as MeasureOptions asks. The command's inspect,
// the sweeps and the training checkpoints all call it.
//
// ExportNPY writes a problem and optionally its Hessian as NumPy files,
// each atomically.
//
// # Errors
//
// The package follows gonum's rule:
//
//   - A programming error in a call — a vector whose length is not
//     NumParams (HessVec, the operators, SetParams), a block index out of
//     range (Block, BlockOfMatrix), rows out of range (LossGradientOn),
//     Probabilities of an MSE problem, or a method without an error result
//     called on a nil or zero Problem (Loss, Gradient, Params, …) — panics
//     with a message saying what was wrong.
//   - Invalid input is an error: Config.Validate reports every invalid field
//     (wrapping ErrInvalidConfig); data and parameters must be finite; a
//     dense Hessian over Problem.MaxDenseBytes is a *DenseTooLargeError.
//     The methods that return an error report a nil or zero Problem as one.
//   - Memory is budgeted: every array that grows with the sizes is
//     estimated (Config.ProblemBytes, DenseBytes, StructuredBytes) and
//     checked before it is allocated against one budget, Problem.MaxBytes
//     (zero: the process budget, by default 3/4 of the memory available;
//     the command's -max-memory). A linear model whose forward pass does
//     not fit streams its loss and gradient over panels of classes
//     instead (THEORY §2.3). Over the budget, NewProblem returns a
//     *membudget.Error, the dense path a *DenseTooLargeError with Budget
//     set and the structured path a *StructuredTooLargeError, both
//     wrapping one.
//   - Numerical failure is an error, never a silent NaN: a result that
//     overflows float64, a saturated softmax that leaves the structured
//     identities only rounding, an eigendecomposition that does not
//     converge.
//
// A command built on the package therefore validates its input with the
// error-returning calls and never panics.
package numerics
