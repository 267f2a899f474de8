package study

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/krylov"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/precond"
)

// The approximations B of the preconditioner section, in table order.
const (
	bNeuron   = "per-neuron blocks"
	bLayer    = "per-layer blocks"
	bKFAC     = "KFAC (type-2, of G)"
	bDiag     = "diagonal"
	bIdentity = "identity"
)

var precondNames = []string{bNeuron, bLayer, bKFAC, bDiag, bIdentity}

// precondResult is one approximation at one damping factor.
type precondResult struct {
	Target    string // partH or partG: the matrix preconditioned
	Name      string
	Factor    float64 // λ = Factor·λmax(H)
	RelError  float64 // ‖H − B‖_F/‖H‖_F
	Condition float64 // NaN when M is not positive definite
	// Undefined says why Condition is NaN: "indefinite" or "not converged".
	Undefined string
}

// measurePreconditioners builds the five approximations of h (the dense H
// or G of p, named by target) and measures each at every damping factor.
// KFAC is always built from p's Gauss–Newton factors, as in practice.
func measurePreconditioners(p *numerics.Problem, target string, h *mat.SymDense, factors []float64, seed uint64) ([]precondResult, error) {
	l := p.Layout()
	var neuron, layer []precond.Range
	for i, b := range l.Blocks {
		neuron = append(neuron, precond.Range{Start: b.Start, Size: b.Size})
		if i == 0 || b.Layer != l.Blocks[i-1].Layer {
			layer = append(layer, precond.Range{Start: b.Start})
		}
		layer[len(layer)-1].Size += b.Size
	}
	kf, err := p.KFACFactors()
	if err != nil {
		return nil, err
	}
	var fs []precond.Factor
	for _, f := range kf {
		fs = append(fs, precond.Factor{Start: layer[f.Layer-1].Start, Output: f.Output, Input: f.Input})
	}
	var approx []precond.Approximation
	for _, build := range []func() (precond.Approximation, error){
		func() (precond.Approximation, error) { return precond.NewBlockDiagonal(h, neuron) },
		func() (precond.Approximation, error) { return precond.NewBlockDiagonal(h, layer) },
		func() (precond.Approximation, error) { return precond.NewKFAC(p.NumParams(), fs) },
		func() (precond.Approximation, error) { return precond.DiagonalOf(h) },
		func() (precond.Approximation, error) { return precond.NewIdentity(p.NumParams()) },
	} {
		a, err := build()
		if err != nil {
			return nil, err
		}
		approx = append(approx, a)
	}
	ev, err := numerics.Eigenvalues(h)
	if err != nil {
		return nil, err
	}
	lmax := slices.Max(ev)
	op := denseOperator(h)
	var out []precondResult
	for _, f := range factors {
		damping, err := precond.DampingFor(lmax, f)
		if err != nil {
			return nil, err
		}
		for i, a := range approx {
			res, err := precond.Quality(op, a, damping, precond.Options{Dense: h, Seed: seed, Tol: 1e-8})
			r := precondResult{Target: target, Name: precondNames[i], Factor: f, RelError: res.RelError, Condition: res.Condition}
			switch {
			case errors.Is(err, krylov.ErrNotConverged):
				r.Condition, r.Undefined = math.NaN(), "not converged"
			case err != nil:
				return nil, fmt.Errorf("%s: %w", precondNames[i], err)
			case math.IsNaN(res.Condition):
				r.Undefined = "indefinite"
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// denseOperator applies the dense symmetric h.
func denseOperator(h *mat.SymDense) krylov.Operator {
	n := h.SymmetricDim()
	return func(dst, vec []float64) ([]float64, error) {
		if len(dst) != n {
			dst = make([]float64, n)
		}
		mat.NewVecDense(n, dst).MulVec(h, mat.NewVecDense(n, vec))
		return dst, nil
	}
}
