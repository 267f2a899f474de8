package spectralfit

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat"
)

// ErrNotConverged is wrapped by the error of a fit whose optimizer did not
// converge, or converged to the border of the model's parameters.
var ErrNotConverged = errors.New("spectralfit: fit did not converge")

// MinEigenvalues is the smallest sample Fit accepts. Below it the KS
// distance of even the true law is typically over 0.2 (its 5% critical
// value at n = 20 is 0.29), so no fit could tell laws apart.
const MinEigenvalues = 20

// DefaultSpikeMargin is the default c of the spike margin: P(TW₁ > 5) is
// about 3e-5 (the Tracy–Widom right tail decays as e^{−(2/3)s^{3/2}}), so a
// null sample has a bulk eigenvalue counted as a spike that rarely, when
// the fitted edge is right.
const DefaultSpikeMargin = 5

// DefaultBootstrap is the number of bootstrap resamples behind StdErr when
// Options.Bootstrap is 0.
const DefaultBootstrap = 32

// Method selects the objective.
type Method int

const (
	// MinKS minimizes the Kolmogorov–Smirnov distance sup|F_n − F|: robust
	// to spikes and to eigenvalues just beyond the edge, which only move it
	// by 1/n each. Its plateaus (many spikes hold it at k/n) are broken by
	// 1e-3 times the mean absolute CDF difference.
	MinKS Method = iota
	// MaxLikelihood maximizes Σ log((1−ε)·p(λ_i) + ε·u(λ_i)), the density
	// of the law contaminated by a fraction ε = 1/n of a uniform law u on
	// [0, 1.01·max λ]: without it one eigenvalue beyond the support (a
	// spike, or a Tracy–Widom fluctuation past the edge) would make the
	// likelihood 0 for every scale that leaves it outside.
	MaxLikelihood
)

