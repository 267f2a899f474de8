package theory

import (
	"math"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/integrate/quad"
)

// MLPCEOutput predicts the output–output pair ratio of the one-hidden-layer
// network under CE at random initialization (package documentation,
// "Network, CE, output blocks"). Averaging the softmax weights over the
// Gaussian rows of V first (exact as C → ∞) leaves expectations of
// e^{t·hᵀh'/m} over the features alone, which are evaluated exactly at
// finite m and d: the hidden units are iid given the two inputs, so the
// moment generating function of hᵀh'/m is the m-th power of a
// two-dimensional Gaussian integral. The one approximation is the
// C → ∞ step (softmax denominator replaced by its mean over the classes,
// p_k(1−p_k) by p_k), so C·R is a constant; Status approximate.
type MLPCEOutput MLPSetting

// OutputNorms are the C → ∞ mean squared Frobenius norms of the scaled
// output blocks C·H_kk (Diag) and C²·H_kl (Off), divided by m², split into
// the same-sample (1/N)·E[w²‖h‖⁴] and the cross-sample
// (1−1/N)·E[w w'(hᵀh')²] parts.
type OutputNorms struct {
	DiagSelf, DiagCross float64
	OffSelf, OffCross   float64
}

// Diag returns the diagonal norm DiagSelf + DiagCross.
func (o OutputNorms) Diag() float64 { return o.DiagSelf + o.DiagCross }

// Off returns the off-diagonal norm OffSelf + OffCross.
func (o OutputNorms) Off() float64 { return o.OffSelf + o.OffCross }

// Validate checks the sizes, scales and activation.
func (o MLPCEOutput) Validate() error {
	if err := MLPCECross(o).Validate(); err != nil {
		return err
	}
	return nil
}

// BlockNorms evaluates the four parts of the scaled block norms.
//
// With C p_k ≈ exp(v_k·h − σ_v²‖h‖²/(2m)) (the softmax denominator at its
// mean over Gaussian rows v_j), a diagonal block has weight
// w = exp(a·h − α‖h‖²/(2m)) with a = v_k, α = σ_v², and an off-diagonal
// one the same with a = v_k + v_l, α = 2σ_v²; in both cases a ~ N(0, α/m·I).
// Averaging over a: E_a w(h)² = e^{α‖h‖²/m}, E_a w(h)w(h') = e^{α hᵀh'/m}.
func (o MLPCEOutput) BlockNorms() (OutputNorms, error) {
	if err := o.Validate(); err != nil {
		return OutputNorms{}, err
	}
	m, n, d := float64(o.Width), float64(o.Samples), float64(o.Inputs)
	s := o.SigmaV * o.SigmaV
	k := newFeatureKernel(o.Activation, o.SigmaW)
	// Outer expectation over r = ‖x‖²/d, r' = ‖x'‖²/d and c = cos∠(x, x').
	rs, wr, cs, wc := outerNodes(d, 8, 10)
	var out OutputNorms
	for i, r1 := range rs {
		// Same-sample terms: κ = ‖h‖²/m.
		ds, err := k.selfMoment(r1, s, m)
		if err != nil {
			return OutputNorms{}, err
		}
		os, err := k.selfMoment(r1, 2*s, m)
		if err != nil {
			return OutputNorms{}, err
		}
		out.DiagSelf += wr[i] * ds / n
		out.OffSelf += wr[i] * os / n
		for j, r2 := range rs {
			for l, c := range cs {
				w := wr[i] * wr[j] * wc[l] * (1 - 1/n)
				dc, err := k.pairMoment(r1, r2, c, s, m)
				if err != nil {
					return OutputNorms{}, err
				}
				oc, err := k.pairMoment(r1, r2, c, 2*s, m)
				if err != nil {
					return OutputNorms{}, err
				}
				out.DiagCross += w * dc
				out.OffCross += w * oc
			}
		}
	}
	return out, nil
}

// ScaledRatioLimit returns lim C·R = √(Off/Diag).
func (o MLPCEOutput) ScaledRatioLimit() (float64, error) {
	b, err := o.BlockNorms()
	if err != nil {
		return math.NaN(), err
	}
	return math.Sqrt(b.Off() / b.Diag()), nil
}

