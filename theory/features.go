package theory

import (
	"math"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/integrate/quad"
)

// The feature kernel: exact finite-m moments of the hidden features
// h = φ(Wx) of two inputs, by Gauss–Hermite quadrature, shared by
// MLPCEOutput and MLPCEHidden.

// featureKernel evaluates E[g^j e^{τg}], j = 0, 1, 2, for g = φ(u)φ(u')
// (pair) or g = φ(u)² (self), u = σ_w√r·z₁, u' = σ_w√r'·(c z₁ + √(1−c²) z₂).
type featureKernel struct {
	act        kind.Activation
	sw         float64
	legX, legW []float64 // Gauss–Legendre on [−1, 1] (angles)
	herZ, herW []float64 // Gauss–Hermite for N(0, 1) (tanh)
}

func newFeatureKernel(act kind.Activation, sw float64) featureKernel {
	k := featureKernel{act: act, sw: sw}
	const nl = 48
	k.legX, k.legW = make([]float64, nl), make([]float64, nl)
	quad.Legendre{}.FixedLocations(k.legX, k.legW, -1, 1)
	k.herZ, k.herW = hermiteNormal(40)
	return k
}

// hermiteNormal returns n Gauss–Hermite nodes and weights for E f(z),
// z ~ N(0, 1).
func hermiteNormal(n int) ([]float64, []float64) {
	x, w := make([]float64, n), make([]float64, n)
	quad.Hermite{}.FixedLocations(x, w, math.Inf(-1), math.Inf(1))
	for i := range x {
		x[i] *= math.Sqrt2
		w[i] /= math.SqrtPi
	}
	return x, w
}

// errSaturated reports a moment generating function that diverges: the
// C → ∞ exponential weights are then not a valid stand-in for the softmax.
var errSaturated = paramError("MLPCEOutput: E e^{t hᵀh'/m} diverges (σ_v² too large for the width); the C → ∞ weights do not apply")

// inactiveMass is the probability that a ReLU unit is off at one of two
// inputs whose pre-activations have correlation c (g = 0 there, so it
// enters every moment E[g^j e^{τg}] only at j = 0); 0 for identity.
func (k featureKernel) inactiveMass(c float64) float64 {
	if k.act != kind.ReLU {
		return 0
	}
	lo, hi := k.polarRange(c)
	return 1 - (hi-lo)/(2*math.Pi)
}

// polarRange is the range of the polar angle ϑ of (z₁, z₂) over which
// the units are active: all angles for identity, both units on for ReLU.
func (k featureKernel) polarRange(c float64) (lo, hi float64) {
	if k.act == kind.ReLU {
		return math.Acos(clamp(c, -1, 1)) - math.Pi/2, math.Pi / 2
	}
	return -math.Pi, math.Pi
}

// polarNodes evaluates the angular integral of the identity and ReLU
// feature moments. In polar coordinates of (z₁, z₂), g = R²G(ϑ) with
// G = ab cos ϑ cos(ϑ−θ), and ∫₀^∞ R e^{−R²/2}(R²G)^j e^{τR²G} dR =
// j!(2G)^j/(1−2τG)^{j+1}; add receives the Gauss–Legendre weight (with
// the 1/(2π) of the angle), G and 1−2τG at each node. When 1−2τG ≤ 0 the
// moment generating function diverges: errSaturated.
func (k featureKernel) polarNodes(a, b, c, tau float64, add func(w, g, den float64)) error {
	th := math.Acos(clamp(c, -1, 1))
	lo, hi := k.polarRange(c)
	half, mid := (hi-lo)/2, (hi+lo)/2
	for i, x := range k.legX {
		phi := mid + half*x
		g := a * b * math.Cos(phi) * math.Cos(phi-th)
		den := 1 - 2*tau*g
		if den <= 0 {
			return errSaturated
		}
		add(k.legW[i]*half/(2*math.Pi), g, den)
	}
	return nil
}

// powerMoment returns E[e^{tρ}ρ²] for ρ the mean of m iid copies of g,
// from M_j = E[g^j e^{τg}], τ = t/m:
// d²/dt² M(t/m)^m = M^m[(1−1/m)(M₁/M₀)² + M₂/(m M₀)].
func powerMoment(m0, m1, m2, m float64) float64 {
	return math.Exp(m*math.Log(m0)) * ((1-1/m)*sq(m1/m0) + m2/(m*m0))
}

// pairMoment returns E[e^{t hᵀh'/m}(hᵀh'/m)²] given r, r', c.
func (k featureKernel) pairMoment(r1, r2, c, t, m float64) (float64, error) {
	tau := t / m
	a, b := k.sw*math.Sqrt(r1), k.sw*math.Sqrt(r2)
	var mom [3]float64
	switch k.act {
	case kind.Identity, kind.ReLU:
		mom[0] = k.inactiveMass(c)
		err := k.polarNodes(a, b, c, tau, func(w, g, den float64) {
			mom[0] += w / den
			mom[1] += w * 2 * g / (den * den)
			mom[2] += w * 8 * g * g / (den * den * den)
		})
		if err != nil {
			return math.NaN(), err
		}
	case kind.Tanh:
		s := math.Sqrt(1 - c*c)
		for i, z1 := range k.herZ {
			t1 := math.Tanh(a * z1)
			for j, z2 := range k.herZ {
				g := t1 * math.Tanh(b*(c*z1+s*z2))
				w := k.herW[i] * k.herW[j] * math.Exp(tau*g)
				mom[0] += w
				mom[1] += w * g
				mom[2] += w * g * g
			}
		}
	}
	return powerMoment(mom[0], mom[1], mom[2], m), nil
}

