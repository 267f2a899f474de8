package study

import (
	"fmt"
	"sort"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/theory"
)

// spectrum holds the pooled block eigenvalues of linear CE at one C.
type spectrum struct {
	C     int
	Sigma float64
	Gamma float64
	// Diag are eigenvalues of H_kk; Off of −H_kl (both ≥ 0 up to
	// round-off), unscaled, pooled over the blocks used.
	Diag, Off []float64
	// TauDiag[b] and TauOff[b] are the weights C·p_k(1−p_k) and C²·p_k p_l
	// of block b, one per sample: the finite-C weight law ν_C.
	TauDiag, TauOff [][]float64
}

// spectrumConfig is the linear CE problem whose blocks are examined.
func (o Options) spectrumConfig(c int, sigma float64) numerics.Config {
	return numerics.Config{Model: kind.Linear, Loss: kind.CE, C: c, D: o.SpecD, N: o.SpecN, Sigma: sigma, Seed: 1}
}

// measureSpectrum forms SpecBlocks diagonal blocks (0, 1, …) and as many
// off-diagonal blocks (k, k+1) and pools their eigenvalues.
func (o Options) measureSpectrum(c int, sigma float64) (*spectrum, error) {
	cfg := o.spectrumConfig(c, sigma)
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		return nil, err
	}
	sp := &spectrum{C: c, Sigma: sigma, Gamma: cfg.Gamma()}
	probs := p.Probabilities().RawMatrix().Data // N×C, row-major
	nb := min(o.SpecBlocks, c)
	fc := float64(c)
	for k := 0; k < nb; k++ {
		l := (k + 1) % c
		hkk, err := p.Block(k, k)
		if err != nil {
			return nil, err
		}
		hkl, err := p.Block(k, l)
		if err != nil {
			return nil, err
		}
		hkl.Scale(-1, hkl)
		ed, err := numerics.SymmetricEigenvalues(hkk)
		if err != nil {
			return nil, err
		}
		eo, err := numerics.SymmetricEigenvalues(hkl)
		if err != nil {
			return nil, err
		}
		sp.Diag = append(sp.Diag, ed...)
		sp.Off = append(sp.Off, eo...)
		td := make([]float64, cfg.N)
		to := make([]float64, cfg.N)
		for n := range td {
			pk, pl := probs[n*c+k], probs[n*c+l]
			td[n] = fc * pk * (1 - pk)
			to[n] = fc * fc * pk * pl
		}
		sp.TauDiag = append(sp.TauDiag, td)
		sp.TauOff = append(sp.TauOff, to)
	}
	sort.Float64s(sp.Diag)
	sort.Float64s(sp.Off)
	return sp, nil
}

// density is a probability density on the real line.
type density interface{ Prob(x float64) float64 }

// limitLaws returns the C → ∞ laws of C·H_kk and −C²·H_kl (THEORY §4),
// from the law table.
func limitLaws(gamma, sigma float64) (diag, off density, err error) {
	law, err := theory.Lookup(kind.Linear, kind.CE, kind.OutputOutput, kind.None)
	if err != nil {
		return nil, nil, err
	}
	// Any C gives the same limit laws; one draw keeps the unused
	// finite-C Monte Carlo cheap.
	p, err := law.Predict(theory.Setting{Classes: 2, Gamma: gamma, Sigma: sigma, Draws: 1})
	if err != nil {
		return nil, nil, err
	}
	return p.Diag, p.Off, nil
}

// mixture is the average of the GMP laws of each block's own weights: the
// finite-C prediction for the pooled eigenvalues.
type mixture []density

func (m mixture) Prob(x float64) float64 {
	var s float64
	for _, d := range m {
		s += d.Prob(x)
	}
	return s / float64(len(m))
}

func empiricalLaw(gamma float64, taus [][]float64) (density, error) {
	var m mixture
	for _, t := range taus {
		g, err := theory.NewGeneralizedMP(gamma, theory.EmpiricalWeights{Samples: t})
		if err != nil {
			return nil, fmt.Errorf("study: finite-C weight law: %w", err)
		}
		m = append(m, g)
	}
	return m, nil
}
