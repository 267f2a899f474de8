package hessblock_test

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// This file is an independent autodiff for the properties of THEORY §5.1:
// hyper-dual numbers x = v + a·ε₁ + b·ε₂ + c·ε₁ε₂ with ε₁² = ε₂² = 0. Seeding
// θ_i with ε₁ and θ_j with ε₂ and evaluating the loss gives ∂²L/∂θ_i∂θ_j as
// the ε₁ε₂ part, exact to round-off (no step size). It shares nothing with
// numerics beyond the parameter order and the data: the loss is re-derived
// from THEORY §1 (f = W x or V φ(W x); MSE ½‖z − e_y‖², CE by log-sum-exp).

type hyperDual struct{ v, a, b, c float64 }

func hdConst(v float64) hyperDual { return hyperDual{v: v} }

func (x hyperDual) add(y hyperDual) hyperDual {
	return hyperDual{x.v + y.v, x.a + y.a, x.b + y.b, x.c + y.c}
}

func (x hyperDual) sub(y hyperDual) hyperDual {
	return hyperDual{x.v - y.v, x.a - y.a, x.b - y.b, x.c - y.c}
}

func (x hyperDual) mul(y hyperDual) hyperDual {
	return hyperDual{
		v: x.v * y.v,
		a: x.v*y.a + x.a*y.v,
		b: x.v*y.b + x.b*y.v,
		c: x.v*y.c + x.a*y.b + x.b*y.a + x.c*y.v,
	}
}

func (x hyperDual) scale(s float64) hyperDual {
	return hyperDual{s * x.v, s * x.a, s * x.b, s * x.c}
}

// apply lifts a scalar function with value f0, first derivative f1 and
// second derivative f2 at x.v.
func (x hyperDual) apply(f0, f1, f2 float64) hyperDual {
	return hyperDual{v: f0, a: f1 * x.a, b: f1 * x.b, c: f1*x.c + f2*x.a*x.b}
}

func (x hyperDual) exp() hyperDual {
	e := math.Exp(x.v)
	return x.apply(e, e, e)
}

func (x hyperDual) log() hyperDual {
	return x.apply(math.Log(x.v), 1/x.v, -1/(x.v*x.v))
}

func (x hyperDual) activate(a kind.Activation) hyperDual {
	switch a {
	case kind.ReLU:
		// φ'(0) = 0, the convention of the subgradient numerics uses; u = 0
		// exactly has probability zero for the drawn data.
		if x.v > 0 {
			return x
		}
		return hyperDual{}
	case kind.Tanh:
		t := math.Tanh(x.v)
		return x.apply(t, 1-t*t, -2*t*(1-t*t))
	case actGELU:
		// GELU(u) = u Φ(u) with the exact normal CDF (PyTorch's default,
		// approximate='none'): φ' = Φ + u ϕ, φ″ = ϕ (2 − u²), ϕ the density.
		u := x.v
		cdf := 0.5 * (1 + math.Erf(u/math.Sqrt2))
		pdf := math.Exp(-0.5*u*u) / math.Sqrt(2*math.Pi)
		return x.apply(u*cdf, cdf+u*pdf, pdf*(2-u*u))
	}
	return x
}

// actGELU names the exact (erf) GELU of the deep networks; kind has no
// constant for it yet, and the name is the one PyTorch and the command use.
const actGELU kind.Activation = "gelu"

// autodiffHessian returns the Hessian of p's loss at its parameters by
// hyper-dual forward mode, one evaluation per entry of the upper triangle.
// The cost is O(P²·N·P): for small problems only.
func autodiffHessian(p *numerics.Problem) *mat.SymDense {
	cfg := p.Config()
	theta := p.Params()
	np := len(theta)
	h := mat.NewSymDense(np, nil)
	th := make([]hyperDual, np)
	for i := 0; i < np; i++ {
		for j := i; j < np; j++ {
			for k, t := range theta {
				th[k] = hdConst(t)
			}
			th[i].a = 1
			th[j].b = 1
			h.SetSym(i, j, hdLoss(cfg, p.X(), p.Labels(), th).c)
		}
	}
	return h
}

func hdLoss(cfg numerics.Config, x *mat.Dense, labels []int, th []hyperDual) hyperDual {
	n, d := x.Dims()
	c := cfg.C
	var total hyperDual
	z := make([]hyperDual, c)
	var hid []hyperDual
	if cfg.Model == kind.MLP {
		hid = make([]hyperDual, cfg.M)
	}
	for s := 0; s < n; s++ {
		xs := x.RawRowView(s)
		if cfg.Model == kind.Linear {
			for k := 0; k < c; k++ {
				var acc hyperDual
				for j := 0; j < d; j++ {
					acc = acc.add(th[k*d+j].scale(xs[j]))
				}
				z[k] = acc
			}
		} else {
			m := cfg.M
			for i := 0; i < m; i++ {
				var acc hyperDual
				for j := 0; j < d; j++ {
					acc = acc.add(th[i*d+j].scale(xs[j]))
				}
				hid[i] = acc.activate(cfg.Activation)
			}
			v := th[m*d:]
			for k := 0; k < c; k++ {
				var acc hyperDual
				for i := 0; i < m; i++ {
					acc = acc.add(v[k*m+i].mul(hid[i]))
				}
				z[k] = acc
			}
		}
		total = total.add(hdSampleLoss(cfg.Loss, z, labels[s]))
	}
	return total.scale(1 / float64(n))
}

// hdSampleLoss is one sample's loss ℓ(z, y) of THEORY §1: ½‖z − e_y‖² or
// −z_y + log Σ_k e^{z_k}.
func hdSampleLoss(loss kind.Loss, z []hyperDual, y int) hyperDual {
	if loss == kind.MSE {
		var total hyperDual
		for k, zk := range z {
			r := zk
			if k == y {
				r = r.sub(hdConst(1))
			}
			total = total.add(r.mul(r).scale(0.5))
		}
		return total
	}
	// log Σ e^{z_k} = zmax + log Σ e^{z_k − zmax}; zmax is a constant
	// (the real part's maximum), which is exact because log-sum-exp is
	// shift-equivariant.
	zmax := math.Inf(-1)
	for _, zk := range z {
		zmax = math.Max(zmax, zk.v)
	}
	var sum hyperDual
	for _, zk := range z {
		sum = sum.add(zk.sub(hdConst(zmax)).exp())
	}
	return sum.log().add(hdConst(zmax)).sub(z[y])
}
