package numerics

import (
	"errors"
	"math"

	"github.com/hessblock/hessblock/krylov"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// The spectra that inspect and the sweeps print for a block are its
// extreme eigenvalues and its largest singular value. A full symmetric
// eigendecomposition or SVD of a d×d block is O(d³) on one thread: at the
// d = 2048 … 4096 of language-model heads that is tens of seconds per
// block, where Lanczos takes a few hundred O(d²) products (d = 2048,
// N = 1024: 0.93 s against 20.6 s on 2 idle cores, BenchmarkBlockExtremes).
// Blocks from blockLanczosDim on therefore take Lanczos first, to a
// residual of blockLanczosTol·‖B‖₂ (an eigenvalue lies within its residual
// of the Ritz value, so the error is at most that), and fall back to the
// full decomposition when it has not converged in blockLanczosSteps: at
// d ≈ N a block's smallest eigenvalues crowd against 0 without a gap and
// Lanczos converges slowly there. Below blockLanczosDim the full
// decomposition is cheap (d = 512: 0.15 s). A symmetric block's ‖B‖₂ is
// max |λ|, so no SVD is needed for it (d = 512: 0.24 s with the SVD).

// blockLanczosDim is the block dimension from which extreme eigenvalues
// and the largest singular value come from Lanczos (a variable so that
// tests can run the Lanczos path at small sizes).
var blockLanczosDim = 1024

// blockLanczosSteps bounds the Lanczos steps before the fallback (a
// variable so that tests can force the fallback).
var blockLanczosSteps = 400

// blockLanczosTol is the relative residual Lanczos runs to.
const blockLanczosTol = 1e-10

// blockLanczosSeed seeds the start vector: a fixed one, so that the
// printed spectra are reproducible.
const blockLanczosSeed = 0xb10c

// blockExtremes returns, for a square block, the extreme eigenvalues of its
// symmetric part; and for every block its largest singular value.
func blockExtremes(blk *mat.Dense) (lo, hi, sigma float64, square bool, err error) {
	r, c := blk.Dims()
	if r != c {
		sigma, err = largestSingularValue(blk)
		return 0, 0, sigma, false, err
	}
	sym := symmetricPart(blk)
	if lo, hi, err = symExtremes(sym); err != nil {
		return 0, 0, 0, true, err
	}
	// ‖B‖₂ = max |λ| when B is symmetric; the representative blocks are,
	// to round-off.
	if isSymmetric(blk) {
		return lo, hi, math.Max(math.Abs(lo), math.Abs(hi)), true, nil
	}
	sigma, err = largestSingularValue(blk)
	return lo, hi, sigma, true, err
}

// symmetricPart returns (B + Bᵀ)/2.
func symmetricPart(blk mat.Matrix) *mat.SymDense {
	n, _ := blk.Dims()
	s := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			s.SetSym(i, j, (blk.At(i, j)+blk.At(j, i))/2)
		}
	}
	return s
}

// isSymmetric reports whether B equals Bᵀ to round-off: every entry
// within 1e-12 of the largest.
func isSymmetric(blk *mat.Dense) bool {
	n, _ := blk.Dims()
	var big, diff float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			big = math.Max(big, math.Abs(blk.At(i, j)))
			diff = math.Max(diff, math.Abs(blk.At(i, j)-blk.At(j, i)))
		}
	}
	return diff <= 1e-12*big
}

// symExtremes returns the smallest and largest eigenvalues of s.
func symExtremes(s *mat.SymDense) (lo, hi float64, err error) {
	n := s.SymmetricDim()
	if n >= blockLanczosDim {
		raw := s.RawSymmetric()
		op := func(dst, v []float64) ([]float64, error) {
			if len(dst) != n {
				dst = make([]float64, n)
			}
			blas64.Symv(1, raw, blas64.Vector{N: n, Inc: 1, Data: v}, 0, blas64.Vector{N: n, Inc: 1, Data: dst})
			return dst, nil
		}
		if lo, hi, ok, err := lanczosExtremes(op, n); err != nil || ok {
			return lo, hi, err
		}
	}
	ev, err := SymmetricEigenvalues(s)
	if err != nil {
		return 0, 0, err
	}
	return ev[0], ev[len(ev)-1], nil
}

// largestSingularValue returns ‖B‖₂: for blocks from blockLanczosDim on,
// the square root of λmax of the Gram matrix of the smaller side, applied
// as two matrix–vector products.
func largestSingularValue(blk *mat.Dense) (float64, error) {
	r, c := blk.Dims()
	if min(r, c) >= blockLanczosDim {
		raw := blk.RawMatrix()
		k, m := min(r, c), max(r, c)
		first, second := blas.NoTrans, blas.Trans // Bᵀ(B v) when c ≤ r: v has c entries
		if r < c {
			first, second = blas.Trans, blas.NoTrans // B(Bᵀ v)
		}
		tmp := make([]float64, m)
		op := func(dst, v []float64) ([]float64, error) {
			if len(dst) != k {
				dst = make([]float64, k)
			}
			blas64.Gemv(first, 1, raw, blas64.Vector{N: k, Inc: 1, Data: v}, 0, blas64.Vector{N: m, Inc: 1, Data: tmp})
			blas64.Gemv(second, 1, raw, blas64.Vector{N: m, Inc: 1, Data: tmp}, 0, blas64.Vector{N: k, Inc: 1, Data: dst})
			return dst, nil
		}
		if _, hi, ok, err := lanczosExtremes(op, k); err != nil || ok {
			return math.Sqrt(math.Max(hi, 0)), err
		}
	}
	return SpectralNorm(blk)
}

// lanczosExtremes runs Lanczos with full reorthogonalization on op; ok is
// false when it did not reach blockLanczosTol, and the caller falls back
// to the full decomposition.
func lanczosExtremes(op krylov.Operator, n int) (lo, hi float64, ok bool, err error) {
	ext, err := krylov.Lanczos(op, n, krylov.LanczosOptions{Seed: blockLanczosSeed, Tol: blockLanczosTol, MaxIter: min(n, blockLanczosSteps), Reorth: krylov.ReorthFull})
	if errors.Is(err, krylov.ErrNotConverged) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	return ext.Min, ext.Max, true, nil
}
