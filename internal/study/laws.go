package study

import (
	"math"
	"math/rand/v2"
)

// linearCELimitKappa2 is lim C²R² = lim C·ρ for linear CE (THEORY §4):
// (1 + γe^{2σ²}) / (1 + γe^{σ²}).
func linearCELimitKappa2(gamma, sigma float64) float64 {
	s2 := sigma * sigma
	return (1 + gamma*math.Exp(2*s2)) / (1 + gamma*math.Exp(s2))
}

// linearCEFinite returns the finite-C predictions of R and ρ for linear CE
// with d, N, σ (package documentation), by Monte Carlo over draws of the
// logits z ~ N(0, σ² I_C) from a fixed seed.
func linearCEFinite(c, d, n int, sigma float64) (r, rho float64) {
	if sigma == 0 {
		return 1 / float64(c-1), 1 / float64(c)
	}
	draws := max(4000, 400000/c) // ≈ 4e5 class samples whatever C
	rnd := rand.New(rand.NewPCG(20250502, uint64(c)))
	z := make([]float64, c)
	p := make([]float64, c)
	var ea, ea2, eb, eb2 float64
	for range draws {
		mx := math.Inf(-1)
		for k := range z {
			z[k] = sigma * rnd.NormFloat64()
			mx = math.Max(mx, z[k])
		}
		var sum float64
		for k := range z {
			p[k] = math.Exp(z[k] - mx)
			sum += p[k]
		}
		var s2, s4 float64
		for k := range p {
			p[k] /= sum
			a := p[k] * (1 - p[k])
			ea += a
			ea2 += a * a
			s2 += p[k] * p[k]
			s4 += p[k] * p[k] * p[k] * p[k]
		}
		// Σ_{k≠l} p_k p_l = 1 − Σ p², Σ_{k≠l} (p_k p_l)² = (Σ p²)² − Σ p⁴.
		eb += 1 - s2
		eb2 += s2*s2 - s4
	}
	nd := float64(draws * c)
	np := float64(draws * c * (c - 1))
	ea, ea2, eb, eb2 = ea/nd, ea2/nd, eb/np, eb2/np
	g := float64(d) / float64(n) * (1 + 2/float64(d))
	f := 1 - 1/float64(n)
	r2 := (g*eb2 + f*eb*eb) / (g*ea2 + f*ea*ea)
	rho = float64(c-1) * r2 / (float64(c-1)*r2 + 1)
	return math.Sqrt(r2), rho
}

// mlpMSEHiddenR2 is THEORY §4's approximate law for the ReLU network under
// MSE: R² ≈ (γ/4 + 1/16) / ((C+2)(γ/2 + 1/4)).
func mlpMSEHiddenR2(c int, gamma float64) float64 {
	return (gamma/4 + 1.0/16) / (float64(c+2) * (gamma/2 + 1.0/4))
}
