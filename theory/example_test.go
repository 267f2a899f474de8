package theory_test

import (
	"fmt"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/theory"
)

// The Marchenko–Pastur law of S = XXᵀ/N for d/N = γ: density, CDF,
// quantile and moments. With γ > 1 the law has an atom 1 − 1/γ at 0,
// which CDF and Quantile include and Prob leaves out.
func ExampleMarchenkoPastur() {
	mp := theory.MarchenkoPastur{Gamma: 0.25, Scale: 1}
	if err := mp.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	sup := mp.Support()[0]
	fmt.Printf("support [%.4f, %.4f]\n", sup.Min, sup.Max)
	fmt.Printf("Prob(1) = %.4f, CDF(1) = %.4f\n", mp.Prob(1), mp.CDF(1))
	fmt.Printf("median %.4f\n", mp.Quantile(0.5))
	fmt.Printf("E λ = %.4f, E λ² = %.4f, Var λ = %.4f\n", mp.Mean(), mp.Moment(2), mp.Variance())

	wide := theory.MarchenkoPastur{Gamma: 4, Scale: 1}
	fmt.Printf("γ = 4: atom %.2f, CDF(0) = %.2f, Quantile(0.5) = %.0f\n", wide.Atom(), wide.CDF(0), wide.Quantile(0.5))
	// Output:
	// support [0.2500, 2.2500]
	// Prob(1) = 0.6164, CDF(1) = 0.5534
	// median 0.9160
	// E λ = 1.0000, E λ² = 1.2500, Var λ = 0.2500
	// γ = 4: atom 0.75, CDF(0) = 0.75, Quantile(0.5) = 0
}

// The generalized Marchenko–Pastur law of B = (1/N) Σ τ_n x_n x_nᵀ with
// weights τ_n: here the ReLU gates of a hidden unit, Bernoulli(½), the
// diagonal hidden-block law of the ReLU network under MSE. Moments follow
// from the free cumulants γ^{k−1}E τ^k: E λ = E τ, E λ² = γE τ² + (E τ)².
func ExampleNewGeneralizedMP() {
	g, err := theory.NewGeneralizedMP(0.5, theory.BernoulliWeights{P: 0.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("atom %.2f\n", g.Atom())
	fmt.Printf("E λ = %.4f, E λ² = %.4f\n", g.Mean(), g.Moment(2))
	fmt.Printf("CDF(0.5) = %.4f, Quantile(0.5) = %.4f\n", g.CDF(0.5), g.Quantile(0.5))
	// Output:
	// atom 0.00
	// E λ = 0.5000, E λ² = 0.5000
	// CDF(0.5) = 0.6090, Quantile(0.5) = 0.3264
}

// Lookup finds the law of a block family; Predict evaluates it. For the
// linear model under CE at σ = 0 the law is exact, R = 1/(C−1), ρ = 1/C,
// and the scaled blocks follow MP(γ).
func ExampleLookup() {
	law, err := theory.Lookup(kind.Linear, kind.CE, kind.OutputOutput, kind.None)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := law.Predict(theory.Setting{Classes: 10, Gamma: 0.25})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: R = %.4f, ρ = %.4f, lim C·R = %.4f\n", p.Status, p.Ratio, p.Rho, p.ScaledRatioLimit)
	fmt.Printf("(C²/(C−1))·H_kk has mean %.4f (scale %.4f)\n", p.Diag.Mean(), p.DiagScale)
	// Output:
	// exact: R = 0.1111, ρ = 0.1000, lim C·R = 1.0000
	// (C²/(C−1))·H_kk has mean 1.0000 (scale 11.1111)
}

// The hidden–hidden law of the one-hidden-layer ReLU network under MSE:
// R² = (γ/4 + 1/16)/((C+2)(γ/2 + 1/4)), here 1/(3(C+2)) at γ = ¼, so R
// decays like C^{−1/2} and ScaledRatioLimit is lim √C·R = 1/√3 (the
// law's exponent is ½).
func ExampleLaw_Predict() {
	law, err := theory.Lookup(kind.MLP, kind.MSE, kind.HiddenHidden, kind.ReLU)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []int{10, 100, 1000} {
		p, err := law.Predict(theory.Setting{Classes: c, Inputs: 128, Samples: 512, SigmaW: 1, SigmaV: 1})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("C = %4d: R = %.4f, lim √C·R = %.4f (exponent %.1f, %s)\n", c, p.Ratio, p.ScaledRatioLimit, law.Exponent, p.Status)
	}
	// Output:
	// C =   10: R = 0.1667, lim √C·R = 0.5774 (exponent 0.5, approximate)
	// C =  100: R = 0.0572, lim √C·R = 0.5774 (exponent 0.5, approximate)
	// C = 1000: R = 0.0182, lim √C·R = 0.5774 (exponent 0.5, approximate)
}
