package study

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/hessblock/hessblock/internal/pool"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/spectralfit"
	"github.com/hessblock/hessblock/train"
)

// SpecFitOptions sizes the section that fits MP and GMP laws to spectra of
// diagonal blocks where THEORY has no law: first-layer neuron blocks of a
// trained one-hidden-layer network and of a deeper network, each d×d.
type SpecFitOptions struct {
	D, N, M   int     // input dimension (block size), samples, hidden width
	C         int     // classes
	Depth     int     // depth of the deeper network, ≥ 3
	Blocks    int     // first-layer blocks pooled per spectrum
	Steps     int     // full-batch GD steps of the trained network
	LR        float64 // its learning rate
	Bootstrap int     // bootstrap resamples behind the fits' errors (≥ 2)
	// Models are the laws fitted to every spectrum. A GMP fit costs about
	// a second per optimization, an MP fit milliseconds.
	Models []spectralfit.Model
}

func (f SpecFitOptions) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if f.D < 1 || f.N < 1 || f.M < 1 || f.C < 2 {
		bad("spectral fits: d, N, m, C = %d, %d, %d, %d, want ≥ 1 and C ≥ 2", f.D, f.N, f.M, f.C)
	}
	if f.Depth < 3 || f.Depth > numerics.MaxDepth {
		bad("spectral fits: depth %d, want 3 … %d", f.Depth, numerics.MaxDepth)
	}
	if f.Blocks < 1 || f.Blocks > f.M {
		bad("spectral fits: %d blocks, want 1 … m = %d", f.Blocks, f.M)
	} else if f.Blocks*f.D < spectralfit.MinEigenvalues {
		bad("spectral fits: %d blocks of size d = %d give %d eigenvalues, want ≥ %d", f.Blocks, f.D, f.Blocks*f.D, spectralfit.MinEigenvalues)
	}
	if f.Steps < 1 || !(f.LR > 0) || math.IsInf(f.LR, 0) {
		bad("spectral fits: steps = %d, learning rate = %v, want ≥ 1 and a finite value > 0", f.Steps, f.LR)
	}
	if len(f.Models) == 0 {
		bad("spectral fits: no models")
	}
	for _, m := range f.Models {
		if m.NumParams() == 0 {
			bad("spectral fits: unknown model %v", m)
		}
	}
	if f.Bootstrap < 2 {
		bad("spectral fits: bootstrap = %d, want ≥ 2", f.Bootstrap)
	}
	return errors.Join(errs...)
}

func (f SpecFitOptions) config(depth int) numerics.Config {
	return numerics.Config{Model: kind.MLP, Depth: depth, Activation: kind.ReLU, Loss: kind.CE,
		C: f.C, D: f.D, N: f.N, M: f.M, SigmaW: 1, SigmaV: 1, Seed: 1}
}

// bytes is the section's peak memory: one problem and a few blocks.
func (f SpecFitOptions) bytes() int64 {
	cfg := f.config(f.Depth)
	return cfg.ProblemBytes() + 4*cfg.BlockBytes()
}

// specFitCase is one pooled spectrum and its fits.
type specFitCase struct {
	Label string
	Eigs  []float64 // pooled eigenvalues, each block scaled to mean 1
	Fits  []*spectralfit.Fit
	Errs  []error // per model: non-convergence, never a number
}

// measureSpecFits forms the spectra (the ReLU network of depth 2 at
// initialization and after training, and the deeper network at
// initialization) and fits each law, workers fits at once. A fit that does
// not converge is kept as its error.
func (f SpecFitOptions) measureSpecFits(ctx context.Context, workers int) ([]specFitCase, error) {
	p2, err := numerics.NewProblem(f.config(2))
	if err != nil {
		return nil, err
	}
	init2, err := f.spectrum(p2)
	if err != nil {
		return nil, err
	}
	if _, err := train.Run(p2, train.Options{Optimizer: train.GD{LR: f.LR}, Steps: f.Steps, Checkpoints: []int{f.Steps}, Seed: 1}); err != nil {
		return nil, fmt.Errorf("spectral fits: training: %w", err)
	}
	trained, err := f.spectrum(p2)
	if err != nil {
		return nil, err
	}
	pd, err := numerics.NewProblem(f.config(f.Depth))
	if err != nil {
		return nil, err
	}
	deep, err := f.spectrum(pd)
	if err != nil {
		return nil, err
	}
	cases := []specFitCase{
		{Label: "L = 2, initialization", Eigs: init2},
		{Label: fmt.Sprintf("L = 2, after %d GD steps", f.Steps), Eigs: trained},
		{Label: fmt.Sprintf("L = %d, initialization", f.Depth), Eigs: deep},
	}
	gamma := float64(f.D) / float64(f.N)
	nm := len(f.Models)
	for i := range cases {
		cases[i].Fits = make([]*spectralfit.Fit, nm)
		cases[i].Errs = make([]error, nm)
	}
	// Every fit has its own seed, so the results do not depend on workers.
	err = pool.Run(ctx, len(cases)*nm, workers, func(k int) error {
		c, j := &cases[k/nm], k%nm
		fit, err := spectralfit.FitSpectrum(c.Eigs, spectralfit.Options{Model: f.Models[j], Gamma: gamma, Method: spectralfit.MinKS, Bootstrap: f.Bootstrap, Seed: uint64(1 + j)})
		if err != nil && !errors.Is(err, spectralfit.ErrNotConverged) {
			return fmt.Errorf("spectral fits: %s, %v: %w", c.Label, f.Models[j], err)
		}
		c.Fits[j], c.Errs[j] = fit, err
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cases, nil
}

// spectrum pools the eigenvalues of the first Blocks first-layer diagonal
// blocks of p, each scaled to mean eigenvalue 1 (the blocks' scales differ
// by ‖v_i‖², which would smear a pooled law).
func (f SpecFitOptions) spectrum(p *numerics.Problem) ([]float64, error) {
	var out []float64
	for a := 0; a < f.Blocks; a++ {
		b, err := p.Block(a, a)
		if err != nil {
			return nil, err
		}
		ev, err := numerics.SymmetricEigenvalues(b)
		if err != nil {
			return nil, err
		}
		var mean float64
		for _, v := range ev {
			mean += v / float64(len(ev))
		}
		if !(mean > 0) {
			return nil, fmt.Errorf("spectral fits: block %d has mean eigenvalue %v, want > 0 (a dead neuron)", a, mean)
		}
		for _, v := range ev {
			out = append(out, v/mean)
		}
	}
	return out, nil
}

// work is the section's progress weight, in the units of Options.cost: a
// GMP optimization takes about a second (≈ 2000 units), an MP one a few
// milliseconds; each is repeated 1 + Bootstrap times for three spectra.
func (f SpecFitOptions) work() int {
	w := 0
	for _, m := range f.Models {
		w += 10
		if m != spectralfit.MP {
			w += 2000
		}
	}
	return 3 * (1 + f.Bootstrap) * w
}
