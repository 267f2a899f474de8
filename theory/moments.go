package theory

import (
	"math"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/integrate/quad"
)

// Gaussian moments of the activations, shared by the MLP laws: every
// expectation over a pre-activation u ~ N(0, q) is taken here.

func sq(x float64) float64 { return x * x }

// actMoments are moments of φ' at independent pre-activations u_i, u_j ~
// N(0, q) (rows of a random W are nearly orthogonal):
// A1 = E φ'(u)², A2 = E φ'(u)⁴, B1 = E φ'(u_i)φ'(u_j), B2 = E φ'(u_i)²φ'(u_j)².
type actMoments struct{ A1, A2, B1, B2 float64 }

// activationMoments returns the φ' moments for pre-activation variance q.
// For ReLU, cosTheta sets the correlation of u_i and u_j (0 for random W):
// P(u_i > 0, u_j > 0) = ¼ + arcsin(cos θ)/(2π). It is ignored otherwise.
func activationMoments(act kind.Activation, q, cosTheta float64) (actMoments, error) {
	switch act {
	case kind.Identity:
		return actMoments{1, 1, 1, 1}, nil
	case kind.ReLU:
		p2 := reluJointActive(cosTheta)
		return actMoments{0.5, 0.5, p2, p2}, nil
	case kind.Tanh:
		if !isFinite(q) || q < 0 {
			return actMoments{}, paramError("tanh moments need q ≥ 0, got %v", q)
		}
		e2 := gaussExpect(func(u float64) float64 { return math.Pow(sech(u), 4) }, q)
		e4 := gaussExpect(func(u float64) float64 { return math.Pow(sech(u), 8) }, q)
		e1 := gaussExpect(func(u float64) float64 { return math.Pow(sech(u), 2) }, q)
		return actMoments{e2, e4, e1 * e1, e2 * e2}, nil
	}
	return actMoments{}, paramError("unknown activation %q", act)
}

// reluJointActive returns P(u_i > 0, u_j > 0) = ¼ + arcsin(cos θ)/(2π) for
// centred jointly Gaussian u_i, u_j with correlation cos θ (Sheppard).
func reluJointActive(cosTheta float64) float64 {
	return 0.25 + math.Asin(clamp(cosTheta, -1, 1))/(2*math.Pi)
}

// mlpMSEHiddenMoments returns the moments mlpMSEHiddenRatioSq needs for the
// hidden blocks under MSE. The diagonal weight of H_{w_i w_i} is
// (VᵀV)_ii φ'_i² + φ″_i (Vᵀr)_i; averaged over V, (Vᵀr)_i ≈ (Cσ_v²/m) φ_i,
// so the weight is (Cσ_v²/m) ψ with ψ = φ'² + φφ″ (fluctuations are
// O(1/C) relative). A1 and A2 are therefore E ψ and E ψ²; B1 and B2 (the
// off-diagonal φ'_iφ'_j) are those of activationMoments. For identity and
// ReLU φφ″ = 0 and nothing changes; for tanh ψ = sech⁴ − 2tanh²sech², and
// using φ'² alone underestimated √C·R by 40% (0.79 against 1.36 measured).
func mlpMSEHiddenMoments(act kind.Activation, q float64) (actMoments, error) {
	a, err := activationMoments(act, q, 0)
	if err != nil {
		return actMoments{}, err
	}
	a.A1, a.A2 = psiMoments(act, q)
	return a, nil
}

// psiMoments returns E ψ and E ψ² for ψ = φ'² + φφ” at u ~ N(0, q): the
// mean diagonal hidden weight is (σ_v²/m)(1 − Σp²)ψ once the tilted mean
// Σ_k p_k V_ki ≈ (σ_v²/m)h_i of the residual term φ”(Vᵀr)_i is counted.
// For identity and ReLU ψ = φ'².
func psiMoments(act kind.Activation, q float64) (float64, float64) {
	switch act {
	case kind.Identity:
		return 1, 1
	case kind.ReLU:
		return 0.5, 0.5
	}
	psi := func(u float64) float64 {
		t := math.Tanh(u)
		s := 1 - t*t
		return s*s - 2*t*t*s
	}
	return gaussExpect(psi, q), gaussExpect(func(u float64) float64 { return sq(psi(u)) }, q)
}

