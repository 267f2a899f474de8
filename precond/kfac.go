package precond

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/krylov"
)

// Factor holds the Kronecker factors of one layer's block of H. A layer of
// out neurons with in inputs each (in counts the bias as one more input
// when the layer has one) owns θ[Start : Start+out·in], neuron-major: row
// i of the weight matrix, then its bias, then row i+1. In that order the
// layer block is approximated by Output ⊗ Input, Output out×out and Input
// in×in: entry ((i, j), (k, l)) is Output[i, k]·Input[j, l].
//
// KFAC (Martens & Grosse 2015, the "type-2" factors of curvlinops) takes
// Input = (1/N) Σ_n ā_n ā_nᵀ, ā_n the layer's input with a trailing 1 for
// the bias, and Output = (1/N) Σ_n B_nᵀ A_n B_n, B_n the Jacobian of the
// logits with respect to the layer's pre-activations and A_n the loss
// curvature. The model code computes them; this package only uses them.
type Factor struct {
	Start         int
	Output, Input *mat.SymDense
}

// KFAC is the Kronecker-factored block-diagonal approximation: one block
// Output ⊗ Input per layer. Each factor is eigendecomposed once, and
// (|Λ_O ⊗ Λ_I| + λ)^{−1/2} is applied in the Kronecker eigenbasis
// Q_O ⊗ Q_I — exactly, without forming a layer block: O(out·in·(out+in))
// per layer and application, Σ (out² + in²) floats held.
type KFAC struct {
	p      int
	layers []kfacLayer
}

type kfacLayer struct {
	start, out, in int
	output, input  eigen
}

// NewKFAC takes the factors of the layers in θ order; their blocks
// (Start, out·in parameters) must tile [0, p). It fails on a missing
// factor, factors whose sizes do not match the starts, a NaN or infinite
// entry, an eigendecomposition that does not converge, and factors over the
// memory budget.
func NewKFAC(p int, factors []Factor) (*KFAC, error) {
	if len(factors) == 0 {
		return nil, fmt.Errorf("precond: NewKFAC needs at least one layer's factors")
	}
	ranges := make([]Range, len(factors))
	var floats, work float64
	for i, f := range factors {
		if f.Output == nil || f.Input == nil {
			return nil, fmt.Errorf("precond: KFAC factor %d has no Output or no Input matrix", i)
		}
		out, in := f.Output.SymmetricDim(), f.Input.SymmetricDim()
		if out == 0 || in == 0 {
			return nil, fmt.Errorf("precond: KFAC factor %d is %d×%d ⊗ %d×%d, want non-empty factors", i, out, out, in, in)
		}
		ranges[i] = Range{Start: f.Start, Size: out * in}
		floats += float64(out)*float64(out+1) + float64(in)*float64(in+1) + 2*float64(out)*float64(in)
		work = max(work, 2*float64(out)*float64(in))
	}
	if err := checkRanges(ranges, p); err != nil {
		return nil, fmt.Errorf("precond: KFAC factors do not match the parameter ranges (a layer's Output out×out and Input in×in own out·in parameters from its Start): %w", err)
	}
	if err := membudget.Check(fmt.Sprintf("the KFAC approximation (%d layers, P = %d)", len(factors), p), membudget.Floats(floats, work), membudget.Limit(), ""); err != nil {
		return nil, err
	}
	k := &KFAC{p: p, layers: make([]kfacLayer, len(factors))}
	for i, f := range factors {
		o, err := eigenOf(f.Output)
		if err != nil {
			return nil, fmt.Errorf("precond: KFAC factor %d, Output: %v", i, err)
		}
		in, err := eigenOf(f.Input)
		if err != nil {
			return nil, fmt.Errorf("precond: KFAC factor %d, Input: %v", i, err)
		}
		k.layers[i] = kfacLayer{start: f.Start, out: o.n(), in: in.n(), output: o, input: in}
	}
	return k, nil
}

// Name is "KFAC".
func (k *KFAC) Name() string { return "KFAC" }

// Dim is P.
func (k *KFAC) Dim() int { return k.p }

// Operator returns v ↦ B·v, layer by layer (Output ⊗ Input)·v.
func (k *KFAC) Operator() krylov.Operator {
	return k.operator("KFAC B", func(mo, mi float64) float64 { return mo * mi })
}

// InvSqrt returns v ↦ (|B| + λI)^{−1/2}·v: in each layer's eigenbasis the
// eigenvalue λ_O,a·λ_I,b becomes (|λ_O,a·λ_I,b| + λ)^{−1/2}.
func (k *KFAC) InvSqrt(damping float64) (krylov.Operator, error) {
	if err := checkDamping(damping); err != nil {
		return nil, err
	}
	return k.operator("KFAC (|B|+λI)^{-1/2}", func(mo, mi float64) float64 { return invSqrtScale(mo*mi, damping) }), nil
}

// operator applies, per layer, Q·diag(f(λ_O,a, λ_I,b))·Qᵀ with Q = Q_O ⊗ Q_I.
// With v's layer slice read as the out×in row-major matrix X,
// (A ⊗ C)·vec(X) = vec(A·X·Cᵀ), so Qᵀv is Q_Oᵀ·X·Q_I.
func (k *KFAC) operator(what string, f func(mo, mi float64) float64) krylov.Operator {
	scales := make([][]float64, len(k.layers))
	largest := 0
	for li, l := range k.layers {
		s := make([]float64, l.out*l.in)
		for a, mo := range l.output.values {
			for b, mi := range l.input.values {
				s[a*l.in+b] = f(mo, mi)
			}
		}
		scales[li] = s
		largest = max(largest, l.out*l.in)
	}
	t1, t2 := make([]float64, largest), make([]float64, largest)
	return func(dst, vec []float64) ([]float64, error) {
		dst, err := checkVec(what, dst, vec, k.p)
		if err != nil {
			return nil, err
		}
		for li, l := range k.layers {
			n := l.out * l.in
			view := func(data []float64) blas64.General {
				return blas64.General{Rows: l.out, Cols: l.in, Stride: l.in, Data: data[:n]}
			}
			x, a, b := view(vec[l.start:]), view(t1), view(t2)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1, l.output.q, x, 0, a)
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, a, l.input.q, 0, b)
			for i, s := range scales[li] {
				t2[i] *= s
			}
			blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, l.output.q, b, 0, a)
			blas64.Gemm(blas.NoTrans, blas.Trans, 1, a, l.input.q, 0, view(dst[l.start:]))
		}
		return dst, nil
	}
}
