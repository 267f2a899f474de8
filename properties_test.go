package hessblock_test

// Exact properties of THEORY §5 (items 1–4 and 7, the exact law of the
// identity network, robustness of CE and agreement of the two statistics
// paths); the statistical items 5 and 6 are in properties_stat_test.go.
// TESTING.md maps every §5 item to its tests.
//
// These properties hold for every configuration up to round-off. rapid
// draws the configuration (model, activation, loss, C, d, N, m, σ, seed)
// and shrinks a failure to a minimal one. Every tolerance is a round-off
// bound stated next to it, so any draw must pass and rapid's own (random
// unless -rapid.seed is given) seed cannot make these tests flaky. When
// written, each passed ≥ 6 000 draws (most 30 000) under -rapid.checks.

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

const eps = 0x1p-52 // float64 machine epsilon

// ---------------------------------------------------------------------------
// §5.1 Symmetry, finite differences, independent autodiff.

// TestPropHessianMatchesAutodiff compares the dense Hessian with the
// hyper-dual autodiff of autodiff_test.go, which shares no derivative code
// with numerics. Both are exact up to round-off, so the tolerance is
// THEORY §5.1's 1e−10 relative (Frobenius) plus the round-off envelope of
// hessScale: when softmax saturates, p_k(1 − p_k) is computed from terms of
// size p_k ≈ 1 and keeps only ε/(1 − p_k) relative accuracy in either
// implementation, so a purely relative bound would fail on round-off.
func TestPropHessianMatchesAutodiff(t *testing.T) {
	check(t, 200, func(t *rapid.T) {
		cfg := drawConfig(t, smallBounds, "", "")
		p := mustProblem(t, cfg)
		h := mustHessian(t, p)
		ad := autodiffHessian(p)
		tol := 1e-10*mat.Norm(ad, 2) + 64*float64(p.NumParams())*eps*hessScale(forwardScales(p))
		if e := diffNorm(h.RawSymmetric().Data, ad.RawSymmetric().Data); e > tol {
			t.Fatalf("%v: ‖H − H_autodiff‖_F = %.2e > %.2e (‖H‖_F = %.2e)", cfg, e, tol, mat.Norm(ad, 2))
		}
	})
}

// TestPropFiniteDifferences checks the analytic gradient against central
// differences of the loss, and the analytic Hessian against the
// unsymmetrized Jacobian of the analytic gradient (so a wrong lower
// triangle or an asymmetric term is caught).
//
// Tolerance: relative 1e−6 (THEORY §5.1) plus an absolute round-off
// allowance. Richardson extrapolation leaves truncation O(h⁴) ≈ 1e−16, far
// below 1e−6. Round-off is not relative to the derivative but to the
// magnitude of what is differenced: a loss value carries error ~ε·(1 +
// max|z|) (log-sum-exp and z_y nearly cancel when softmax saturates), a
// gradient entry ~ε·(1 + max|x|)(1 + max|z|)(1 + max|h|)(1 + max|V|); a
// central difference divides that by the step h, Richardson multiplies it
// by ≤ 3, and the norm over P (or P²) entries adds √P (or P). The
// allowance is 32× that envelope, so it only matters for saturated softmax
// (where the curvature itself is ~1e−6) and stays ~1e−6 relative
// otherwise: any real derivative error, which is O(1) relative, still fails.
//
// ReLU Hessians do not exist on kinks: when a pre-activation lies within
// 100 steps of zero the finite differences are skipped (the autodiff check
// still covers that draw).
func TestPropFiniteDifferences(t *testing.T) {
	check(t, 150, func(t *rapid.T) {
		cfg := drawConfig(t, smallBounds, "", "")
		p := mustProblem(t, cfg)
		if k := p.MinAbsPreactivation(); k < 100*numerics.DefaultFDStep {
			t.Logf("ReLU kink %.1e from θ: finite differences skipped", k)
			return
		}
		sc := forwardScales(p)
		h := numerics.DefaultFDStep
		np := float64(p.NumParams())

		g := p.Gradient(nil)
		gfd, err := numerics.GradientFD(p, h)
		if err != nil {
			t.Fatal(err)
		}
		lossScale := (1 + sc.z) * (1 + sc.z) // MSE squares the residual
		if e, tol := diffNorm(g, gfd), 1e-6*floats.Norm(g, 2)+32*math.Sqrt(np)*eps*lossScale/h; e > tol {
			t.Fatalf("%v: ‖g − g_FD‖ = %.2e > %.2e (‖g‖ = %.2e)", cfg, e, tol, floats.Norm(g, 2))
		}

		hs := mustHessian(t, p)
		hfd, err := numerics.HessianFD(p, h)
		if err != nil {
			t.Fatal(err)
		}
		dense := mat.DenseCopyOf(hs)
		gradScale := (1 + sc.x) * (1 + sc.z) * (1 + sc.h) * (1 + sc.v)
		if e, tol := diffNorm(dense.RawMatrix().Data, hfd.RawMatrix().Data), 1e-6*mat.Norm(hs, 2)+32*np*eps*gradScale/h; e > tol {
			t.Fatalf("%v: ‖H − H_FD‖_F = %.2e > %.2e (‖H‖_F = %.2e)", cfg, e, tol, mat.Norm(hs, 2))
		}
	})
}