// actStats are Gaussian moments of φ at u ~ N(0, q).
type actStats struct {
	k1     float64 // E φ'
	a1, a2 float64 // E φ'², E φ'⁴
	dd     float64 // E φ'' (ReLU: the density at 0, 1/√(2πq))
	mu     float64 // E φ
	t2, t4 float64 // E φ², E φ⁴
}

func activationStats(act kind.Activation, q float64) (actStats, error) {
	switch act {
	case kind.Identity:
		return actStats{k1: 1, a1: 1, a2: 1, t2: q, t4: 3 * q * q}, nil
	case kind.ReLU:
		return actStats{k1: 0.5, a1: 0.5, a2: 0.5, dd: 1 / math.Sqrt(2*math.Pi*q),
			mu: math.Sqrt(q / (2 * math.Pi)), t2: q / 2, t4: 1.5 * q * q}, nil
	case kind.Tanh:
		s2 := func(u float64) float64 { return sq(sech(u)) }
		a1 := gaussExpect(func(u float64) float64 { return sq(s2(u)) }, q)
		a2 := gaussExpect(func(u float64) float64 { return sq(sq(s2(u))) }, q)
		t2 := gaussExpect(func(u float64) float64 { return sq(math.Tanh(u)) }, q)
		t4 := gaussExpect(func(u float64) float64 { return sq(sq(math.Tanh(u))) }, q)
		return actStats{k1: gaussExpect(s2, q), a1: a1, a2: a2, t2: t2, t4: t4}, nil
	}
	return actStats{}, paramError("unknown activation %q", act)
}

// tanhCurvatureSq returns E φ”(u)², u ~ N(0, q): zero for identity and
// ReLU (φ” = 0 almost everywhere), E[(2 tanh u·sech²u)²] for tanh.
func tanhCurvatureSq(act kind.Activation, q float64) float64 {
	if act != kind.Tanh {
		return 0
	}
	return gaussExpect(func(u float64) float64 {
		t := math.Tanh(u)
		return sq(2 * t * (1 - t*t))
	}, q)
}

// selfDerivMoment returns E φ'(u)²φ(u)², u ~ N(0, q).
func selfDerivMoment(act kind.Activation, q float64) float64 {
	switch act {
	case kind.Identity:
		return q
	case kind.ReLU:
		return q / 2
	}
	return gaussExpect(func(u float64) float64 {
		t := math.Tanh(u)
		return sq(t * (1 - t*t))
	}, q)
}

// logitVariance returns s² = σ_v²·E φ(u)², u ~ N(0, σ_w²): the variance of
// a logit at initialization when ‖x‖²/d ≈ 1 (so E‖h‖²/m = E φ(u)²).
func logitVariance(act kind.Activation, sigmaW, sigmaV float64) float64 {
	q := sigmaW * sigmaW
	switch act {
	case kind.Identity:
		return sigmaV * sigmaV * q
	case kind.ReLU:
		return sigmaV * sigmaV * q / 2
	case kind.Tanh:
		return sigmaV * sigmaV * gaussExpect(func(u float64) float64 { return sq(math.Tanh(u)) }, q)
	}
	return math.NaN()
}

func sech(u float64) float64 { return 1 / math.Cosh(u) }

// gaussExpect returns E f(u), u ~ N(0, q), by 64-node Gauss–Hermite.
func gaussExpect(f func(float64) float64, q float64) float64 {
	const n = 64
	x, w := make([]float64, n), make([]float64, n)
	quad.Hermite{}.FixedLocations(x, w, math.Inf(-1), math.Inf(1))
	s := 0.0
	for i := range x {
		s += w[i] * f(math.Sqrt(2*q)*x[i])
	}
	return s / math.SqrtPi
}