func (m Method) String() string {
	switch m {
	case MinKS:
		return "MinKS"
	case MaxLikelihood:
		return "MaxLikelihood"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Options selects the model and how it is fitted.
type Options struct {
	Model Model
	// Gamma is the known ratio γ = d/N > 0 of the law.
	Gamma  float64
	Method Method
	// Bootstrap is the number of resamples behind StdErr; 0 means
	// DefaultBootstrap, and it must be 0 or ≥ 2.
	Bootstrap int
	// Seed draws the bootstrap resamples.
	Seed uint64
	// SpikeMargin is c in the spike margin; 0 means DefaultSpikeMargin.
	SpikeMargin float64
	// MaxEvaluations caps the objective evaluations of one optimization;
	// 0 means 3000. Reaching it is non-convergence.
	MaxEvaluations int
}

// Fit is a fitted spectral law.
type Fit struct {
	Model Model
	// Params are the fitted parameters in the model's order (see Model).
	Params []float64
	// StdErr holds the bootstrap standard deviation of each parameter: the
	// eigenvalues are resampled with replacement and refitted. Eigenvalues
	// are not independent but rigid (their counting function fluctuates by
	// O(log n), not O(√n)), so this overstates the sampling error of a
	// scale, which is O(1/n) rather than O(1/√n): a conservative error bar.
	StdErr []float64
	// KS is the Kolmogorov–Smirnov distance between the whole sample,
	// spikes included (k spikes add up to k/n), and the fitted law.
	KS float64
	// Edge is the upper edge of the fitted law: σ²(1+√γ)² for MP; for GMP
	// the upper end of the highest support interval holding at least
	// 1/(2n) of the mass (islands expected to hold less than half an
	// eigenvalue do not count).
	Edge float64
	// Margin is the spike margin c·σ²·√γ·(1+√γ)^{4/3}·n^{−2/3}, n the
	// number of eigenvalues and σ² = Edge/(1+√γ)² (for MP the fitted
	// scale): c times the Tracy–Widom scale of the largest eigenvalue of a
	// Wishart matrix (Johnstone 2001, Ann. Statist. 29, 295–327, Thm 1.1,
	// in units of the d×d matrix's eigenvalues with d/N = γ).
	Margin float64
	// Spikes counts the eigenvalues above Edge + Margin.
	Spikes int
	// Evaluations counts the objective evaluations of the last fit (the
	// one after spike removal).
	Evaluations int
	// Converged is true for every Fit returned without error.
	Converged bool
}

// FitSpectrum fits opts.Model at the known ratio opts.Gamma to the sample
// eigs (eigenvalues of one matrix, or pooled over several of one size) by
// opts.Method with gonum's Nelder–Mead, started from moment estimates, and
// bootstraps the standard errors. Eigenvalues found beyond Edge + Margin
// (spikes) are set aside and the rest refitted, up to three fits, so that
// spikes do not widen the bulk law; the final bulk is what the bootstrap
// resamples.
//
// Eigenvalues within 1e-10·max|λ| of 0 are taken as 0 (a zero eigenvalue
// from a dense eigensolver is ±round-off). A law at γ > 1 has an atom of
// mass 1 − 1/γ at 0 whatever its parameters, so the fit compares only the
// nonzero eigenvalues with the law conditioned on λ ≠ 0; the reported KS
// compares the whole sample with the whole law, atom included.
//
// Errors: fewer than MinEigenvalues (nonzero) eigenvalues, a non-finite
// one, a mean ≤ 0, γ not finite and > 0, an unknown model or method,
// Bootstrap 1 or negative, a negative SpikeMargin or MaxEvaluations. A fit whose optimizer stops at
// MaxEvaluations or without converging, or converges to the border of the
// parameters (see Model), returns nil and an error wrapping
// ErrNotConverged: never a number from a failed fit. A bootstrap refit
// that fails so is an error alike.
//
// Cost: per objective evaluation, one tabulation of the law (80 closed-form
// densities for MP; for GMP its support and 80 density solves on the main
// interval, 8 per island) and O(n) interpolations; a few
// hundred evaluations per optimization, times 1 + Bootstrap.
func FitSpectrum(eigs []float64, opts Options) (*Fit, error) {
	if err := opts.validate(eigs); err != nil {
		return nil, err
	}
	n := len(eigs)
	sorted := slices.Clone(eigs)
	slices.Sort(sorted)
	// A zero eigenvalue (the atom of a law at γ > 1) comes out of a
	// dense eigensolver as ±(round-off): count it as 0.
	zeroTol := 1e-10 * math.Max(math.Abs(sorted[0]), math.Abs(sorted[n-1]))
	for i, x := range sorted {
		if math.Abs(x) <= zeroTol {
			sorted[i] = 0
		}
	}
	// The atom at 0 of a law at γ > 1 has the mass 1 − 1/γ whatever the
	// parameters, so the zeros say nothing about them: the fit compares
	// the nonzero eigenvalues with the law conditioned on λ ≠ 0.
	nonzero := slices.DeleteFunc(slices.Clone(sorted), func(x float64) bool { return x == 0 })
	if len(nonzero) < MinEigenvalues {
		return nil, fmt.Errorf("spectralfit: %d nonzero eigenvalues (of %d), want at least %d", len(nonzero), n, MinEigenvalues)
	}
	// Moment estimates from the whole sample (the laws' moments include the
	// atom), scaled by max|λ| so that squares cannot overflow.
	scale := math.Max(math.Abs(sorted[0]), math.Abs(sorted[n-1]))
	scaled := make([]float64, n)
	for i, x := range sorted {
		scaled[i] = x / scale
	}
	mean, variance := stat.MeanVariance(scaled, nil)
	start := opts.Model.initial(opts.Gamma, mean*scale, variance/(mean*mean))
	// Spikes are not part of the bulk law: after each fit the eigenvalues
	// beyond Edge + Margin are set aside and the bulk refitted, until the
	// set is stable (at most spikeRounds fits).
	bulk := nonzero
	var fit *Fit
	for round := 1; ; round++ {
		var err error
		fit, err = opts.fitBulk(bulk, start, n)
		if err != nil {
			return nil, err
		}
		kept := slices.DeleteFunc(slices.Clone(nonzero), func(x float64) bool { return x > fit.Edge+fit.Margin })
		if len(kept) == len(bulk) || len(kept) < MinEigenvalues || round == spikeRounds {
			break
		}
		bulk, start = kept, fit.Params
	}
	law, err := opts.Model.law(opts.Gamma, fit.Params)
	if err != nil {
		return nil, fmt.Errorf("%w: the fitted law: %v", ErrNotConverged, err)
	}
	tab, err := newTable(law)
	if err != nil {
		return nil, fmt.Errorf("%w: the fitted law: %v", ErrNotConverged, err)
	}
	fit.KS = ks(sorted, tab, false)
	for _, x := range sorted {
		if x > fit.Edge+fit.Margin {
			fit.Spikes++
		}
	}
	if fit.StdErr, err = opts.bootstrap(bulk, fit.Params); err != nil {
		return nil, err
	}
	fit.Converged = true
	return fit, nil
}

// spikeRounds bounds the fits of FitSpectrum's spike removal.
const spikeRounds = 3

// fitBulk fits the sorted nonzero bulk from start and fills in the
// parameters, Edge and Margin (n eigenvalues in all) of the Fit.
func (o Options) fitBulk(bulk, start []float64, n int) (*Fit, error) {
	p, evals, err := o.optimize(bulk, start)
	if err != nil {
		return nil, err
	}
	fit := &Fit{Model: o.Model, Params: p, Evaluations: evals}
	if o.Model == MP {
		r := 1 + math.Sqrt(o.Gamma)
		fit.Edge = p[0] * r * r
	} else {
		law, err := o.Model.law(o.Gamma, p)
		if err != nil {
			return nil, fmt.Errorf("%w: the fitted law: %v", ErrNotConverged, err)
		}
		tab, err := newTable(law)
		if err != nil {
			return nil, fmt.Errorf("%w: the fitted law: %v", ErrNotConverged, err)
		}
		fit.Edge = tab.edge(1 / (2 * float64(n)))
	}
	fit.Margin = o.margin(fit.Edge, n)
	return fit, nil
}

func (o Options) validate(eigs []float64) error {
	if len(eigs) < MinEigenvalues {
		return fmt.Errorf("spectralfit: %d eigenvalues, want at least %d", len(eigs), MinEigenvalues)
	}
	for i, x := range eigs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("spectralfit: eigenvalue %d is %v", i, x)
		}
	}
	if !(o.Gamma > 0) || math.IsInf(o.Gamma, 0) {
		return fmt.Errorf("spectralfit: Gamma = %v, want a finite ratio > 0", o.Gamma)
	}
	if o.Model.NumParams() == 0 {
		return fmt.Errorf("spectralfit: unknown model %v", o.Model)
	}
	if o.Method != MinKS && o.Method != MaxLikelihood {
		return fmt.Errorf("spectralfit: unknown method %v", o.Method)
	}
	if o.Bootstrap < 0 || o.Bootstrap == 1 {
		return fmt.Errorf("spectralfit: Bootstrap = %d, want 0 (default %d) or ≥ 2", o.Bootstrap, DefaultBootstrap)
	}
	if !(o.SpikeMargin >= 0) || math.IsInf(o.SpikeMargin, 0) {
		return fmt.Errorf("spectralfit: SpikeMargin = %v, want a finite c ≥ 0 (0: %d)", o.SpikeMargin, DefaultSpikeMargin)
	}
	if o.MaxEvaluations < 0 {
		return fmt.Errorf("spectralfit: MaxEvaluations = %d, want ≥ 0 (0: 3000)", o.MaxEvaluations)
	}
	var mean float64
	for _, x := range eigs {
		mean += x
	}
	if !(mean > 0) {
		return errors.New("spectralfit: the eigenvalues have a mean ≤ 0; MP and GMP laws live on [0, ∞)")
	}
	return nil
}