// hessScale bounds the magnitude of the terms summed into a Hessian entry
// (before cancellation): Jacobian entries are ≤ (1+|x|)(1+|h|)(1+|V|),
// entries of A are ≤ 1 and residuals ≤ 1 + |z|. Round-off in an entry is a
// small multiple of ε times this.
func hessScale(s scales) float64 {
	j := (1 + s.x) * (1 + s.h) * (1 + s.v)
	return j * j * (1 + s.z)
}

func diffNorm(a, b []float64) float64 {
	d := make([]float64, len(a))
	floats.SubTo(d, a, b)
	return floats.Norm(d, 2)
}

// scales holds max |·| of the quantities whose round-off limits finite
// differences.
type scales struct{ x, z, h, v float64 }

// forwardScales recomputes the forward pass from THEORY §1 (independently
// of numerics) to bound the magnitudes of data, hidden activations,
// logits and output weights.
func forwardScales(p *numerics.Problem) scales {
	cfg := p.Config()
	s := scales{x: maxAbs(p.X())}
	var feat mat.Matrix = p.X()
	out := p.W()
	if cfg.Model == kind.MLP {
		u := mat.NewDense(cfg.N, cfg.M, nil)
		u.Mul(p.X(), p.W().T())
		u.Apply(func(_, _ int, v float64) float64 {
			switch cfg.Activation {
			case kind.ReLU:
				return math.Max(v, 0)
			case kind.Tanh:
				return math.Tanh(v)
			}
			return v
		}, u)
		s.h = maxAbs(u)
		feat, out = u, p.V()
		s.v = maxAbs(p.V())
	}
	z := mat.NewDense(cfg.N, cfg.C, nil)
	z.Mul(feat, out.T())
	s.z = maxAbs(z)
	return s
}

