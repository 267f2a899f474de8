package inspect

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/krylov"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/precond"
)

// Approximations are the names of the preconditioners inspect compares, in
// the order of its rows.
var Approximations = []string{"per-neuron", "per-layer", "KFAC", "diagonal", "identity"}

// approximations returns the approximations of h that inspect compares, in
// the order of Approximations: blockdiag(H) with one block per neuron (the
// layout's blocks) and one per layer, KFAC from p's factors, diag(H) and
// the identity.
func approximations(p *numerics.Problem, h *mat.SymDense) ([]precond.Approximation, error) {
	l := p.Layout()
	neurons := make([]precond.Range, len(l.Blocks))
	for i, b := range l.Blocks {
		neurons[i] = precond.Range{Start: b.Start, Size: b.Size}
	}
	perNeuron, err := precond.NewBlockDiagonal(h, neurons)
	if err != nil {
		return nil, err
	}
	factors, err := p.KFACFactors()
	if err != nil {
		return nil, err
	}
	var layers []precond.Range
	var kf []precond.Factor
	for _, f := range factors {
		idx := l.OfLayer(f.Layer)
		if len(idx) == 0 {
			return nil, fmt.Errorf("inspect: the layout has no blocks in layer %d", f.Layer)
		}
		first, last := l.Blocks[idx[0]], l.Blocks[idx[len(idx)-1]]
		layers = append(layers, precond.Range{Start: first.Start, Size: last.End() - first.Start})
		kf = append(kf, precond.Factor{Start: first.Start, Output: f.Output, Input: f.Input})
	}
	perLayer, err := precond.NewBlockDiagonal(h, layers)
	if err != nil {
		return nil, err
	}
	k, err := precond.NewKFAC(l.P, kf)
	if err != nil {
		return nil, err
	}
	diag, err := precond.DiagonalOf(h)
	if err != nil {
		return nil, err
	}
	id, err := precond.NewIdentity(l.P)
	if err != nil {
		return nil, err
	}
	return []precond.Approximation{
		precond.Named(perNeuron, Approximations[0]), precond.Named(perLayer, Approximations[1]),
		precond.Named(k, Approximations[2]), precond.Named(diag, Approximations[3]), precond.Named(id, Approximations[4]),
	}, nil
}

// damping returns the damping λ of the preconditioner rows: opts.Damping
// when set, otherwise opts.DampingFactor (default
// precond.DefaultDampingFactor) times λmax(H).
func (o Options) damping(lambdaMax float64) (float64, error) {
	if o.Damping != 0 {
		return o.Damping, nil
	}
	f := o.DampingFactor
	if f == 0 {
		f = precond.DefaultDampingFactor
	}
	return precond.DampingFor(lambdaMax, f)
}

// preconditioners measures every approximation of the dense h with
// precond.Quality at damping λ (exact relative errors; Lanczos from seed).
// A Lanczos run that stops short of its tolerance keeps its row: the
// residuals in it say how far off the extreme eigenvalues can be.
func preconditioners(p *numerics.Problem, h *mat.SymDense, damping float64, seed uint64) ([]precond.Result, error) {
	apps, err := approximations(p, h)
	if err != nil {
		return nil, fmt.Errorf("inspect: preconditioners: %w", err)
	}
	op := denseOperator(h)
	out := make([]precond.Result, len(apps))
	for i, a := range apps {
		r, err := precond.Quality(op, a, damping, QualityOptions(h, seed))
		if err != nil && !errors.Is(err, krylov.ErrNotConverged) {
			return nil, fmt.Errorf("inspect: preconditioner %s: %w", a.Name(), err)
		}
		out[i] = r
	}
	return out, nil
}

// QualityOptions are the precond.Options of inspect's rows, for a dense
// h: exact relative errors, Lanczos started from seed to a relative
// residual of 1e−6 (the rows print four digits; 1e−10 costs several
// times the products on the clustered spectra of M), and the SLQ density
// of M's spectrum (4 probes of up to 40 nodes: 160 products of M, at the
// sizes where the rows run a fraction of the Lanczos run above; in JSON
// as "density").
func QualityOptions(h *mat.SymDense, seed uint64) precond.Options {
	p, _ := h.Dims()
	return precond.Options{Dense: h, Seed: seed, Tol: 1e-6,
		Density: &krylov.SLQOptions{Probes: 4, Steps: min(p, 40), Seed: seed, Reorth: krylov.ReorthFull}}
}
