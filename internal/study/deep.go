package study

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/pool"
	"github.com/hessblock/hessblock/internal/sweep"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/theory"
)

// DeepOptions sizes the section on deeper networks at initialization:
// ReLU networks of L weight layers, biases off, MSE and CE, measured on the
// dense path (networks with L ≥ 3 have no structured one), so the sizes
// stay small.
type DeepOptions struct {
	Depths  []int // values of L, each 2 … numerics.MaxDepth
	D, N, M int   // input dimension, samples, width of every hidden layer
	CMax    int   // C = 2, 4, …, ≤ CMax
	FitCMin int   // exponent fits use C ≥ FitCMin
	Seeds   int   // seeds 1…Seeds per point
}

// Cs returns the section's class counts 2, 4, …, ≤ CMax.
func (d DeepOptions) Cs() []int {
	var cs []int
	for c := 2; c <= d.CMax; c *= 2 {
		cs = append(cs, c)
	}
	return cs
}

func (d DeepOptions) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(d.Depths) == 0 {
		bad("deep: no depths")
	}
	for _, l := range d.Depths {
		if l < 2 || l > numerics.MaxDepth {
			bad("deep: depth %d, want 2 … %d", l, numerics.MaxDepth)
		}
	}
	if d.D < 1 || d.N < 1 || d.M < 1 || d.Seeds < 1 {
		bad("deep: d, N, m, seeds = %d, %d, %d, %d, want all ≥ 1", d.D, d.N, d.M, d.Seeds)
	}
	if d.CMax > maxCMax {
		bad("deep: cmax = %d, want ≤ %d", d.CMax, maxCMax)
	} else if d.FitCMin < 2 || d.FitCMin*4 > d.CMax {
		bad("deep: fit-cmin = %d, cmax = %d: want 2 ≤ fit-cmin ≤ cmax/4 so that a fit has three values of C", d.FitCMin, d.CMax)
	}
	return errors.Join(errs...)
}

// deepCaseID names the grid case of depth l and loss loss.
func deepCaseID(l int, loss kind.Loss) string { return fmt.Sprintf("deep-L%d-%s", l, loss) }

func (d DeepOptions) config(l int, loss kind.Loss, c int, seed uint64) numerics.Config {
	return numerics.Config{Model: kind.MLP, Depth: l, Activation: kind.ReLU, Loss: loss,
		C: c, D: d.D, N: d.N, M: d.M, SigmaW: 1, SigmaV: 1, Seed: seed}
}

// points lists the section's problems, largest first.
func (d DeepOptions) points() []gridPoint {
	var pts []gridPoint
	cs := d.Cs()
	for i := len(cs) - 1; i >= 0; i-- {
		for j := len(d.Depths) - 1; j >= 0; j-- {
			for _, loss := range []kind.Loss{kind.MSE, kind.CE} {
				for s := 1; s <= d.Seeds; s++ {
					pts = append(pts, gridPoint{Case: deepCaseID(d.Depths[j], loss), C: cs[i], Seed: uint64(s)})
				}
			}
		}
	}
	return pts
}

// configOf recovers a point's configuration from its case ID.
func (d DeepOptions) configOf(gp gridPoint) numerics.Config {
	var l int
	var loss string
	fmt.Sscanf(gp.Case, "deep-L%d-%s", &l, &loss)
	return d.config(l, kind.Loss(loss), gp.C, gp.Seed)
}

// cost is a point's progress weight: the dense Hessian's N·P² multiply–adds
// in the units of Options.cost.
func (d DeepOptions) cost(gp gridPoint) int {
	p := float64(d.configOf(gp).NumParams())
	return max(1, int(float64(d.N)*p*p/1e6))
}

// bytes is the peak memory of one point: the problem, the dense Hessian
// and its block statistics' two nb × nb maps.
func (d DeepOptions) bytes(cfg numerics.Config) int64 {
	nb := int64(len(cfg.Layout().Blocks))
	return cfg.ProblemBytes() + 2*cfg.DenseBytes() + 16*nb*nb
}

// measureDeep measures every point on the dense path with workers
// goroutines; results do not depend on their number.
func measureDeep(ctx context.Context, d DeepOptions, pts []gridPoint, workers int, tick func(int)) error {
	var mu sync.Mutex
	return pool.Run(ctx, len(pts), workers, func(i int) error {
		gp := &pts[i]
		cfg := d.configOf(*gp)
		p, err := numerics.NewProblem(cfg)
		if err != nil {
			return err
		}
		h, err := p.Hessian()
		if err != nil {
			return err
		}
		gp.Record, err = denseRecord(cfg, h)
		mu.Lock()
		tick(d.cost(*gp))
		mu.Unlock()
		return err
	})
}

// denseRecord holds R per family and ρ of a dense matrix with cfg's
// layout (H, G or Hres) as a grid record, so that aggregate applies.
func denseRecord(cfg numerics.Config, h mat.Symmetric) (sweep.Record, error) {
	bs, err := numerics.ComputeBlockStats(h, cfg.Layout())
	if err != nil {
		return sweep.Record{}, err
	}
	rec := sweep.Record{Config: cfg, Gamma: cfg.Gamma(), Params: cfg.NumParams(), Rho: bs.Rho, RhoUndefined: bs.RhoUndefined}
	for _, fr := range bs.Ratios {
		rec.Families = append(rec.Families, sweep.FamilyResult{Family: fr.Family, R: fr.R, Undefined: fr.Undefined, Pairs: fr.Pairs})
	}
	return rec, nil
}

// deepLaw returns the asymptotic exponent of THEORY's law for a family of
// the ReLU network and whether a law exists; NaN with a law means R ≡ 0.
func deepLaw(loss kind.Loss, f kind.Family) (float64, bool) {
	law, err := theory.Lookup(kind.MLP, loss, f, kind.ReLU)
	if err != nil {
		return math.NaN(), false
	}
	return law.Exponent, true
}
