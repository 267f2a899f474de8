package theory

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"
)

// The spectral laws follow gonum's stat/distuv conventions; these are the
// interfaces they claim.
var (
	_ distuv.LogProber     = MarchenkoPastur{}
	_ distuv.Quantiler     = MarchenkoPastur{}
	_ distuv.Rander        = MarchenkoPastur{}
	_ distuv.RandLogProber = MarchenkoPastur{}
	_ distuv.LogProber     = GeneralizedMP{}
	_ distuv.Quantiler     = GeneralizedMP{}
	_ distuv.Rander        = GeneralizedMP{}
	_ distuv.RandLogProber = GeneralizedMP{}
)

// conformanceCase is one spectral law under the conformance harness, in the
// style of gonum's stat/distuv tests: every law is checked the same way.
type conformanceCase struct {
	name string
	// law returns the law drawing from src.
	law func(src rand.Source) SpectralLaw
	// tol bounds the quadrature checks (mass, CDF, moments) and roundTrip
	// the CDF(Quantile(p)) round trip: MP is in closed form, GMP solves for
	// its density by Newton and integrates it adaptively for its CDF.
	tol, roundTrip float64
	// draws is the size of the KS sample: each GMP draw inverts the CDF,
	// which costs ~10 ms, so GMP gets fewer.
	draws int
}

func mpCase(gamma, scale float64) conformanceCase {
	return conformanceCase{
		name:      fmt.Sprintf("MP(γ=%g,s=%g)", gamma, scale),
		law:       func(src rand.Source) SpectralLaw { return MarchenkoPastur{Gamma: gamma, Scale: scale, Src: src} },
		tol:       1e-9,
		roundTrip: 1e-10,
		draws:     2000,
	}
}

func gmpCase(t *testing.T, name string, gamma float64, w WeightLaw, draws int) conformanceCase {
	g := mustGMP(t, gamma, w)
	return conformanceCase{
		name:      fmt.Sprintf("GMP(γ=%g,%s)", gamma, name),
		law:       func(src rand.Source) SpectralLaw { h := g; h.Src = src; return h },
		tol:       1e-5,
		roundTrip: 1e-10,
		draws:     draws,
	}
}

// conformanceCases are MP on both sides of γ = 1 (the hard edge at γ = 1,
// an atom at 0 for γ > 1) and GMP with Bernoulli (an atom from zero
// weights at γ = 2), discrete (a split support at γ = 2), log-normal (the
// Gauss–Hermite islands) and empirical weights.
func conformanceCases(t *testing.T) []conformanceCase {
	cs := []conformanceCase{mpCase(0.1, 1), mpCase(0.5, 0.3), mpCase(1, 1), mpCase(2, 1.5), mpCase(4, 1)}
	three := DiscreteWeights{Values: []float64{0.2, 1, 5}, Probs: []float64{0.5, 0.3, 0.2}}
	// Draws: enough for the KS test to tell the law from its stretch by 2
	// (with γ = 2 half the mass or more is in the atom, so more are needed).
	return append(cs,
		gmpCase(t, "bernoulli", 0.3, BernoulliWeights{P: 0.5}, 400),
		gmpCase(t, "three-atom", 0.3, three, 400),
		gmpCase(t, "bernoulli", 2, BernoulliWeights{P: 0.5}, 1000),
		gmpCase(t, "three-atom", 2, three, 1000),
		gmpCase(t, "lognormal", 0.3, LogNormalWeights{Mu: -0.125, Sigma: 0.5, Nodes: 20}, 200),
		gmpCase(t, "empirical", 0.5, EmpiricalWeights{Samples: lognormalSamples(20, 0.8, 5)}, 200),
	)
}

func TestSpectralLawConformance(t *testing.T) {
	for _, c := range conformanceCases(t) {
		t.Run(c.name, func(t *testing.T) {
			law := c.law(nil)
			if err := law.Validate(); err != nil {
				t.Fatal(err)
			}
			checkQuantileRoundTrip(t, law, c.roundTrip)
			checkCDFIsIntegralOfProb(t, law, c.tol)
			checkMomentsByQuadrature(t, law, c.tol)
			checkLogProb(t, law)
			checkRandKS(t, c)
		})
	}
}