func (o Options) margin(edge float64, n int) float64 {
	c := o.SpikeMargin
	if c == 0 {
		c = DefaultSpikeMargin
	}
	r := 1 + math.Sqrt(o.Gamma)
	sigma2 := edge / (r * r)
	return c * sigma2 * math.Sqrt(o.Gamma) * math.Pow(r, 4.0/3) * math.Pow(float64(n), -2.0/3)
}

// optimize fits the sorted nonzero sample from the parameters start.
func (o Options) optimize(sorted, start []float64) ([]float64, int, error) {
	objective := o.objective(sorted)
	maxEval := o.MaxEvaluations
	if maxEval == 0 {
		maxEval = 3000
	}
	prob := optimize.Problem{Func: objective}
	settings := &optimize.Settings{
		FuncEvaluations: maxEval,
		Converger:       &optimize.FunctionConverge{Absolute: 1e-10, Relative: 1e-9, Iterations: 40},
	}
	u0 := o.Model.coords(start)
	res, err := optimize.Minimize(prob, u0, settings, &optimize.NelderMead{})
	if res == nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrNotConverged, err)
	}
	evals := res.Stats.FuncEvaluations
	if err != nil || res.Status != optimize.FunctionConvergence {
		return nil, evals, fmt.Errorf("%w: %v fit of %v after %d evaluations: optimizer status %v, error %v", ErrNotConverged, o.Method, o.Model, evals, res.Status, err)
	}
	if math.IsInf(res.F, 1) {
		return nil, evals, fmt.Errorf("%w: %v fit of %v: no parameters give a valid law", ErrNotConverged, o.Method, o.Model)
	}
	if j := flat(objective, res.X, res.F); j >= 0 {
		return nil, evals, fmt.Errorf("%w: %v fit of %v stopped where the objective is flat in parameter %d: the sample does not determine it there", ErrNotConverged, o.Method, o.Model, j)
	}
	p := o.Model.params(res.X)
	if !o.Model.interior(p) {
		return nil, evals, fmt.Errorf("%w: %v fit of %v ran to the border of the parameters %v", ErrNotConverged, o.Method, o.Model, p)
	}
	return p, evals, nil
}