// selfMoment returns E[e^{t‖h‖²/m}(‖h‖²/m)²] given r.
func (k featureKernel) selfMoment(r, t, m float64) (float64, error) {
	tau := t / m
	a2 := k.sw * k.sw * r
	var mom [3]float64
	switch k.act {
	case kind.Identity, kind.ReLU:
		// E[z^{2j} e^{βz²}] = (2j−1)!!/(1−2β)^{j+½}, β = τa².
		den := 1 - 2*tau*a2
		if den <= 0 {
			return math.NaN(), errSaturated
		}
		sd := math.Sqrt(den)
		mom = [3]float64{1 / sd, a2 / (den * sd), 3 * a2 * a2 / (den * den * sd)}
		if k.act == kind.ReLU {
			mom[0] = 0.5 + mom[0]/2
			mom[1] /= 2
			mom[2] /= 2
		}
	case kind.Tanh:
		a := math.Sqrt(a2)
		for i, z := range k.herZ {
			g := sq(math.Tanh(a * z))
			w := k.herW[i] * math.Exp(tau*g)
			mom[0] += w
			mom[1] += w * g
			mom[2] += w * g * g
		}
	}
	return powerMoment(mom[0], mom[1], mom[2], m), nil
}

// unitMoments returns, for one hidden unit at the pair (x, x') with
// g = φ(u)φ(u') and τ = σ_v²/m, M = E e^{τg} and Q = E[e^{τg}(1+τg)φ'(u)φ'(u')]:
// the factors of the hidden–hidden off-diagonal weight's cross-sample
// moment (THEORY §4, "Finite width").
func (k featureKernel) unitMoments(r1, r2, c, tau float64) (mm, qq float64, err error) {
	a, b := k.sw*math.Sqrt(r1), k.sw*math.Sqrt(r2)
	switch k.act {
	case kind.Identity, kind.ReLU:
		mm = k.inactiveMass(c)
		err := k.polarNodes(a, b, c, tau, func(w, g, den float64) {
			mm += w / den
			qq += w * (1/den + tau*2*g/(den*den))
		})
		if err != nil {
			return math.NaN(), math.NaN(), err
		}
	case kind.Tanh:
		s := math.Sqrt(1 - c*c)
		for i, z1 := range k.herZ {
			t1 := math.Tanh(a * z1)
			d1 := 1 - t1*t1
			for j, z2 := range k.herZ {
				t2 := math.Tanh(b * (c*z1 + s*z2))
				g := t1 * t2
				w := k.herW[i] * k.herW[j] * math.Exp(tau*g)
				mm += w
				qq += w * (1 + tau*g) * d1 * (1 - t2*t2)
			}
		}
	}
	return mm, qq, nil
}

// unitSelfMoments is unitMoments for x' = x: g = φ(u)², M = E e^{τg},
// Q = E[e^{τg}(1+τg)φ'(u)²].
func (k featureKernel) unitSelfMoments(r, tau float64) (mm, qq float64, err error) {
	a2 := k.sw * k.sw * r
	switch k.act {
	case kind.Identity, kind.ReLU:
		be := tau * a2
		den := 1 - 2*be
		if den <= 0 {
			return math.NaN(), math.NaN(), errSaturated
		}
		sd := math.Sqrt(den)
		mm, qq = 1/sd, 1/sd+be/(den*sd)
		if k.act == kind.ReLU {
			mm, qq = 0.5+mm/2, qq/2
		}
	case kind.Tanh:
		a := math.Sqrt(a2)
		for i, z := range k.herZ {
			t := math.Tanh(a * z)
			g := t * t
			w := k.herW[i] * math.Exp(tau*g)
			mm += w
			qq += w * (1 + tau*g) * sq(1-g)
		}
	}
	return mm, qq, nil
}

// outerNodes returns Gauss–Hermite nodes for r = ‖x‖²/d (χ²_d/d through the
// Wilson–Hilferty cube-root normal) and c = cos∠(x, x') (tanh of a normal
// of variance 1/(d−2), so that Var c = 1/d + O(d⁻²)), with their weights.
func outerNodes(d float64, nr, nc int) (rs, wr, cs, wc []float64) {
	zr, wr := hermiteNormal(nr)
	zc, wc := hermiteNormal(nc)
	rs = make([]float64, nr)
	v := 2 / (9 * d)
	for i, z := range zr {
		rs[i] = math.Pow(math.Max(1-v+z*math.Sqrt(v), 0), 3)
	}
	cs = make([]float64, nc)
	for i, z := range zc {
		if d > 2 {
			cs[i] = math.Tanh(z / math.Sqrt(d-2))
		}
	}
	return rs, wr, cs, wc
}
