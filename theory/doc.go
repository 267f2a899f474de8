// Package theory holds the limit laws against which the block structure of
// random-initialization Hessians is checked (THEORY.md §3–§4): the
// Marchenko–Pastur law, the generalized (weighted) Marchenko–Pastur law, and
// the table of block-ratio laws with their constants.
//
// It imports no other package of the module. Distribution types follow
// gonum's stat/distuv: a struct of parameters with Prob, LogProb, CDF,
// Quantile, Mean, Variance, Rand (through Src). Unlike distuv, bad
// parameters are reported by Validate (errors wrap ErrInvalidParameter) and
// make the methods return NaN instead of panicking; Quantile returns NaN for
// p outside [0, 1].
//
// # Marchenko–Pastur
//
// For S = XXᵀ/N with iid standard entries and d/N → γ, the spectral law of
// s·S has density √((b−x)(x−a))/(2πsγx) on [a, b], a, b = s(1∓√γ)², and an
// atom 1 − 1/γ at 0 when γ > 1 (rank S ≤ N). At γ = 1, a = 0 and the density
// behaves like x^{−1/2}: the hard edge.
//
// CDF. With r = √((b−x)(x−a)), u = (2x−a−b)/(b−a) and
// v = ((a+b)x − 2ab)/(x(b−a)), the function
//
//	G(x) = r + ((a+b)/2) arcsin u − √(ab) arcsin v
//
// has G' = r/x: differentiating, r' = (a+b−2x)/(2r), (arcsin u)' = 1/r
// because 1 − u² = 4r²/(b−a)², and (arcsin v)' = √(ab)/(x r) because
// 1 − v² = 4ab r²/(x²(b−a)²); the sum is ((a+b)x − x² − ab)/(x r) = r/x.
// So CDF(x) = atom + (G(x) − G(a))/(2πsγ). At x = a, u = v = −1; at x = b,
// u = v = 1, and the continuous mass is (π(a+b)/2 − π√(ab))/(2πsγ) =
// (1+γ−|1−γ|)/(2γ) = min(1, 1/γ), as it must be. Because arcsin loses half
// the digits next to ±1, the code uses arcsin u + π/2 = 2 atan √((x−a)/(b−x))
// and arcsin v + π/2 = 2 atan √(b(x−a)/(a(b−x))) (from 1 ± v =
// 2b(x−a)/(x(b−a)), 2a(b−x)/(x(b−a))).
//
// Moments are Narayana polynomials, E λ^k = s^k Σ_{r<k} C(k,r)C(k−1,r)/(r+1) γ^r
// (non-crossing partitions of k points counted by their number of blocks).
// The Stieltjes transform m(z) = ∫dF(λ)/(λ−z) solves γzm² + (z+γ−1)m + 1 = 0
// (s = 1; m_s(z) = m_1(z/s)/s). The root is written m = −2/((z+γ−1) + R(z))
// with R(z) = √(z−a)·√(z−b) (principal roots): R is analytic off [a, b] and
// ~ z at infinity, which selects the branch with Im m > 0 on C+, and the
// Vieta form has no cancellation at large |z|. Quantile inverts the CDF by
// bisection-safeguarded Newton in the angle θ of x = a + (b−a) sin²(θ/2),
// in which both square-root and inverse-square-root edges are smooth; Rand
// is inversion of a uniform draw.
//
// # Generalized Marchenko–Pastur
//
// B = (1/N) Σ τ_n x_n x_nᵀ with τ_n iid ~ ν independent of x_n. Its limit
// law GMP(γ, ν) has Stieltjes transform solving
//
//	m = 1/(−z + E_ν[τ/(1+γτm)]),  equivalently  z = z(m) = −1/m + E_ν[τ/(1+γτm)].
//
// B is a free compound Poisson: each rank-one term τ x xᵀ/N contributes
// free cumulants, giving κ_k = γ^{k−1} E τ^k; moments then follow from the
// non-crossing moment–cumulant relation M(z) = 1 + Σ κ_k z^k M(z)^k, e.g.
// E λ = Eτ, E λ² = γEτ² + (Eτ)². Moment uses the exact weight moments.
//
// Discretization. For a weight law with K atoms, z(m) is rational in m.
// All spectral quantities are computed for WeightLaw.Atoms(); a log-normal
// law is replaced by its Gauss–Hermite discretization (τ_j = e^{μ+√2σt_j},
// probability w_j/√π), exact for E τ^k up to high k, but whose GMP has small
// islands at the far tail where the continuous law has a thin unbounded tail.
//
// Stieltjes. For Im z > 0 there is exactly one root of z(m) = z in C+.
// Newton on z(m) − z converges fast but only locally, and near the real axis
// its basin shrinks. The solver starts at Im z ≫ support scale, where
// m ≈ −1/(z − Eτ), then lowers Im z by geometric jumps (grown ×² after a
// success, shrunk to their square root after a failure) using the previous
// root as the start; a Newton result is accepted only if it converged and
// stayed in C+, which by uniqueness makes it the right root. For real x the
// last step is to Im z = 0 itself: inside the support the boundary value
// m(x+i0) is a root with Im m > 0, simple except at an edge, so Newton
// converges there, and Prob(x) = Im m(x+i0)/π needs no η → 0
// extrapolation. The geometric descent stops at Im z = 10⁻¹⁰·|x| before that
// last jump: relative to x, not to the support's scale, because weight laws
// spanning many decades (the linear-CE laws at σ ≥ 1.5) have spectral
// islands near 0 narrower than any global floor. Newton's stopping rule is
// relative to the size of the terms of z(m), so small densities keep their
// digits.
//
// Support (Silverstein–Choi). On the real m-axis minus 0 and the poles
// P_j = −1/(γτ_j), z(m) is real and the complement of the support is the
// image of {m : z'(m) > 0}. Write g(m) = m² z'(m) = 1 − (1/γ) Σ p_j r_j²,
// r_j = γτ_j m/(1+γτ_j m). Each r_j² = h(u), u = γτ_j m, h(u) = (u/(1+u))²,
// has second derivative 2w³(3w−2) with w = 1/(1+u), which is positive for u < −1 (w < 0)
// and for −1 < u < ½; for m < 0 every u_j is < 0, so g is concave on each
// pole-free interval of m < 0 and has at most two zeros there. The intervals:
//   - m > 0: Σ p r_j² rises from 0 to 1 − ν({0}); if 1 − ν({0}) > γ, g has
//     one zero m₀ and (−∞, z(m₀)) is a gap whose end is the lower edge.
//   - P_1 < m < 0 (τ_1 the largest atom): g rises from −∞ to 1; its zero
//     gives the gap (z(m*), ∞): the upper edge.
//   - m < P_K (τ_K the smallest): g falls from 1 − (1−ν({0}))/γ to −∞; if
//     that is positive, z rises from 0 and the gap is (0, z(m*)): the atom
//     case.
//   - between consecutive poles: if max g > 0, its two zeros m₁ < m₂ give
//     the interior gap (z(m₁), z(m₂)).
//
// The support is [0, ∞) minus the gaps; all intervals are returned. Most
// between-pole intervals of a dense empirical law are discarded at O(1) cost
// by the bound g ≤ 1 − (p_j r_j² + p_{j+1} r_{j+1}²)/γ.
//
// Atom. rank B ≤ #{n : τ_n > 0} ≈ N(1 − ν({0})), so at least a fraction
// 1 − (1−ν({0}))/γ of the eigenvalues is 0, and there is no more atom
// (the m < P_K interval above shows the continuous part starts at a > 0
// exactly then): Atom = max(0, 1 − (1 − ν({0}))/γ). CDF integrates the
// density per support interval in the angle variable by adaptive
// Gauss–Kronrod (7–15); interval masses are cached.
//
// Special cases, used as tests: ν = δ_c gives MP(γ) scaled by c. For
// ν = Bernoulli(q), B = (1/N) Σ_{τ_n=1} x xᵀ = q·S' with S' a Wishart
// matrix of qN samples and ratio γ/q, so GMP(γ, Bern q) = law of qλ,
// λ ~ MP(γ/q), with atom 1 − q/γ for γ > q (and a hard edge at γ = q).
//
// # Weights that depend on x_n
//
// In the Hessians the weight of sample n is a function of the logits, i.e.
// of P x_n with P a fixed k×d matrix (k = C, or m) independent of d. Such
// dependence does not change the limit law. Let E = row space of P
// (dim E ≤ k), Π the orthogonal projection onto E⊥. Split
// x_n = Π x_n + (I−Π) x_n. Because x_n is standard Gaussian, Π x_n is
// independent of (I−Π) x_n, hence of τ_n = τ(P x_n). Then
//
//	B = (1/N) Σ τ_n Π x_n x_nᵀ Π + Δ,
//
// where Δ collects the terms with at least one factor (I−Π)x_n; its range
// (or co-range) lies in E, so rank Δ ≤ 2k. The first term is a
// GMP-type matrix with weights independent of the (d−k)-dimensional
// Gaussian vectors Π x_n, whose law converges to GMP(γ, ν) with ν the law of
// τ (d−k ~ d). By the interlacing inequalities (Weyl), a perturbation of
// rank r moves the empirical spectral distribution function by at most r/d
// in sup norm, so with r ≤ 2k fixed both matrices have the same limit law.
// Only finitely many outliers may escape: the limit bulk is unchanged.
//
// # Block laws (THEORY §4)
//
// For a block (1/N) Σ w_n x_n x_nᵀ with w independent of x ~ N(0, I_d):
// E‖·‖_F² = (1/N²)Σ_{n,n'} E[w_n w_n'] E(x_nᵀx_n')² =
// d[(d+2)/N E w² + (1 − 1/N)(E w)²] (E‖x‖⁴ = d(d+2), E(xᵀx')² = d), whose
// d-normalized limit is γ E w² + (E w)² (BlockNormSq, BlockNormSqLimit).
//
// Linear CE. H_kk = (1/N)Σ p_k(1−p_k) x xᵀ, H_kl = −(1/N)Σ p_k p_l x xᵀ,
// p = softmax(Wx), logits z ~ N(0, σ²I_C) given ‖x‖² ≈ d. As C → ∞,
// C p_k → e^{z_k}/E e^{z} = e^{z_k − σ²/2} ~ LogN(−σ²/2, σ²) and
// C² p_k p_l → LogN(−σ², 2σ²); both have mean 1 and second moments e^{σ²},
// e^{2σ²}, hence C·R → √((1+γe^{2σ²})/(1+γe^{σ²})) and, with C diagonal and
// C(C−1) off-diagonal blocks, ρ = (C−1)R²/((C−1)R² + 1), C·ρ → (C·R)². At
// finite C, LinearCEFiniteC samples ν_C exactly (no C → ∞ step). At σ = 0,
// p = 1/C exactly: H_kk = ((C−1)/C²)S, H_kl = −S/C², R = 1/(C−1), ρ = 1/C.
// Measured with this package (γ = 0.1): C·R = 1.145, 1.167, 1.171 at
// C = 100, 1000, 5000 for σ = 1 (limit 1.169); 1.026, 1.017 at C = 100, 1000
// for σ = ½ (limit 1.016). A direct Hessian (d = 200, N = 2000, C = 100,
// σ = 1, 40 pairs) gave 1.142.
//
// Network, MSE, hidden blocks. With φ” = 0, H_{w_i w_j} =
// (v^i·v^j)(1/N)Σ φ'(u_i)φ'(u_j) x xᵀ. Identity: H_ij = (v^i·v^j) S, so
// R² = E(v^i·v^j)²/E‖v^i‖⁴; with v^i ~ N(0, σ_v²/m I_C), E(v^i·v^j)² =
// C(σ_v²/m)² and E‖v^i‖⁴ = (C² + 2C)(σ_v²/m)², so R² = 1/(C+2). ReLU: the
// weights are indicators, E w = E w² = ½ (diagonal) and P₂ = P(u_i>0,u_j>0)
// = ¼ + arcsin(cos θ_ij)/(2π) (Sheppard; cos θ_ij ~ N(0, 1/d) → 0 for random
// W, so P₂ ≈ ¼), giving R² = (γP₂ + P₂²)/((C+2)(γ/2 + 1/4)). In general
// R² = (γB2 + B1²)/((C+2)(γA2 + A1²)) with A1 = Eφ'², A2 = Eφ'⁴,
// B1 = E φ'_iφ'_j, B2 = E φ'_i²φ'_j² (activationMoments).
//
// Network, CE, hidden blocks (approximate). The weight is
// (VᵀA V)_ij φ'_iφ'_j, (VᵀAV)_ij = Σ_k p_k V_ki V_kj − (Σp_kV_ki)(Σp_kV_kj).
// Assumptions: V columns i, j are independent of p (each column moves a
// logit by O(m^{−1/2})); φ' factors independent of p; the centring product
// is neglected (O(Σp²)); C p_k ≈ e^{z_k−s²/2} with s² = σ_v² E‖h‖²/m the
// logit variance, so E Σp_k² ≈ e^{s²}/C and E p_k p_l ≈ 1/C². Then, with
// v = σ_v²/m and averaging over V (E V⁴ = 3v², E‖v^i‖⁴ = (C²+2C)v²):
// diagonal E w = v A1 (in mean square (1+2/C)v²A1²), E w² = v²A2(1 +
// (3e^{s²}−1)/C); off-diagonal E w has mean square v²B1²/C and E w² =
// v²B2 e^{s²}/C. Hence
//
//	R² ≈ (γ e^{s²} B2 + B1²) / (C[γA2(1 + (3e^{s²}−1)/C) + A1²(1 + 2/C)]),
//
// so √C·R → √((γe^{s²}B2 + B1²)/(γA2 + A1²)) (≈ e^{s²/2}√(B2/A2) for large
// γ), and at s² = 0 it reduces exactly to the MSE form above. For ReLU,
// s² = σ_v²σ_w²/2 (E‖h‖²/m = σ_w²/2 when ‖x‖²/d ≈ 1); identity σ_v²σ_w².
//
// Network, CE, output blocks (MLPCEOutput). H_{v_k v_l} = (1/N)Σ A_n[k,l] h hᵀ
// with weights that depend on h only through the logits z = Vh. As C → ∞
// the softmax denominator (1/C)Σ_j e^{v_j·h} tends to its mean over the
// Gaussian rows, E_v e^{v·h} = e^{σ_v²‖h‖²/(2m)}, so C p_k → exp(v_k·h −
// σ_v²‖h‖²/(2m)) and C²p_kp_l is the same with v_k + v_l; both are
// w_a(h) = exp(a·h − α‖h‖²/(2m)) with a ~ N(0, (α/m)I), α = σ_v² (diagonal)
// or 2σ_v² (off-diagonal). V is independent of W and x, so it can be
// averaged first, and the Gaussian integral gives the whole dependence:
//
//	E_a w(h)w(h') = e^{α hᵀh'/m},  E_a w(h)² = e^{α‖h‖²/m}.
//
// With κ = ‖h‖²/m and ρ = hᵀh'/m, the scaled block norms per m² are
// E e^{ακ}κ²/N + (1−1/N)E e^{αρ}ρ², and (C·R)² is their ratio at α = 2σ_v²
// and α = σ_v². For linear CE (h = x) this is the known law. For the
// network, given x and x' the m hidden units are iid (rows of W), so
// E[e^{tρ}|x, x'] = M(t/m)^m with M(τ) = E e^{τφ(u)φ(u')} a two-dimensional
// Gaussian integral, and E[e^{tρ}ρ²] = M^m[(1−1/m)(M₁/M₀)² + M₂/(mM₀)],
// M_j = E[g^j e^{τg}]. For identity and ReLU the radial part of the
// integral is closed: in polar coordinates g = R²G(ϑ), G = ab cos ϑ
// cos(ϑ−θ), and ∫R e^{−R²/2}(R²G)^j e^{τR²G}dR = j!(2G)^j/(1−2τG)^{j+1}
// (ReLU: the wedge where both units are active); tanh uses 2-D
// Gauss–Hermite. The remaining law of ‖x‖²/d, ‖x'‖²/d and cos∠(x, x') is
// integrated by Gauss–Hermite. Nothing is expanded in 1/m or 1/d; the one
// approximation is C → ∞. What it captures for ReLU: the class offsets
// V_k·E h (C·R² → e^{σ_v²(Eφ)²} for wide layers), and the O(1/m)
// correlation between the tilt and ρ (the term 2‖μ‖²μᵀδ of (hᵀh')²
// with μ = E h is tilted along V_k, ≈ 10% of C·R² at m = 32). Measured
// (ReLU, σ_v = 1, d = 128, N = 512): C·R = 1.165 ± 0.005 at m = 32,
// C = 1024 against 1.157. The limit is reached from below; when the logit
// variance σ_v²E φ² is ≳ 1 (identity σ_v = 1; σ_v = 2) slowly, within 2%
// only at C ≈ 10³. If 1 − 2τG ≤ 0 somewhere the C → ∞ moments diverge
// (the softmax saturates first) and the law reports an error.
//
// Tanh and class offsets (MLPCEHidden). Two effects are missing above.
// (i) For φ” ≠ 0 (tanh) the diagonal blocks carry the residual weight
// φ”_i (Vᵀr)_i, r = p − e_y, of mean ≈ 0 and mean square
// E φ”²·(σ_v²/m)·E‖r‖², E‖r‖² ≈ 1 + (e^{s²}−2)/C: of order σ_v/√m, it
// dominates the Gauss–Newton weight σ_v²/m and adds
// γ(m/σ_v²)Eφ”²(1 + (e^{s²}−2)/C) to the bracket of the denominator.
// (ii) A non-centred activation (ReLU) gives each class an offset
// b_k = V_k·E h ~ N(0, σ_b²), σ_b² = σ_v²(Eφ)², so E_n[C p_k] ≈ e^{b_k−σ_b²/2}
// and the squared sample mean of the off-diagonal weight Σ_k p_k V_ki V_kj
// is e^{σ_b²} v²B1²/C. Measured (d = 64, N = 256, m = 16, 3 seeds), √C·R
// agrees within 5% for ReLU at σ_v ≤ 1 and tanh at C ≥ 16, where the old
// form was 4× too large for tanh; for ReLU at σ_v = 2 (e^{s²} = 7.4) it
// overshoots until C ≫ e^{s²} (finite-C softmax moments).
//
// Finite width (MLPCEHidden.RatioSq). The same averaging over V fixes the
// first-order form. Write the off-diagonal weight as
// Σ_k p_k(V_ki − μ_i)(V_kj − μ_j), μ = Σ_k p_k V_k. At large C the softmax
// average is the tilted Gaussian average: v ~ N((σ_v²/m)h, (σ_v²/m)I), so
// μ_i → (σ_v²/m)h_i, the weight's mean is 0 and its fluctuation has
// C·E_V[w w'] = E_v[e(h)e(h')(v_i − τh_i)(v_j − τh_j)(v_i − τh'_i)(v_j − τh'_j)],
// τ = σ_v²/m, e(h) = exp(v·h − τ‖h‖²/2). Completing the square,
// = τ² e^{τhᵀh'}(1 + τh_ih'_i)(1 + τh_jh'_j). The factor e^{τhᵀh'} splits over
// units: the m − 2 units other than i, j give M(τ)^{m−2}, units i and j give
// Q(τ) = E[e^{τg}(1+τg)φ'(u)φ'(u')] each, g = φ(u)φ(u'). So the
// cross-sample moment is X = E[(xᵀx')²/d·M^{m−2}Q²] and the same-sample one
// S = E[‖x‖⁴/(d(d+2))·M_s^{m−2}Q_s²] (g = φ(u)²), replacing e^{σ_b²}B1² and
// e^{s²}B2, their m → ∞ limits. For ReLU at m = 32, σ_v = 1 they are 10% and
// 15% larger; √C·R rises by 5%. The diagonal weight's mean is
// (σ_v²/m)(1 − Σp²)·ψ, ψ = φ'² + φφ”: the residual term φ”(Vᵀr)_i has the
// non-zero mean φ”·μ_i = φ”(σ_v²/m)h_i (Stein: E Σ_k p_kV_ki =
// (σ_v²/m)h_i(1 − Σp²)), so A1, A2 become Eψ, Eψ² (unchanged for ReLU and
// identity; for tanh Eψ < A1). The softmax averages realize the tilt only
// for C ≫ E e^{σ_v²‖h‖²/m} (TiltScale; ≈ 1.7 for ReLU at σ_v = 1, 9–30 at
// σ_v = 2, m = 64…16): RatioSq refuses C below it, and at σ_v = 2 the
// measurement approaches the limit only at C ~ 10⁴ (1.31, 1.48, 1.54
// against 1.58 at C = 1024, 4096, 16384, m = 64).
//
// # Network, MSE, cross blocks (MLPMSECross)
//
// With A = I, H_{w_i v_l} = V_li K_i + ρ_il e_iᵀ, K_i = (1/N)Σφ'_i x hᵀ,
// ρ_il = (1/N)Σ r_l φ'_i x, r_l = z_l − [y = l]. Averaged over V:
// E‖V_li K_i‖² = (σ_v²/m)E‖K_i‖², and E‖K_i‖² = γ'E[φ'_i²‖h‖²]
// + Σ_j‖E[xφ'_iφ_j]‖², whose mean columns follow from Stein's lemma:
// w_iEφ”Eφ + w_jκ₁² for j ≠ i (w_i ⊥ w_j to O(d^{−1/2})), w_iEψ for
// j = i. The residual part has the same mean square, because
// E_V z_l z'_l = (σ_v²/m)hᵀh' turns E‖ρ_il‖² into (σ_v²/m)Σ_j‖E[xφ'_iφ_j]‖²
// plus the same fluctuation, plus the labels' γEφ'²/C. Their cross term is
// 2(σ_v²/m)‖(1/N)Σφ'_ih_ix‖², since E_V V_li r_l = (σ_v²/m)h_i. The diagonal
// hidden weight Σ_kV_ki²φ'² + φ”(Vᵀr)_i has mean (σ_v²/m)Cψ and mean
// square (σ_v²/m)²(C²+2C)ψ² + (σ_v²/m)(Cσ_v²Eφ² + 1)φ”², so
// mean‖H_ii‖² ∝ C²; the output diagonal block is Φ = (1/N)Σhhᵀ for every
// class, ‖Φ‖² = m²[Eκ²/N + (1−1/N)Eρ²] (exact, as above at t = 0). The
// cross norm is O(1) and the normalizer O(C), so √C·R → constant, and
// σ_v cancels. Measured (d = 128, N = 512, m = 32, C = 1024, 2 seeds):
// 0.516 ± 0.004 (ReLU), 1.127 ± 0.010 (tanh), 1.000 ± 0.007 (identity)
// against 0.517, 1.129, 1.002.
//
// # Finite d (linear CE)
//
// LinearCEFiniteC draws the logits as z ~ N(0, σ²I_C), independent of x.
// In the Hessian z = Wx: its scale is σ²‖x‖²/d, which fluctuates by
// √(2/d); and all blocks share one W, so E_x[w x xᵀ] is not a multiple of
// I (E[e^{w·x} x xᵀ] = e^{‖w‖²/2}(I + wwᵀ)). Both raise the off-diagonal
// norms more than the diagonal ones, and C·R exceeds the independent-weight
// value by ≈ 3/d at σ = 1 and large C (2/d at C = 100). LinearCEFiniteSize
// keeps every dependence: E‖H‖² = (1/N)E[w²‖x‖⁴] + (1−1/N)E[w w'(xᵀx')²]
// over (W, x, x'), which needs only ‖x‖², ‖x'‖², xᵀx' and 2C correlated
// logits per draw. Measured (σ = 1, γ = 0.1, 3 seeds, exact structured
// statistics): C·R = 1.1575, 1.1854, 1.1881 at d = 200 and C = 100, 1000,
// 5000 against 1.158, 1.184, 1.187 predicted (LinearCEFiniteC: 1.145,
// 1.167, 1.170); at d = 32, N = 128, C = 128: 1.369 ± 0.039 (6 seeds)
// against 1.370 (LinearCEFiniteC: 1.273).
//
// # Network, CE, cross blocks (MLPCECross)
//
// H_{w_i v_l} = (1/N)Σ_n [a_n x_n h_nᵀ + b_n x_n e_iᵀ], a_n = φ'_ni(A_nV)_li,
// b_n = r_nl φ'_ni. Labels are independent of x, so the residual part is a
// pure sampling fluctuation: E‖(1/N)Σ b_n x_n‖² ≈ (d/N)E φ'²·E r_l², with
// E r_l² = E p_l² − 2/C² + 1/C ≈ (1 − 2/C + e^{s²}/C)/C (exact for ReLU
// apart from the O(1/C²) sample mean). Every other piece is O(1/C²): the
// Gauss–Newton fluctuation γEφ'²s²e^{s²}, its sample mean by Stein's lemma
// E[x F(x)] = E∇F (columns κ₁²w_j + Eφ”Eφ·w_i + κ₁Eφ·ḡ_l, ḡ_l = κ₁Σ_k V_lk w_k,
// times (V_li − v̄_i)/C), the residual's sample mean and the cross term.
// The normalizer: mean‖H_ii‖² ≈ d(σ_v²/m)²(1−EΣp²)²[(d+2)/N·A2(1+(3e^{s²}−1)/C)
// + A1²(1+2/C)] and mean‖H_ll‖² ≈ C^{−2}[e^{s²}E‖h‖⁴/N + e^{σ_b²}‖Σ_h‖_F²]
// (Σ_h = E hhᵀ, its mean shifted by the softmax tilt) are O(1) and O(1/C²),
// so their geometric mean is O(1/C), and
//
//	R² ≈ [γEφ'²(1 − 2/C + e^{s²}/C)/C + G/C²] / √(mean‖H_ii‖²·mean‖H_ll‖²)
//
// tends to a positive constant: R does not decay once C ≳ G/(γEφ'²); the
// C^{−1/2} of the Gauss–Newton part shows only when γ → 0 (N → ∞ at fixed
// d). Measured with the decomposition (ReLU, d = 32, m = 16, σ_w = σ_v = 1):
// R = 0.375, 0.205, 0.112 at γ = 1/4, 1/16, 1/64 and C = 256 (predicted
// ≈ 0.39, 0.22, 0.12); the Gauss–Newton part alone falls as C^{−1/2}. The
// leading term is good to a few per cent, G to about 25%, the normalizer
// to about 15%. Under MSE, E r_l² = s² + 1/C does not decay while the
// normalizer grows like C, so both parts fall like C^{−1/2} there.
package theory