// TestPropHessVecSymmetric checks symmetry on the matrix-free path, which
// shares no assembly code with the dense Hessian: uᵀ(Hv) = vᵀ(Hu) and
// H·v equals the dense product. Both are sums of O(N·P) terms bounded by
// hessScale·‖u‖‖v‖, so the tolerance is 64·P·ε times that (round-off only;
// see TestPropHessianMatchesAutodiff for why it is not relative to H).
func TestPropHessVecSymmetric(t *testing.T) {
	check(t, 200, func(t *rapid.T) {
		cfg := drawConfig(t, smallBounds, "", "")
		p := mustProblem(t, cfg)
		h := mustHessian(t, p)
		np := p.NumParams()
		r := rand.New(rand.NewPCG(cfg.Seed, 7))
		u, v := make([]float64, np), make([]float64, np)
		for i := range u {
			u[i], v[i] = r.NormFloat64(), r.NormFloat64()
		}
		unit := 64 * float64(np+cfg.N) * eps * hessScale(forwardScales(p))
		op := p.HessVecOperator()
		hu, err := op(nil, u)
		if err != nil {
			t.Fatal(err)
		}
		hv, err := op(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := floats.Dot(u, hv), floats.Dot(v, hu); math.Abs(a-b) > unit*floats.Norm(u, 2)*floats.Norm(v, 2) {
			t.Fatalf("%v: uᵀHv = %.17g, vᵀHu = %.17g", cfg, a, b)
		}
		want := mat.NewVecDense(np, nil)
		want.MulVec(h, mat.NewVecDense(np, v))
		if e := diffNorm(hv, want.RawVector().Data); e > unit*floats.Norm(v, 2) {
			t.Fatalf("%v: ‖HessVec(v) − H·v‖ = %.2e > %.2e", cfg, e, unit*floats.Norm(v, 2))
		}
	})
}

// ---------------------------------------------------------------------------
// §5.2 Linear CE: PSD, zero block-row sums, rank.

// TestPropLinearCEPSDNullSpace: H = (1/N) Σ_n A_n ⊗ x_n x_nᵀ with A_n =
// diag(p) − ppᵀ PSD with zero row sums, so H is PSD, Σ_l H_kl = 0 and
// rank H ≤ (C−1)·min(d, N). Tolerances are round-off bounds, spelled out
// below; the zero threshold for eigenvalues is the larger of 1e−11·λ_max
// (eigensolver, ≫ P·ε) and P times the entry round-off. A genuine
// eigenvalue below the threshold can only lower the counted rank, never
// break the bound.
func TestPropLinearCEPSDNullSpace(t *testing.T) {
	b := drawBounds{maxC: 8, maxD: 8, maxN: 16, maxSigma: 4}
	check(t, 200, func(t *rapid.T) {
		cfg := drawConfig(t, b, kind.Linear, kind.CE)
		p := mustProblem(t, cfg)
		h := mustHessian(t, p)
		l := p.Layout()
		// Round-off scale: A_n[k,l] = p_k(δ_kl − p_l) sums terms of size p_k ≤ 1,
		// so a block-row sum is off by ≤ C·ε·max diag(S) even when the
		// (saturated) curvature p_k(1 − p_k) is far smaller.
		s := sampleCov(p.X())
		var sdiag float64
		for i := 0; i < cfg.D; i++ {
			sdiag = math.Max(sdiag, s.At(i, i))
		}
		for k := 0; k < cfg.C; k++ {
			sum := mat.NewDense(cfg.D, cfg.D, nil)
			for j := 0; j < cfg.C; j++ {
				blk, _ := numerics.BlockOfMatrix(h, l, k, j)
				sum.Add(sum, blk)
			}
			if m := maxAbs(sum); m > 64*float64(cfg.C)*eps*sdiag {
				t.Fatalf("%v: max |Σ_l H_%dl| = %.2e (max diag S = %.2e)", cfg, k, m, sdiag)
			}
		}
		ev, err := numerics.Eigenvalues(h)
		if err != nil {
			t.Fatal(err)
		}
		lmax := ev[len(ev)-1]
		// Entry round-off ≤ 64·C·ε·max diag S (above) perturbs eigenvalues by
		// at most P times that; eigensolver round-off adds ~P·ε·λ_max.
		zero := 1e-11*lmax + 64*float64(cfg.C*p.NumParams())*eps*sdiag
		if ev[0] < -zero {
			t.Fatalf("%v: smallest eigenvalue %.3e < 0 (largest %.3e)", cfg, ev[0], lmax)
		}
		rank := 0
		for _, e := range ev {
			if e > zero {
				rank++
			}
		}
		if bound := (cfg.C - 1) * min(cfg.D, cfg.N); rank > bound {
			t.Fatalf("%v: rank %d > (C−1)·min(d, N) = %d; eigenvalues %v", cfg, rank, bound, ev)
		}
	})
}

// ---------------------------------------------------------------------------
// §5.3 Exact zeros.

// TestPropMSEOutputBlocksExactlyZero: with A = I the output–output blocks
// off the diagonal are 0 in exact arithmetic and, since no term is ever
// added to them, exactly 0.0 in floating point, for the linear model and
// the network alike. R(output) must then be exactly 0.
func TestPropMSEOutputBlocksExactlyZero(t *testing.T) {
	check(t, 200, func(t *rapid.T) {
		cfg := drawConfig(t, smallBounds, "", kind.MSE)
		p := mustProblem(t, cfg)
		h := mustHessian(t, p)
		l := p.Layout()
		out := l.Of(kind.Output)
		for _, a := range out {
			for _, b := range out {
				if a == b {
					continue
				}
				blk, _ := numerics.BlockOfMatrix(h, l, a, b)
				if m := maxAbs(blk); m != 0 {
					t.Fatalf("%v: block (%s, %s) has max |entry| %g, want exactly 0", cfg, l.Blocks[a].Name, l.Blocks[b].Name, m)
				}
				sb, err := p.Block(a, b)
				if err != nil {
					t.Fatal(err)
				}
				if m := maxAbs(sb); m != 0 {
					t.Fatalf("%v: Problem.Block(%s, %s) has max |entry| %g, want exactly 0", cfg, l.Blocks[a].Name, l.Blocks[b].Name, m)
				}
			}
		}
		st, err := numerics.ComputeBlockStats(h, l)
		if err != nil {
			t.Fatal(err)
		}
		// R is 0, or undefined (0/0) when the diagonal output blocks vanish
		// too (σ_v = 0 and σ_w = 0 or a dead layer).
		for _, r := range st.Ratios {
			if r.Family == kind.OutputOutput && r.R != 0 && !(!r.Defined() && r.MeanOffSq == 0) {
				t.Fatalf("%v: R(output) = %g (%q), want 0", cfg, r.R, r.Undefined)
			}
		}
		if cfg.Model == kind.Linear && st.Rho != 0 {
			t.Fatalf("%v: ρ = %g, want 0 for linear MSE", cfg, st.Rho)
		}
	})
}

// ---------------------------------------------------------------------------
// §5.4 Linear CE at W = 0.

// TestPropLinearCEAtZero: at W = 0, p = 1/C and H = (I/C − 11ᵀ/C²) ⊗ S,
// so (C²/(C−1))·H_kk = S, −C²·H_kl = S, R = 1/(C−1) in the Frobenius and
// the spectral norm, and ρ = 1/C, for every C, d, N. Each entry is a sum of
// N products with relative round-off ≤ N·ε, so entries are compared with
// S within (N+4)·ε·max|S|·(a factor 4); R and ρ are ratios of sums over C²
// blocks, so 1e−12 relative is ~10× the worst round-off for C ≤ 64.
func TestPropLinearCEAtZero(t *testing.T) {
	check(t, 100, func(t *rapid.T) {
		cfg := numerics.Config{
			Model: kind.Linear, Loss: kind.CE,
			C:    rapid.IntRange(2, 64).Draw(t, "C"),
			D:    rapid.IntRange(1, 8).Draw(t, "d"),
			N:    rapid.IntRange(1, 40).Draw(t, "N"),
			Seed: rapid.Uint64().Draw(t, "seed"),
		}
		p := mustProblem(t, cfg)
		h := mustHessian(t, p)
		l := p.Layout()
		c := float64(cfg.C)
		s := sampleCov(p.X())
		tol := 4 * float64(cfg.N+4) * eps * maxAbs(s)
		k := rapid.IntRange(0, cfg.C-1).Draw(t, "k")
		j := rapid.IntRange(0, cfg.C-2).Draw(t, "l")
		if j >= k {
			j++
		}
		diag, _ := numerics.BlockOfMatrix(h, l, k, k)
		diag.Scale(c*c/(c-1), diag)
		if e := maxAbsDiff(diag, s); e > tol {
			t.Fatalf("%v: C²/(C−1)·H_kk differs from S by %.2e > %.2e", cfg, e, tol)
		}
		off, _ := numerics.BlockOfMatrix(h, l, k, j)
		off.Scale(-c*c, off)
		if e := maxAbsDiff(off, s); e > tol {
			t.Fatalf("%v: −C²·H_kl differs from S by %.2e > %.2e", cfg, e, tol)
		}
		st, err := numerics.ComputeBlockStats(h, l)
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 / c; math.Abs(st.Rho-want) > 1e-12*want {
			t.Fatalf("%v: ρ = %.17g, want 1/C = %.17g", cfg, st.Rho, want)
		}
		if want, r := 1/(c-1), st.Ratio(kind.OutputOutput); math.Abs(r-want) > 1e-12*want {
			t.Fatalf("%v: R = %.17g, want 1/(C−1) = %.17g", cfg, r, want)
		}
		// Unitarily invariant norms: the spectral norms have the same ratio.
		dn, _ := numerics.SpectralNorm(diag)
		on, _ := numerics.SpectralNorm(off)
		if math.Abs(dn-on) > 1e-12*dn {
			t.Fatalf("%v: ‖C²/(C−1)·H_kk‖₂ = %.17g but ‖C²·H_kl‖₂ = %.17g", cfg, dn, on)
		}
	})
}

// ---------------------------------------------------------------------------
// MLP, MSE, identity activation: the exact law of THEORY §4.4.

// TestPropIdentityMLPMSEExactLaw: with φ = identity and MSE,
// H_{w_i w_j} = (v^i·v^j)·S and H_{v_k v_l} = δ_kl·Φ exactly, hence
// R(hidden)² = mean_{i≠j} (v^i·v^j)² / mean_i ‖v^i‖⁴ (‖S‖_F cancels).
// Entry tolerances are the round-off of an N-term sum of products scaled
// by |v^i·v^j| ≤ ‖v^i‖‖v^j‖ (Cauchy–Schwarz), times a factor 8.
func TestPropIdentityMLPMSEExactLaw(t *testing.T) {
	b := drawBounds{maxC: 8, maxD: 6, maxN: 16, maxM: 6, maxSigma: 3}
	check(t, 200, func(t *rapid.T) {
		cfg := drawConfig(t, b, kind.MLP, kind.MSE)
		cfg.Activation = kind.Identity
		p := mustProblem(t, cfg)
		h := mustHessian(t, p)
		l := p.Layout()
		s := sampleCov(p.X())
		v := p.V()
		m, c := cfg.M, cfg.C
		vv := mat.NewDense(m, m, nil)
		vv.Mul(v.T(), v) // (v^i·v^j) with v^i column i of V
		norms := make([]float64, m)
		for i := range norms {
			norms[i] = math.Sqrt(vv.At(i, i))
		}
		for i := 0; i < m; i++ {
			for j := 0; j < m; j++ {
				blk, _ := numerics.BlockOfMatrix(h, l, i, j)
				want := mat.NewDense(cfg.D, cfg.D, nil)
				want.Scale(vv.At(i, j), s)
				tol := 8 * float64(cfg.N+c+4) * eps * maxAbs(s) * norms[i] * norms[j]
				if e := maxAbsDiff(blk, want); e > tol {
					t.Fatalf("%v: H_{w%d w%d} differs from (v^i·v^j)·S by %.2e > %.2e", cfg, i, j, e, tol)
				}
			}
		}
		// Φ = (1/N) Σ h hᵀ with h = W x: the V–V diagonal blocks.
		hid := mat.NewDense(cfg.N, m, nil)
		hid.Mul(p.X(), p.W().T())
		phi := sampleCov(hid)
		out := l.Of(kind.Output)
		blk, _ := numerics.BlockOfMatrix(h, l, out[0], out[0])
		if e := maxAbsDiff(blk, phi); e > 8*float64(cfg.N+cfg.D)*eps*maxAbs(phi) {
			t.Fatalf("%v: H_{v0 v0} differs from Φ by %.2e", cfg, e)
		}
		if m < 2 {
			return
		}
		var off, diag float64
		for i := 0; i < m; i++ {
			diag += math.Pow(vv.At(i, i), 2)
			for j := 0; j < m; j++ {
				if i != j {
					off += math.Pow(vv.At(i, j), 2)
				}
			}
		}
		if diag == 0 {
			return // σ_v = 0: every hidden block vanishes
		}
		want := math.Sqrt(off / float64(m*(m-1)) / (diag / float64(m)))
		st, err := numerics.ComputeBlockStats(h, l)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Ratio(kind.HiddenHidden); math.Abs(got-want) > 1e-10*want+1e-300 {
			t.Fatalf("%v: R(hidden) = %.17g, exact law gives %.17g", cfg, got, want)
		}
	})
}

// ---------------------------------------------------------------------------
// §5.7 Invariances.

// TestPropClassPermutation: relabelling classes by π (labels y → π(y), rows
// W_k → W_π(k) for the linear model, V_k → V_π(k) for the network) permutes
// the output blocks and leaves everything else in place:
// H'[φ(a), φ(b)] = H[a, b] for the induced parameter permutation φ. Only
// the order of the C-term sums in softmax and VᵀAV changes, so entries
// agree within C·(N+C)·ε times the term envelope hessScale, times 8.
func TestPropClassPermutation(t *testing.T) {
	check(t, 200, func(t *rapid.T) {
		cfg := drawConfig(t, smallBounds, "", "")
		perm := rapid.Permutation(seq(cfg.C)).Draw(t, "perm")
		p := mustProblem(t, cfg)
		labels := make([]int, cfg.N)
		for i, y := range p.Labels() {
			labels[i] = perm[y]
		}
		q, err := numerics.NewProblemWithData(cfg, p.X(), labels)
		if err != nil {
			t.Fatal(err)
		}
		permRows := func(a *mat.Dense) *mat.Dense {
			r, c := a.Dims()
			out := mat.NewDense(r, c, nil)
			for k := 0; k < r; k++ {
				out.SetRow(perm[k], a.RawRowView(k))
			}
			return out
		}
		// Parameter map φ: θ index in p → θ index in q.
		np := p.NumParams()
		phi := make([]int, np)
		for i := range phi {
			phi[i] = i
		}
		if cfg.Model == kind.Linear {
			if err := q.SetWeights(permRows(p.W()), nil); err != nil {
				t.Fatal(err)
			}
			for k := 0; k < cfg.C; k++ {
				for j := 0; j < cfg.D; j++ {
					phi[k*cfg.D+j] = perm[k]*cfg.D + j
				}
			}
		} else {
			if err := q.SetWeights(p.W(), permRows(p.V())); err != nil {
				t.Fatal(err)
			}
			off := cfg.M * cfg.D
			for k := 0; k < cfg.C; k++ {
				for i := 0; i < cfg.M; i++ {
					phi[off+k*cfg.M+i] = off + perm[k]*cfg.M + i
				}
			}
		}
		// The loss sums C terms of size ≤ (1 + max|z|)² (MSE) or 1 + max|z|
		// (log-sum-exp, which nearly cancels z_y when softmax saturates).
		sc := forwardScales(p)
		if a, b := p.Loss(), q.Loss(); math.Abs(a-b) > 16*float64(cfg.C)*eps*(1+sc.z)*(1+sc.z) {
			t.Fatalf("%v: loss changed under class permutation: %.17g → %.17g", cfg, a, b)
		}
		h, hq := mustHessian(t, p), mustHessian(t, q)
		tol := 8 * float64(cfg.C*(cfg.N+cfg.C)) * eps * hessScale(sc)
		for a := 0; a < np; a++ {
			for b := a; b < np; b++ {
				if e := math.Abs(h.At(a, b) - hq.At(phi[a], phi[b])); e > tol {
					t.Fatalf("%v, π = %v: H[%d,%d] = %.17g but H'[%d,%d] = %.17g", cfg, perm, a, b, h.At(a, b), phi[a], phi[b], hq.At(phi[a], phi[b]))
				}
			}
		}
	})
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestPropInputScaling: linear MSE H = I ⊗ S does not depend on W, so
// x → c·x gives H → c²·H. Scaling by a power of two is exact in floating
// point, so then H matches bit for bit; for any other c each entry is an
// N-term sum with relative round-off ≤ (N+2)·ε of Σ_n |x_ni x_nj| ≤ N·max
// diag(S), compared with a factor 4. For linear CE the logits W x are
// unchanged when W → W/c as well, and with c a power of two H → c²·H bit
// for bit.
func TestPropInputScaling(t *testing.T) {
	check(t, 200, func(t *rapid.T) {
		loss := rapid.SampledFrom([]kind.Loss{kind.MSE, kind.CE}).Draw(t, "loss")
		cfg := drawConfig(t, drawBounds{maxC: 6, maxD: 6, maxN: 20, maxSigma: 3}, kind.Linear, loss)
		p := mustProblem(t, cfg)
		h := mustHessian(t, p)
		scaled := func(c float64, rescaleW bool) *mat.SymDense {
			x := mat.NewDense(cfg.N, cfg.D, nil)
			x.Scale(c, p.X())
			q, err := numerics.NewProblemWithData(cfg, x, p.Labels())
			if err != nil {
				t.Fatal(err)
			}
			w := mat.DenseCopyOf(p.W())
			if rescaleW {
				w.Scale(1/c, w)
			}
			if err := q.SetWeights(w, nil); err != nil {
				t.Fatal(err)
			}
			return mustHessian(t, q)
		}
		pow := math.Ldexp(1, rapid.IntRange(-6, 6).Draw(t, "log2 c"))
		want := mat.NewSymDense(p.NumParams(), nil)
		want.ScaleSym(pow*pow, h)
		if got := scaled(pow, cfg.Loss == kind.CE); !mat.Equal(got, want) {
			t.Fatalf("%v, c = %g: H(c·X) ≠ c²·H(X) bit for bit (max diff %.2e)", cfg, pow, maxAbsDiff(got, want))
		}
		if cfg.Loss != kind.MSE {
			return
		}
		c := rapid.Float64Range(0.1, 10).Draw(t, "c")
		want.ScaleSym(c*c, h)
		var dmax float64
		for i := 0; i < p.NumParams(); i++ {
			dmax = math.Max(dmax, h.At(i, i))
		}
		if e := maxAbsDiff(scaled(c, false), want); e > 4*float64(cfg.N+2)*eps*c*c*dmax {
			t.Fatalf("%v, c = %g: ‖H(c·X) − c²·H(X)‖_max = %.2e", cfg, c, e)
		}
	})
}

// TestPropSeedReproducibility: the same configuration gives bit-identical
// data, parameters, loss, gradient and Hessian, also when the Hessian is
// assembled on one thread instead of several; a different seed gives
// different parameters.
func TestPropSeedReproducibility(t *testing.T) {
	check(t, 100, func(t *rapid.T) {
		cfg := drawConfig(t, drawBounds{maxC: 8, maxD: 6, maxN: 20, maxM: 6, maxSigma: 3}, "", "")
		p1, p2 := mustProblem(t, cfg), mustProblem(t, cfg)
		if !mat.Equal(p1.X(), p2.X()) || !slices.Equal(p1.Labels(), p2.Labels()) {
			t.Fatalf("%v: same seed, different data", cfg)
		}
		if !floats.Same(p1.Params(), p2.Params()) {
			t.Fatalf("%v: same seed, different parameters", cfg)
		}
		if a, b := p1.Loss(), p2.Loss(); a != b {
			t.Fatalf("%v: same seed, loss %.17g vs %.17g", cfg, a, b)
		}
		if !floats.Same(p1.Gradient(nil), p2.Gradient(nil)) {
			t.Fatalf("%v: same seed, different gradients", cfg)
		}
		h1 := mustHessian(t, p1)
		prev := runtime.GOMAXPROCS(1)
		h2 := mustHessian(t, p2)
		runtime.GOMAXPROCS(prev)
		if !mat.Equal(h1, h2) {
			t.Fatalf("%v: same seed, different Hessians (GOMAXPROCS %d vs 1)", cfg, prev)
		}
		other := cfg
		other.Seed++
		q := mustProblem(t, other)
		if cfg.Model == kind.Linear && cfg.Sigma == 0 || cfg.Model == kind.MLP && cfg.SigmaW == 0 && cfg.SigmaV == 0 {
			return // all-zero parameters for every seed
		}
		if floats.Same(p1.Params(), q.Params()) {
			t.Fatalf("%v: seeds %d and %d give the same parameters", cfg, cfg.Seed, other.Seed)
		}
	})
}

// ---------------------------------------------------------------------------
// Robustness and agreement of the two statistics paths.

// TestPropExtremeLogitsFinite: CE with logits of any finite size must give
// a finite loss, gradient and Hessian (log-sum-exp shifted by the maximum,
// THEORY §1), with the loss ≥ 0 and, for the linear model, block-row sums
// of H still zero. The parameters are scaled so that logits reach 10²–10⁴,
// where an unshifted exp overflows.
func TestPropExtremeLogitsFinite(t *testing.T) {
	check(t, 150, func(t *rapid.T) {
		cfg := drawConfig(t, smallBounds, "", kind.CE)
		p := mustProblem(t, cfg)
		scale := math.Pow(10, rapid.Float64Range(2, 4).Draw(t, "log10 logit scale"))
		theta := p.Params()
		var norm float64
		for _, v := range theta {
			norm = math.Max(norm, math.Abs(v))
		}
		if norm == 0 {
			for i := range theta {
				theta[i] = 1
			}
			norm = 1
		}
		for i := range theta {
			theta[i] *= scale / norm
		}
		if err := p.SetParams(theta); err != nil {
			t.Fatal(err)
		}
		loss := p.Loss()
		if math.IsNaN(loss) || math.IsInf(loss, 0) || loss < 0 {
			t.Fatalf("%v, scale %.3g: loss = %v", cfg, scale, loss)
		}
		for _, g := range p.Gradient(nil) {
			if math.IsNaN(g) || math.IsInf(g, 0) {
				t.Fatalf("%v, scale %.3g: gradient entry %v", cfg, scale, g)
			}
		}
		h := mustHessian(t, p)
		for _, v := range h.RawSymmetric().Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%v, scale %.3g: Hessian entry %v", cfg, scale, v)
			}
		}
	})
}

