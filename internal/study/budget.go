package study

import (
	"fmt"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/internal/sweep"
	"github.com/hessblock/hessblock/kind"
)

// maxCMax bounds -cmax on its face: a grid point has C·d ≥ C parameters and
// numerics refuses more than 2^30.
const maxCMax = 1 << 30

// numPoints is the number of grid points, as a float64 so that no product
// overflows (points() would allocate them).
func (o Options) numPoints() float64 {
	return float64(len(o.cases())) * float64(len(o.Cs())) * float64(o.Seeds)
}

// gridPeak is the memory of the grid with its largest point in flight on
// each of the workers: sweep.GridBytes.
func (o Options) gridPeak(cmax, seeds int) int64 {
	k := o
	k.CMax, k.Seeds = cmax, seeds
	var largest int64
	for _, gc := range k.cases() {
		for _, c := range k.Cs() {
			largest = max(largest, sweep.MeasureBytes(k.config(gc, c, 1)))
		}
	}
	n := k.numPoints()
	return sweep.GridBytes(n, largest, int(min(float64(k.Workers), n)))
}

// stagePeak is the largest problem of the spectra and heatmaps, measured
// one at a time after the grid (whose points stay in memory).
func (o Options) stagePeak() int64 {
	var b int64
	for _, c := range o.SpecC {
		cfg := o.spectrumConfig(c, o.Sigma)
		b = max(b, membudget.Add(cfg.ProblemBytes(), membudget.Mul(cfg.BlockBytes(), 2)))
	}
	for _, cfg := range o.heatConfigs() {
		b = max(b, membudget.Add(cfg.ProblemBytes(), membudget.Mul(cfg.DenseBytes(), 2)))
	}
	return max(b, o.deepPeak(), o.Curv.bytes(), o.SpecFit.bytes())
}

// deepPeak is the deeper-network section's memory: its largest point on
// each of the workers (the points' records are small).
func (o Options) deepPeak() int64 {
	cs := o.Deep.Cs()
	if len(cs) == 0 {
		return 0
	}
	var largest int64
	for _, l := range o.Deep.Depths {
		largest = max(largest, o.Deep.bytes(o.Deep.config(l, kind.CE, cs[len(cs)-1], 1)))
	}
	return membudget.Mul(largest, int64(o.Workers))
}

// MemoryBytes estimates the peak memory of Run's static sections: the
// grid's points (sweep.PointBytes each) with the larger of Workers of its
// largest points in flight (sweep.MeasureBytes) and the largest spectrum
// or heatmap problem, deeper-network points in flight or Gauss–Newton and
// preconditioner problem. The dynamic section's training runs check their own
// estimates (experiment.Run).
func (o Options) MemoryBytes() int64 {
	grid := sweep.GridBytes(o.numPoints(), 0, 0)
	return max(o.gridPeak(o.CMax, o.Seeds), membudget.Add(grid, o.stagePeak()))
}

// CheckMemory returns a *membudget.Error if MemoryBytes exceeds budget,
// naming the -seeds, -j or -cmax that would fit.
func (o Options) CheckMemory(budget int64) error {
	need := o.MemoryBytes()
	if need <= budget {
		return nil
	}
	hint := "use smaller -d, -N or -m, or -spectrum-d and -spectrum-N"
	switch {
	case sweep.GridBytes(o.numPoints(), 0, 0) > budget/2:
		// The points themselves: fewer seeds (leaving half the budget to
		// the points in flight).
		s := int(float64(budget) / 2 / float64(sweep.PointBytes) / (o.numPoints() / float64(o.Seeds)))
		hint = fmt.Sprintf("-seeds %d would fit", max(s, 1))
	case o.gridPeak(o.CMax, o.Seeds) > budget:
		k := o
		for w := o.Workers - 1; w >= 1; w-- {
			if k.Workers = w; k.gridPeak(o.CMax, o.Seeds) <= budget {
				hint = fmt.Sprintf("-j %d would fit", w)
				break
			}
		}
		if k.Workers > 1 || k.gridPeak(o.CMax, o.Seeds) <= budget {
			break
		}
		cs := o.Cs()
		for i := len(cs) - 1; i >= 0 && cs[i] >= 2*o.FitCMin; i-- {
			if k.gridPeak(cs[i], o.Seeds) <= budget {
				hint = fmt.Sprintf("-cmax %d (with -j 1) would fit", cs[i])
				break
			}
		}
	}
	return membudget.Check(fmt.Sprintf("the reproduction's grid (%.0f points up to C = %d, %d workers) or its spectra", o.numPoints(), o.CMax, o.Workers),
		need, budget, hint)
}

// validateSizes reports a -cmax no grid could hold, before Cs (whose
// doubling would overflow near MaxInt) or any estimate runs, and a grid
// whose largest point is not a valid configuration.
func (o Options) validateSizes() error {
	if o.CMax > maxCMax {
		return fmt.Errorf("cmax = %d, want ≤ 2^30 = %d (C·d parameters at most 2^30)", o.CMax, maxCMax)
	}
	cs := o.Cs()
	if len(cs) == 0 {
		return nil
	}
	for _, gc := range o.cases() {
		if err := o.config(gc, cs[len(cs)-1], 1).Validate(); err != nil {
			return fmt.Errorf("cmax = %d: the grid's largest point is not a valid configuration: %w", o.CMax, err)
		}
	}
	return nil
}
