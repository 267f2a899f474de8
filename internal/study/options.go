package study

import (
	"errors"
	"fmt"
	"math"

	"github.com/hessblock/hessblock/spectralfit"
)

// Options fixes the sizes of a reproduction. The same Options give the same
// report, byte for byte.
type Options struct {
	Seeds   int     // seeds 1…Seeds for every grid point
	D, N, M int     // grid sizes: input dimension, samples, hidden width
	CMax    int     // grid C = 2, 4, 8, …, ≤ CMax
	Sigma   float64 // linear-model weight scale σ > 0 (σ = 0 is always added)
	FitCMin int     // exponent fits use C ≥ FitCMin

	SpecD, SpecN int   // spectra: block size d and samples N
	SpecC        []int // spectra: values of C
	SpecBlocks   int   // spectra: diagonal (and off-diagonal) blocks pooled per C

	HeatD, HeatN, HeatM int    // heatmaps: sizes
	HeatC               [2]int // heatmaps: a small and a large C

	Workers int // grid points measured at once

	// Deep sizes the section on deeper networks (deep.go).
	Deep DeepOptions
	// Curv sizes the sections on the Gauss–Newton and residual parts and
	// on block preconditioners (curvature.go).
	Curv CurvatureOptions
	// SpecFit sizes the section of fitted block spectra (specfit.go).
	SpecFit SpecFitOptions

	// Dynamic adds the training section (block structure through
	// training); it is not part of Default.
	Dynamic DynamicOptions
}

// Default is the full reproduction: about 28 CPU-seconds, 15–20 s on two
// idle cores. The C grid never forms H (StructuredStats costs O(N²·C) per point
// for the linear model, O(m·N²·C) for the network), so it reaches C = 1024
// at d = 128, N = 512 (finite-d corrections of the laws of a few per
// cent); the exponent fits use C = 32 … 1024, where the asymptotic
// exponents are approached but finite-C curvature remains (the exact σ = 0
// law 1/(C−1) has slope −1.008 there), which is why the fits are compared
// with the theory curves' slopes over the same C.
func Default() Options {
	return Options{
		Seeds: 5, D: 128, N: 512, M: 32, CMax: 1024, Sigma: 1, FitCMin: 32,
		SpecD: 200, SpecN: 800, SpecC: []int{4, 16, 64}, SpecBlocks: 3,
		HeatD: 16, HeatN: 64, HeatM: 8, HeatC: [2]int{4, 32},
		Workers: 2,
		Deep:    DeepOptions{Depths: []int{2, 3, 4}, D: 32, N: 128, M: 16, CMax: 32, FitCMin: 4, Seeds: 3},
		Curv:    DefaultCurvature(),
		SpecFit: SpecFitOptions{D: 64, N: 256, M: 8, C: 8, Depth: 3, Blocks: 4, Steps: 200, LR: 0.5, Bootstrap: 3,
			Models: []spectralfit.Model{spectralfit.MP, spectralfit.GMPLogNormal}},
	}
}

// Quick is a tiny reproduction for tests: well under a second of numerics.
func Quick() Options {
	return Options{
		Seeds: 2, D: 8, N: 32, M: 4, CMax: 16, Sigma: 1, FitCMin: 4,
		SpecD: 24, SpecN: 96, SpecC: []int{4, 8}, SpecBlocks: 2,
		HeatD: 6, HeatN: 24, HeatM: 4, HeatC: [2]int{3, 8},
		Workers: 2,
		Deep:    DeepOptions{Depths: []int{2, 3}, D: 6, N: 24, M: 4, CMax: 8, FitCMin: 2, Seeds: 2},
		Curv:    QuickCurvature(),
		SpecFit: SpecFitOptions{D: 20, N: 60, M: 4, C: 4, Depth: 3, Blocks: 2, Steps: 10, LR: 0.5, Bootstrap: 2,
			Models: []spectralfit.Model{spectralfit.MP}},
	}
}

// Cs returns the grid's class counts 2, 4, …, ≤ CMax.
func (o Options) Cs() []int {
	var cs []int
	for c := 2; c <= o.CMax; c *= 2 {
		cs = append(cs, c)
	}
	return cs
}

// Validate reports every problem at once.
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if o.Seeds < 1 {
		bad("seeds = %d, want ≥ 1", o.Seeds)
	}
	if o.D < 1 || o.N < 1 || o.M < 1 {
		bad("d, N, m = %d, %d, %d, want all ≥ 1", o.D, o.N, o.M)
	}
	if o.CMax < 4 {
		bad("cmax = %d, want ≥ 4 (the fits need at least two values of C)", o.CMax)
	} else if o.D >= 1 && o.N >= 1 && o.M >= 1 {
		if err := o.validateSizes(); err != nil {
			bad("%v", err)
		}
	}
	if !(o.Sigma > 0) || math.IsInf(o.Sigma, 0) {
		bad("sigma = %v, want a finite value > 0 (σ = 0 is always included)", o.Sigma)
	}
	for _, c := range o.Dynamic.TextCs {
		if c < 2 {
			bad("dynamic-C: C = %d, want ≥ 2", c)
		}
	}
	if o.FitCMin < 2 || o.FitCMin*2 > o.CMax {
		bad("fit-cmin = %d, want 2 ≤ fit-cmin ≤ cmax/2 = %d so that a fit has two values of C", o.FitCMin, o.CMax/2)
	}
	if o.SpecD < 2 || o.SpecN < 2 {
		bad("spectrum d, N = %d, %d, want ≥ 2", o.SpecD, o.SpecN)
	}
	if len(o.SpecC) == 0 {
		bad("no spectrum C values")
	}
	for _, c := range o.SpecC {
		if c < 3 {
			bad("spectrum C = %d, want ≥ 3", c)
		}
	}
	if o.SpecBlocks < 1 {
		bad("spectrum blocks = %d, want ≥ 1", o.SpecBlocks)
	}
	if o.HeatD < 1 || o.HeatN < 1 || o.HeatM < 1 || o.HeatC[0] < 2 || o.HeatC[1] <= o.HeatC[0] {
		bad("heatmap sizes d, N, m, C = %d, %d, %d, %v: want ≥ 1 and 2 ≤ small C < large C", o.HeatD, o.HeatN, o.HeatM, o.HeatC)
	}
	if o.Workers < 1 {
		bad("workers = %d, want ≥ 1", o.Workers)
	}
	if err := o.Deep.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := o.Curv.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := o.SpecFit.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