// Ratio returns the predicted R = Constant/C.
func (o MLPCEOutput) Ratio() (float64, error) {
	k, err := o.ScaledRatioLimit()
	return k / float64(o.Classes), err
}

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
var errSaturated = paramError("output law: E e^{t hᵀh'/m} diverges (σ_v² too large for the width); the C → ∞ weights do not apply")

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
		// Polar coordinates of (z₁, z₂): g = R²G(ϑ), G = ab cos ϑ cos(ϑ−θ),
		// and ∫₀^∞ R e^{−R²/2}(R²G)^j e^{τR²G} dR = j!(2G)^j/(1−2τG)^{j+1}.
		th := math.Acos(clamp(c, -1, 1))
		lo, hi := -math.Pi, math.Pi
		if k.act == kind.ReLU {
			lo, hi = th-math.Pi/2, math.Pi/2 // both units active
			mom[0] = 1 - (hi-lo)/(2*math.Pi)
		}
		half, mid := (hi-lo)/2, (hi+lo)/2
		for i, x := range k.legX {
			phi := mid + half*x
			g := a * b * math.Cos(phi) * math.Cos(phi-th)
			den := 1 - 2*tau*g
			if den <= 0 {
				return math.NaN(), errSaturated
			}
			w := k.legW[i] * half / (2 * math.Pi)
			mom[0] += w / den
			mom[1] += w * 2 * g / (den * den)
			mom[2] += w * 8 * g * g / (den * den * den)
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
// moment (package documentation, "Network, CE, hidden blocks").
func (k featureKernel) unitMoments(r1, r2, c, tau float64) (mm, qq float64, err error) {
	a, b := k.sw*math.Sqrt(r1), k.sw*math.Sqrt(r2)
	switch k.act {
	case kind.Identity, kind.ReLU:
		th := math.Acos(clamp(c, -1, 1))
		lo, hi := -math.Pi, math.Pi
		if k.act == kind.ReLU {
			lo, hi = th-math.Pi/2, math.Pi/2
			mm = 1 - (hi-lo)/(2*math.Pi)
		}
		half, mid := (hi-lo)/2, (hi+lo)/2
		for i, x := range k.legX {
			phi := mid + half*x
			g := a * b * math.Cos(phi) * math.Cos(phi-th)
			den := 1 - 2*tau*g
			if den <= 0 {
				return math.NaN(), math.NaN(), errSaturated
			}
			w := k.legW[i] * half / (2 * math.Pi)
			mm += w / den
			qq += w * (1/den + tau*2*g/(den*den))
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

// hiddenOffMoments returns the finite-m moments of the hidden–hidden
// off-diagonal weight, in units of (σ_v²/m)²/C:
// self = E[‖x‖⁴/(d(d+2))·M_s^{m−2}Q_s²] (same sample) and
// cross = E[(xᵀx')²/d·M^{m−2}Q²] (two samples); they replace e^{s²}B2 and
// e^{σ_b²}B1² of the first-order law.
func hiddenOffMoments(act kind.Activation, sw, sv float64, d, m int) (self, cross float64, err error) {
	k := newFeatureKernel(act, sw)
	df, mf := float64(d), float64(m)
	tau := sv * sv / mf
	rs, wr, cs, wc := outerNodes(df, 8, 10)
	for i, r1 := range rs {
		ms, qs, err := k.unitSelfMoments(r1, tau)
		if err != nil {
			return math.NaN(), math.NaN(), err
		}
		self += wr[i] * r1 * r1 * df / (df + 2) * math.Pow(ms, mf-2) * qs * qs
		for j, r2 := range rs {
			for l, c := range cs {
				mm, qq, err := k.unitMoments(r1, r2, c, tau)
				if err != nil {
					return math.NaN(), math.NaN(), err
				}
				cross += wr[i] * wr[j] * wc[l] * df * r1 * r2 * c * c * math.Pow(mm, mf-2) * qq * qq
			}
		}
	}
	return self, cross, nil
}

// featureNorms returns ‖Φ‖_F²/m² for Φ = (1/N)Σ h hᵀ:
// (1/N)E(‖h‖²/m)² + (1−1/N)E(hᵀh'/m)², exact at finite m and d.
func (o MLPCEOutput) featureNorms() (float64, error) {
	m, n, d := float64(o.Width), float64(o.Samples), float64(o.Inputs)
	k := newFeatureKernel(o.Activation, o.SigmaW)
	rs, wr, cs, wc := outerNodes(d, 8, 10)
	var out float64
	for i, r1 := range rs {
		s, err := k.selfMoment(r1, 0, m)
		if err != nil {
			return math.NaN(), err
		}
		out += wr[i] * s / n
		for j, r2 := range rs {
			for l, c := range cs {
				p, err := k.pairMoment(r1, r2, c, 0, m)
				if err != nil {
					return math.NaN(), err
				}
				out += wr[i] * wr[j] * wc[l] * (1 - 1/n) * p
			}
		}
	}
	return out, nil
}

// TiltScale returns E_x e^{σ_v²‖h‖²/m}, the C → ∞ value of C·E Σ_k p_k²
// (the softmax weights' mean square). The finite-width moments of
// RatioSq are those of the softmax tilt, which a finite C realizes only
// for C ≫ TiltScale; RatioSq refuses C < TiltScale.
func (h MLPCEHidden) TiltScale() (float64, error) {
	if err := MLPCECross(h).Validate(); err != nil {
		return math.NaN(), err
	}
	k := newFeatureKernel(h.Activation, h.SigmaW)
	m := float64(h.Width)
	tau := h.SigmaV * h.SigmaV / m
	rs, wr, _, _ := outerNodes(float64(h.Inputs), 8, 1)
	var out float64
	for i, r := range rs {
		ms, _, err := k.unitSelfMoments(r, tau)
		if err != nil {
			return math.Inf(1), nil
		}
		out += wr[i] * math.Pow(ms, m)
	}
	return out, nil
}