// edgeQuad integrates f over [a, b] by Gauss–Legendre in θ with
// x = a + (b−a)(1−cos θ)/2: the substitution removes the square-root
// (and, at a hard edge, inverse-square-root) behaviour of a spectral
// density at both ends, so the fixed rule converges fast. It is
// independent of the laws' own quadratures (adaptive Gauss–Kronrod for
// GMP, closed forms for MP).
func edgeQuad(f func(float64) float64, a, b float64) float64 {
	const nodes = 400
	h := (b - a) / 2
	return quad.Fixed(func(th float64) float64 {
		return f(a+h*(1-math.Cos(th))) * h * math.Sin(th)
	}, 0, math.Pi, nodes, quad.Legendre{}, 0)
}

// checkQuantileRoundTrip: CDF(Quantile(p)) = p off the atom, Quantile = 0
// inside it, Quantile non-decreasing, NaN outside [0, 1].
func checkQuantileRoundTrip(t *testing.T, law SpectralLaw, tol float64) {
	t.Helper()
	prev := math.Inf(-1)
	for i := 0; i <= 40; i++ {
		p := float64(i) / 40
		x := law.Quantile(p)
		if x < prev {
			t.Errorf("Quantile(%v) = %v < Quantile at the previous p, %v", p, x, prev)
		}
		prev = x
		if p <= law.Atom() {
			if x != 0 {
				t.Errorf("Quantile(%v) = %v inside the atom %v, want 0", p, x, law.Atom())
			}
			continue
		}
		if e := math.Abs(law.CDF(x) - p); e > tol {
			t.Errorf("CDF(Quantile(%v)) − p = %.2g", p, e)
		}
	}
	for _, p := range []float64{-0.1, 1.1, math.NaN()} {
		if !math.IsNaN(law.Quantile(p)) {
			t.Errorf("Quantile(%v) = %v, want NaN", p, law.Quantile(p))
		}
	}
}

// checkCDFIsIntegralOfProb: CDF(x) = atom + ∫ Prob up to x, at points in
// every support interval (next to both edges too) and in the gaps, and 1
// above the support.
func checkCDFIsIntegralOfProb(t *testing.T, law SpectralLaw, tol float64) {
	t.Helper()
	below := law.Atom()
	if law.CDF(-1) != 0 {
		t.Errorf("CDF(−1) = %v, want 0", law.CDF(-1))
	}
	gapStart := 0.0
	for _, iv := range law.Support() {
		if gap := (gapStart + iv.Min) / 2; gap < iv.Min && math.Abs(law.CDF(gap)-below) > tol {
			t.Errorf("CDF(%v) in the gap below %v = %v, want %v", gap, iv.Min, law.CDF(gap), below)
		}
		gapStart = iv.Max
		for _, frac := range []float64{1e-6, 0.01, 0.3, 0.77, 0.999} {
			x := iv.Min + frac*iv.Len()
			want := below + edgeQuad(law.Prob, iv.Min, x)
			if e := math.Abs(law.CDF(x) - want); e > tol {
				t.Errorf("CDF(%v) = %v, atom + ∫Prob = %v (|Δ| = %.2g)", x, law.CDF(x), want, e)
			}
		}
		below += edgeQuad(law.Prob, iv.Min, iv.Max)
		if e := math.Abs(law.CDF(iv.Max) - below); e > tol {
			t.Errorf("CDF at the interval's end %v = %v, atom + ∫Prob = %v", iv.Max, law.CDF(iv.Max), below)
		}
	}
	if e := math.Abs(below - 1); e > tol {
		t.Errorf("atom + ∫Prob = %v, want 1", below)
	}
	top := law.Support()[len(law.Support())-1].Max
	if f := law.CDF(2*top + 1); math.Abs(f-1) > 1e-15 {
		t.Errorf("CDF above the support = %v, want 1", f)
	}
}