// TestPropStructuredMatchesDense: the structured statistics (Gram
// identities, never forming H) and ComputeBlockStats on the dense Hessian
// are two independent routes to R per family and ρ. Both are ratios of
// sums of squares of the same O(N)-term entries, equal to ~1e−13 when
// softmax is not saturated. The structured form subtracts Σ_k p_k²p'_k² from
// (p·p')², which loses digits as softmax saturates (worst seen over 6000
// draws with σ ≤ 2: 1.5e−9 relative, C = 2). 1e−6 relative keeps a
// margin of ~10³ over that and still fails any real error, which is O(1).
func TestPropStructuredMatchesDense(t *testing.T) {
	check(t, 150, func(t *rapid.T) {
		cfg := drawConfig(t, drawBounds{maxC: 8, maxD: 6, maxN: 16, maxM: 6, maxSigma: 2}, "", "")
		p := mustProblem(t, cfg)
		dense := mustStats(t, p)
		st, err := p.StructuredStats(numerics.StructuredOptions{})
		if errors.Is(err, numerics.ErrSaturated) {
			// A documented refusal, not a disagreement: rapid drew a
			// softmax saturated at every sample (mlp/identity/ce C=2 d=1
			// N=1 σw=1 σv=2), where the identities keep only rounding.
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		close := func(a, b float64) bool {
			// NaN on both sides: undefined (0/0) on both paths.
			return a == b || (math.IsNaN(a) && math.IsNaN(b)) || math.Abs(a-b) <= 1e-6*math.Max(math.Abs(a), math.Abs(b))+1e-300
		}
		if !close(dense.Rho, st.Rho) {
			t.Fatalf("%v: ρ dense %.17g, structured %.17g", cfg, dense.Rho, st.Rho)
		}
		for _, f := range p.Layout().Families() {
			if a, b := dense.Ratio(f), st.Ratio(f); !close(a, b) {
				t.Fatalf("%v: R(%s) dense %.17g, structured %.17g", cfg, f, a, b)
			}
		}
	})
}
