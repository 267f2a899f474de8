package numerics

import (
	"fmt"
	"math"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// DefaultFDStep is the base step of the finite-difference checkers.
const DefaultFDStep = 1e-4

// richardson combines central differences at steps h and h/2 so that the
// truncation error is O(h⁴): (4·D(h/2) − D(h)) / 3.
func richardson(dh, dh2 float64) float64 { return (4*dh2 - dh) / 3 }

// fdStep returns h, or DefaultFDStep when h is not a finite value > 0.
func fdStep(h float64) float64 {
	if h <= 0 || math.IsNaN(h) || math.IsInf(h, 0) {
		return DefaultFDStep
	}
	return h
}

// perturber returns a copy q of p, its parameters θ, and set, which gives q
// the parameters θ with θ_i replaced by t (every other entry as in p).
func perturber(p *Problem) (q *Problem, theta []float64, set func(i int, t float64)) {
	q = p.Clone()
	theta = q.Params()
	set = func(i int, t float64) {
		old := theta[i]
		theta[i] = t
		// theta entries stay finite, so SetParams cannot fail here.
		_ = q.SetParams(theta)
		theta[i] = old
	}
	return q, theta, set
}

// GradientFD returns the gradient of the loss by Richardson-extrapolated
// central differences with base step h (DefaultFDStep when h ≤ 0), scaled by
// max(1, |θ_i|). p is not changed.
func GradientFD(p *Problem, h float64) ([]float64, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	h = fdStep(h)
	q, theta, set := perturber(p)
	g := make([]float64, len(theta))
	loss := func(i int, t float64) float64 {
		set(i, t)
		return q.Loss()
	}
	for i, t := range theta {
		s := h * math.Max(1, math.Abs(t))
		d1 := (loss(i, t+s) - loss(i, t-s)) / (2 * s)
		d2 := (loss(i, t+s/2) - loss(i, t-s/2)) / s
		g[i] = richardson(d1, d2)
	}
	return finiteResult(fmt.Sprintf("the finite-difference gradient (step %g)", h), g)
}

// HessianFD returns the Jacobian of the analytic gradient by Richardson-
// extrapolated central differences, column by column. It is not
// symmetrized, so that an asymmetric analytic Hessian is caught. It needs
// 4·P gradient evaluations and the dense memory of H.
func HessianFD(p *Problem, h float64) (*mat.Dense, error) {
	if err := p.CheckDense(); err != nil {
		return nil, err
	}
	h = fdStep(h)
	q, theta, set := perturber(p)
	np := len(theta)
	hfd := mat.NewDense(np, np, nil)
	gp, gm := make([]float64, np), make([]float64, np)
	grad := func(i int, t float64, dst []float64) {
		set(i, t)
		q.Gradient(dst)
	}
	d1 := make([]float64, np)
	for i, t := range theta {
		s := h * math.Max(1, math.Abs(t))
		grad(i, t+s, gp)
		grad(i, t-s, gm)
		for j := range d1 {
			d1[j] = (gp[j] - gm[j]) / (2 * s)
		}
		grad(i, t+s/2, gp)
		grad(i, t-s/2, gm)
		for j := range d1 {
			hfd.Set(j, i, richardson(d1[j], (gp[j]-gm[j])/s))
		}
	}
	if _, err := finiteResult(fmt.Sprintf("the finite-difference Hessian (step %g)", h), hfd.RawMatrix().Data); err != nil {
		return nil, err
	}
	return hfd, nil
}

// RelativeError returns ‖a − b‖ / max(‖a‖, ‖b‖) in the Euclidean norm of
// the entries (0 when both are zero, +Inf when the lengths differ, NaN when
// an entry is not finite).
func RelativeError(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	diff := make([]float64, len(a))
	floats.SubTo(diff, a, b)
	den := math.Max(floats.Norm(a, 2), floats.Norm(b, 2))
	if den == 0 {
		return 0
	}
	return floats.Norm(diff, 2) / den
}

// CheckGradient returns the relative error between the analytic gradient
// and GradientFD.
func CheckGradient(p *Problem, h float64) (float64, error) {
	fd, err := GradientFD(p, h)
	if err != nil {
		return 0, err
	}
	g, err := finiteResult("the gradient", p.Gradient(nil))
	if err != nil {
		return 0, err
	}
	return RelativeError(g, fd), nil
}

// CheckHessian returns the relative error (Frobenius) between the analytic
// Hessian and HessianFD.
//
// For ReLU the Hessian does not exist where a pre-activation u_ni is zero,
// and a difference across such a kink is meaningless: check
// MinAbsPreactivation against the step first.
func CheckHessian(p *Problem, h float64) (float64, error) {
	hs, err := p.Hessian()
	if err != nil {
		return 0, err
	}
	fd, err := HessianFD(p, h)
	if err != nil {
		return 0, err
	}
	return RelativeError(mat.DenseCopyOf(hs).RawMatrix().Data, fd.RawMatrix().Data), nil
}

// MinAbsPreactivation returns min |u_ni| over samples and hidden units
// relative to ‖x_n‖_∞, the distance (in parameter units) from θ to the
// nearest ReLU kink along any single coordinate of W; +Inf for the linear
// model. For deeper networks it is the minimum over every hidden layer l
// of |s_l| relative to the largest entry of the layer's input ā_{l−1}.
func (p *Problem) MinAbsPreactivation() float64 {
	if p.cfg.Model != kind.MLP {
		return math.Inf(1)
	}
	f := p.forward()
	if f.deep != nil {
		return p.deepMinAbsPreactivation(f)
	}
	best := math.Inf(1)
	for s := 0; s < f.n; s++ {
		xmax := floats.Norm(f.x[s*f.d:(s+1)*f.d], math.Inf(1))
		for i := 0; i < f.m; i++ {
			if xmax > 0 {
				best = math.Min(best, math.Abs(f.u[s*f.m+i])/xmax)
			}
		}
	}
	return best
}