// checkMomentsByQuadrature: Moment(k) = ∫ x^k Prob (the atom sits at 0, so
// it adds to k = 0 only), and Mean, Variance from the same moments.
func checkMomentsByQuadrature(t *testing.T, law SpectralLaw, tol float64) {
	t.Helper()
	for k := 0; k <= 4; k++ {
		got := 0.0
		if k == 0 {
			got = law.Atom()
		}
		for _, iv := range law.Support() {
			got += edgeQuad(func(x float64) float64 { return math.Pow(x, float64(k)) * law.Prob(x) }, iv.Min, iv.Max)
		}
		if e := relErr(got, law.Moment(k)); e > tol {
			t.Errorf("∫x^%d dF = %v, Moment = %v (rel %.2g)", k, got, law.Moment(k), e)
		}
	}
	m1, m2 := law.Moment(1), law.Moment(2)
	if relErr(law.Mean(), m1) > 1e-14 || relErr(law.Variance(), m2-m1*m1) > 1e-12 {
		t.Errorf("Mean, Variance = %v, %v; from the moments %v, %v", law.Mean(), law.Variance(), m1, m2-m1*m1)
	}
}

// checkLogProb: LogProb is log Prob inside the support and −Inf outside.
func checkLogProb(t *testing.T, law SpectralLaw) {
	t.Helper()
	iv := law.Support()[0]
	x := iv.Min + 0.4*iv.Len()
	if e := math.Abs(law.LogProb(x) - math.Log(law.Prob(x))); e > 1e-14 {
		t.Errorf("LogProb(%v) − log Prob = %.2g", x, e)
	}
	if lp := law.LogProb(-1); !math.IsInf(lp, -1) {
		t.Errorf("LogProb(−1) = %v, want −Inf", lp)
	}
}

// checkRandKS tests Rand against CDF by the one-sample Kolmogorov–Smirnov
// statistic. The critical value is from the asymptotic Kolmogorov law,
// P(√n D > λ) ≤ 2e^{−2λ²}: D_crit = √(−ln(α/2)/(2n)) bounds the false-failure
// rate by α = 1e−6 (with the atom the sample has ties and the test is
// conservative). The seed is fixed, so the outcome is the same on every
// run; α says how unlikely a correct Rand is to fail with any seed. The
// sample must also be rejected against the law stretched by 2 (CDF at
// x/2), or the test would have no power.
func checkRandKS(t *testing.T, c conformanceCase) {
	t.Helper()
	const alpha = 1e-6
	crit := math.Sqrt(-math.Log(alpha/2) / (2 * float64(c.draws)))
	law := c.law(rand.NewPCG(1, 2))
	xs := make([]float64, c.draws)
	for i := range xs {
		xs[i] = law.Rand()
	}
	slices.Sort(xs)
	if d := ksDistance(xs, law.CDF, law.Atom()); d > crit {
		t.Errorf("KS distance of Rand from CDF %.4f > %.4f (n = %d, α = %g)", d, crit, c.draws, alpha)
	}
	stretched := func(x float64) float64 { return law.CDF(x / 2) }
	if d := ksDistance(xs, stretched, law.Atom()); d <= crit {
		t.Errorf("KS test has no power against the law stretched by 2 (D = %.4f ≤ %.4f)", d, crit)
	} else {
		t.Logf("KS: D = %.4f against the law, %.4f against it stretched by 2; critical value %.4f", ksDistance(xs, law.CDF, law.Atom()), d, crit)
	}
}

// ksDistance returns sup |F_n − F| for the sorted sample xs. Ties (the atom
// at 0) are compared once, on both sides of the jump: F_n(x−) against F(x−),
// with F(x−) = F(x) − atom at x = 0 and F(x−) = F(x) elsewhere.
func ksDistance(xs []float64, cdf func(float64) float64, atom float64) float64 {
	n := float64(len(xs))
	d := 0.0
	for i := 0; i < len(xs); {
		j := i
		for j+1 < len(xs) && xs[j+1] == xs[i] {
			j++
		}
		f := cdf(xs[i])
		fLeft := f
		if xs[i] == 0 {
			fLeft -= atom
		}
		d = math.Max(d, math.Max(math.Abs(float64(j+1)/n-f), math.Abs(fLeft-float64(i)/n)))
		i = j + 1
	}
	return d
}
