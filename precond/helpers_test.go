package precond

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/krylov"
)

// The references in these tests are formed densely with gonum alone
// (blockdiag by zeroing entries, Kronecker products entry by entry, matrix
// functions by a P×P EigenSym), sharing no code with the package's
// block-wise and Kronecker-eigenbasis paths.

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 99)) }

// randSym is a Gaussian symmetric n×n matrix, entries of variance 1/n
// (indefinite).
func randSym(r *rand.Rand, n int) *mat.SymDense {
	s := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			s.SetSym(i, j, r.NormFloat64()/math.Sqrt(float64(n)))
		}
	}
	return s
}

// randPSD is A·Aᵀ/k for an n×k Gaussian A: rank min(n, k).
func randPSD(r *rand.Rand, n, k int) *mat.SymDense {
	a := mat.NewDense(n, k, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			a.Set(i, j, r.NormFloat64())
		}
	}
	s := mat.NewSymDense(n, nil)
	s.SymOuterK(1/float64(k), a)
	return s
}

// withSpectrum is Q·diag(mu)·Qᵀ for a random orthogonal Q.
func withSpectrum(r *rand.Rand, mu []float64) *mat.SymDense {
	n := len(mu)
	var es mat.EigenSym
	if !es.Factorize(randSym(r, n), true) {
		panic("EigenSym failed")
	}
	var q mat.Dense
	es.VectorsTo(&q)
	s := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			var v float64
			for k := 0; k < n; k++ {
				v += q.At(i, k) * mu[k] * q.At(j, k)
			}
			s.SetSym(i, j, v)
		}
	}
	return s
}

// blockDiagDense keeps the entries of h inside the ranges' diagonal blocks.
func blockDiagDense(h *mat.SymDense, ranges []Range) *mat.SymDense {
	n := h.SymmetricDim()
	out := mat.NewSymDense(n, nil)
	for _, r := range ranges {
		for i := r.Start; i < r.End(); i++ {
			for j := i; j < r.End(); j++ {
				out.SetSym(i, j, h.At(i, j))
			}
		}
	}
	return out
}

// kronDense places Output ⊗ Input of every factor in a p×p matrix, entry
// ((i, j), (k, l)) of a layer at Start + i·in + j, Start + k·in + l.
func kronDense(p int, factors []Factor) *mat.SymDense {
	out := mat.NewSymDense(p, nil)
	for _, f := range factors {
		no, ni := f.Output.SymmetricDim(), f.Input.SymmetricDim()
		for i := 0; i < no; i++ {
			for j := 0; j < ni; j++ {
				for k := 0; k < no; k++ {
					for l := 0; l < ni; l++ {
						a, b := f.Start+i*ni+j, f.Start+k*ni+l
						if a <= b {
							out.SetSym(a, b, f.Output.At(i, k)*f.Input.At(j, l))
						}
					}
				}
			}
		}
	}
	return out
}

// denseFunc is Q·diag(f(μ))·Qᵀ of the symmetric a.
func denseFunc(t testing.TB, a mat.Symmetric, f func(float64) float64) *mat.Dense {
	t.Helper()
	var es mat.EigenSym
	if !es.Factorize(a, true) {
		t.Fatal("EigenSym failed")
	}
	var q mat.Dense
	es.VectorsTo(&q)
	vals := es.Values(nil)
	n := len(vals)
	d := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var v float64
			for k := 0; k < n; k++ {
				v += q.At(i, k) * f(vals[k]) * q.At(j, k)
			}
			d.Set(i, j, v)
		}
	}
	return d
}

// denseInvSqrt is (|B| + λI)^{−1/2}.
func denseInvSqrt(t testing.TB, b mat.Symmetric, damping float64) *mat.Dense {
	return denseFunc(t, b, func(mu float64) float64 { return 1 / math.Sqrt(math.Abs(mu)+damping) })
}

// denseMSpectrum returns the eigenvalues (ascending) of S·(H + λI)·S.
func denseMSpectrum(t testing.TB, h *mat.SymDense, s mat.Matrix, damping float64) []float64 {
	t.Helper()
	n := h.SymmetricDim()
	hl := mat.NewDense(n, n, nil)
	hl.Copy(h)
	for i := 0; i < n; i++ {
		hl.Set(i, i, hl.At(i, i)+damping)
	}
	var tmp, m mat.Dense
	tmp.Mul(s, hl)
	m.Mul(&tmp, s)
	sym := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	var es mat.EigenSym
	if !es.Factorize(sym, false) {
		t.Fatal("EigenSym failed")
	}
	return es.Values(nil)
}

// denseOp is H as a krylov.Operator.
func denseOp(h *mat.SymDense) krylov.Operator {
	n := h.SymmetricDim()
	return func(dst, vec []float64) ([]float64, error) {
		if len(vec) != n {
			return nil, fmt.Errorf("test H of dimension %d applied to a vector of length %d", n, len(vec))
		}
		if len(dst) != n {
			dst = make([]float64, n)
		}
		mat.NewVecDense(n, dst).MulVec(h, mat.NewVecDense(n, vec))
		return dst, nil
	}
}

// applyAll returns the matrix whose column j is op(e_j).
func applyAll(t testing.TB, op krylov.Operator, n int) *mat.Dense {
	t.Helper()
	out := mat.NewDense(n, n, nil)
	e := make([]float64, n)
	for j := 0; j < n; j++ {
		e[j] = 1
		col, err := op(nil, e)
		if err != nil {
			t.Fatal(err)
		}
		e[j] = 0
		for i := range col {
			out.Set(i, j, col[i])
		}
	}
	return out
}

// maxAbsDiff is max |a_ij − b_ij|, +Inf if an entry is NaN (so that a
// comparison with a tolerance fails) or the shapes differ.
func maxAbsDiff(a, b mat.Matrix) float64 {
	r, c := a.Dims()
	if rb, cb := b.Dims(); rb != r || cb != c {
		return math.Inf(1)
	}
	var d float64
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			x := math.Abs(a.At(i, j) - b.At(i, j))
			if math.IsNaN(x) {
				return math.Inf(1)
			}
			d = math.Max(d, x)
		}
	}
	return d
}

// smallNet is the layout of a one-hidden-layer network with m = 4 hidden
// neurons on d = 6 inputs and C = 3 outputs: P = 36, per-neuron ranges
// 4×6 then 3×4, per-layer ranges [0, 24) and [24, 36).
func smallNet() (p int, neurons, layers []Range) {
	for i := 0; i < 4; i++ {
		neurons = append(neurons, Range{Start: 6 * i, Size: 6})
	}
	for k := 0; k < 3; k++ {
		neurons = append(neurons, Range{Start: 24 + 4*k, Size: 4})
	}
	return 36, neurons, []Range{{0, 24}, {24, 12}}
}

// smallNetFactors are random KFAC factors of smallNet's two layers: the
// hidden layer 4 ⊗ 6, the output layer 3 ⊗ 4, Input a sample second moment.
func smallNetFactors(r *rand.Rand) []Factor {
	return []Factor{
		{Start: 0, Output: randPSD(r, 4, 8), Input: randPSD(r, 6, 10)},
		{Start: 24, Output: randPSD(r, 3, 5), Input: randPSD(r, 4, 9)},
	}
}

// truncating is an operator that ignores vec's length and returns n zeros:
// a caller's bug the package must catch.
func truncating(n int) krylov.Operator {
	return func(dst, vec []float64) ([]float64, error) { return make([]float64, n), nil }
}
