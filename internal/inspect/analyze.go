package inspect

import (
	"fmt"
	"math"

	"github.com/hessblock/hessblock/krylov"
	"github.com/hessblock/hessblock/numerics"
)

// Options selects the analyses Analyze adds to a Result. The zero value
// adds none.
type Options struct {
	// Curvature adds the statistics of H = G + Hres's two parts.
	Curvature bool
	// Precond adds the preconditioner rows; they need the dense H.
	Precond bool
	// Damping is the preconditioners' absolute damping λ > 0; 0 means
	// DampingFactor·λmax(H).
	Damping float64
	// DampingFactor scales λmax(H) into the damping when Damping is 0;
	// 0 means precond.DefaultDampingFactor (1e−3).
	DampingFactor float64
	// Eigvecs is the number k of top eigenpairs of H (0: none; at most P).
	Eigvecs int
	// TraceProbes is the number of probes of the trace estimates (0: no
	// traces).
	TraceProbes int
	// Seed starts every Lanczos run and draws the trace probes.
	Seed uint64
}

// Validate reports options no problem can satisfy: a negative, NaN or
// infinite damping or factor, negative counts.
func (o Options) Validate() error {
	for _, d := range []struct {
		name string
		v    float64
	}{{"damping", o.Damping}, {"damping factor", o.DampingFactor}} {
		if !(d.v >= 0) || math.IsInf(d.v, 0) {
			return fmt.Errorf("inspect: %s = %v, want a finite value > 0 (0: the default)", d.name, d.v)
		}
	}
	if o.Eigvecs < 0 || o.TraceProbes < 0 {
		return fmt.Errorf("inspect: eigenvectors = %d, trace probes = %d, want ≥ 0", o.Eigvecs, o.TraceProbes)
	}
	return nil
}

// Analyze adds the analyses opts asks for to res, the Measure of p: the
// G/Hres split, the preconditioners (dense path only; on the structured
// path PrecondSkipped says so), the top eigenvectors and the traces. It
// uses res.Hessian when Measure formed it and Hessian–vector products
// otherwise.
func Analyze(p *numerics.Problem, res *Result, opts Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	l := p.Layout()
	if opts.Eigvecs > l.P {
		return fmt.Errorf("inspect: %d eigenvectors asked of a Hessian with P = %d parameters", opts.Eigvecs, l.P)
	}
	h := res.Hessian
	// The operator only when asked for: building the matrix-free one
	// computes the softmax of every sample and class (and for the linear
	// CE model keeps it, N×C).
	var op krylov.Operator
	operator := func() krylov.Operator {
		switch {
		case op != nil:
		case h != nil:
			op = denseOperator(h)
		default:
			op = p.HessVecOperator()
		}
		return op
	}
	var err error
	if opts.Curvature {
		if res.GaussNewton, res.Residual, err = curvatureSplit(p, h, opts.Seed); err != nil {
			return err
		}
	}
	if opts.Precond {
		switch damping, derr := opts.damping(res.LambdaMax); {
		case h == nil:
			res.PrecondSkipped = "the preconditioners need the dense H, which was not formed (raise -max-dense-bytes)"
		case derr != nil:
			res.PrecondSkipped = derr.Error()
		default:
			if res.Preconditioners, err = preconditioners(p, h, damping, opts.Seed); err != nil {
				return err
			}
		}
	}
	if opts.Eigvecs > 0 {
		if res.Eigvecs, err = topEigvecs(operator(), l, opts.Eigvecs, opts.Seed); err != nil {
			return err
		}
	}
	if opts.TraceProbes > 0 {
		if res.Trace, err = traces(operator(), h, l, opts.TraceProbes, opts.Seed); err != nil {
			return err
		}
	}
	return nil
}