// objective returns the function of the unconstrained coordinates that
// the optimizer minimizes; +Inf where the parameters give no valid law.
func (o Options) objective(sorted []float64) func(u []float64) float64 {
	n := float64(len(sorted))
	top := 1.01 * sorted[len(sorted)-1]
	eps := 1 / n
	return func(u []float64) float64 {
		p := o.Model.params(u)
		if !o.Model.sane(p) {
			return math.Inf(1)
		}
		law, err := o.Model.law(o.Gamma, p)
		if err != nil {
			return math.Inf(1)
		}
		tab, err := newTable(law)
		if err != nil {
			return math.Inf(1)
		}
		if o.Method == MinKS {
			return ks(sorted, tab, true) + ksTieBreak*meanAbs(sorted, tab)
		}
		var nll float64
		for _, x := range sorted {
			f := tab.pdf(x) / (1 - tab.atom)
			u := 0.0
			if x >= 0 && x <= top {
				u = 1 / top
			}
			nll -= math.Log((1-eps)*f + eps*u + math.SmallestNonzeroFloat64)
		}
		return nll / n
	}
}

// ks returns sup|F_n − F| for the sorted sample, comparing both one-sided
// limits at each distinct value: tied eigenvalues (the zeros of a law with
// an atom at 0) are one jump of F_n, as the atom is one jump of F. With
// conditional, F is the law conditioned on λ ≠ 0 (the sample holds no
// zeros).
func ks(sorted []float64, tab *table, conditional bool) float64 {
	n := float64(len(sorted))
	var d float64
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		x := sorted[i]
		f := tab.cdf(x)
		if conditional {
			f = math.Max(0, f-tab.atom) / (1 - tab.atom)
		}
		left := f // F(x−): F is continuous but for the atom at 0
		if x == 0 {
			left = 0
		}
		d = math.Max(d, math.Max(math.Abs(float64(j)/n-f), math.Abs(float64(i)/n-left)))
		i = j
	}
	return d
}

// ksTieBreak weighs the mean absolute CDF difference added to the KS
// distance in MinKS fits. k eigenvalues beyond the edge hold the KS
// distance at k/n for every law whose edge lies below them, once k/n
// exceeds the bulk's own discrepancy (10 spikes in 300 eigenvalues do):
// a plateau on which the optimizer would stop anywhere. The small smooth
// term picks the law that fits the bulk best there, and moves a unique
// KS minimum by a negligible amount elsewhere.
const ksTieBreak = 1e-3

// meanAbs returns (1/n) Σ |F(x_i) − (i + ½)/n| over the sorted sample,
// with F conditioned on λ ≠ 0 as the sample holds no zeros.
func meanAbs(sorted []float64, tab *table) float64 {
	n := float64(len(sorted))
	var s float64
	for i, x := range sorted {
		f := math.Max(0, tab.cdf(x)-tab.atom) / (1 - tab.atom)
		s += math.Abs(f - (float64(i)+0.5)/n)
	}
	return s / n
}

// flat returns the first coordinate along which the objective does not
// change at all within a step of 1% (in the optimizer's coordinates) on
// either side of u, or −1. The KS distance is exactly constant once the
// law's support has left the sample's range (F is 0 or 1 at every
// eigenvalue), and the optimizer then stops on a plateau, not a minimum.
func flat(objective func([]float64) float64, u []float64, fu float64) int {
	v := slices.Clone(u)
	for j := range u {
		h := 1e-2 * math.Max(1, math.Abs(u[j]))
		moved := false
		for _, step := range []float64{h, -h} {
			v[j] = u[j] + step
			if math.Abs(objective(v)-fu) > 1e-12*math.Max(1, math.Abs(fu)) {
				moved = true
			}
		}
		v[j] = u[j]
		if !moved {
			return j
		}
	}
	return -1
}

// bootstrap refits resamples of the sorted sample from p and returns the
// standard deviation of each parameter.
func (o Options) bootstrap(sorted, p []float64) ([]float64, error) {
	b := o.Bootstrap
	if b == 0 {
		b = DefaultBootstrap
	}
	r := rand.New(rand.NewPCG(o.Seed, 0xb007))
	n := len(sorted)
	draws := make([][]float64, len(p))
	sample := make([]float64, n)
	for k := 0; k < b; k++ {
		for i := range sample {
			sample[i] = sorted[r.IntN(n)]
		}
		slices.Sort(sample)
		q, _, err := o.optimize(sample, p)
		if err != nil {
			return nil, fmt.Errorf("bootstrap resample %d: %w", k, err)
		}
		for j, x := range q {
			draws[j] = append(draws[j], x)
		}
	}
	se := make([]float64, len(p))
	for j := range se {
		se[j] = stat.StdDev(draws[j], nil)
	}
	return se, nil
}
