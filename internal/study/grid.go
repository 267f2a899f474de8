package study

import (
	"context"
	"math"
	"sort"
	"sync"

	"github.com/hessblock/hessblock/internal/pool"
	"github.com/hessblock/hessblock/internal/sweep"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// gridCase is one model × loss (× σ) line of the grid.
type gridCase struct {
	ID    string
	Label string
	Model kind.Model
	Loss  kind.Loss
	Sigma float64 // linear only
}

// The grid's cases, by ID; the report refers to them by these names.
const (
	linearMSE = "linear-mse"
	linearCE0 = "linear-ce-sigma0"
	linearCE  = "linear-ce"
	mlpMSE    = "mlp-mse"
	mlpCE     = "mlp-ce"
)

// cases lists the grid's cases in the order of the tables and of
// data/points.jsonl.
func (o Options) cases() []gridCase {
	return []gridCase{
		{linearMSE, "linear, MSE", kind.Linear, kind.MSE, o.Sigma},
		{linearCE0, "linear, CE, σ = 0", kind.Linear, kind.CE, 0},
		{linearCE, "linear, CE, σ = " + fmtG(o.Sigma), kind.Linear, kind.CE, o.Sigma},
		{mlpMSE, "ReLU MLP, MSE", kind.MLP, kind.MSE, 0},
		{mlpCE, "ReLU MLP, CE", kind.MLP, kind.CE, 0},
	}
}

// gridCase returns the case with the given ID; it panics on an unknown ID,
// which only a programming error can produce.
func (o Options) gridCase(id string) gridCase {
	for _, gc := range o.cases() {
		if gc.ID == id {
			return gc
		}
	}
	panic("study: no grid case " + id)
}

// caseRank is the position of case id in cases().
func (o Options) caseRank(id string) int {
	for i, gc := range o.cases() {
		if gc.ID == id {
			return i
		}
	}
	return -1
}

func (o Options) config(gc gridCase, c int, seed uint64) numerics.Config {
	if gc.Model == kind.MLP {
		return numerics.Config{Model: kind.MLP, Activation: kind.ReLU, Loss: gc.Loss,
			C: c, D: o.D, N: o.N, M: o.M, SigmaW: 1, SigmaV: 1, Seed: seed}
	}
	return numerics.Config{Model: kind.Linear, Loss: gc.Loss, C: c, D: o.D, N: o.N, Sigma: gc.Sigma, Seed: seed}
}

// gridPoint is one measured configuration.
type gridPoint struct {
	Case   string // gridCase.ID
	C      int
	Seed   uint64
	Record sweep.Record
}

// points lists the grid in a fixed order, largest C first so that the
// workers start on the expensive points and finish together.
func (o Options) points() []gridPoint {
	var pts []gridPoint
	cs := o.Cs()
	for i := len(cs) - 1; i >= 0; i-- {
		for _, gc := range o.cases() {
			for s := 1; s <= o.Seeds; s++ {
				pts = append(pts, gridPoint{Case: gc.ID, C: cs[i], Seed: uint64(s)})
			}
		}
	}
	return pts
}

// cost is a rough relative cost of a point for progress reporting: the
// multiply–adds of StructuredStats (numerics/structured.go), in millions.
func (o Options) cost(gp gridPoint) int {
	cfg := o.config(o.gridCase(gp.Case), gp.C, gp.Seed)
	n, c, d, m := float64(cfg.N), float64(cfg.C), float64(cfg.D), float64(cfg.M)
	flops := 2*n*n*c + 2*n*c*d
	if cfg.Model == kind.MLP {
		// Output family on h (width m), hidden–hidden, and hidden–output
		// with about half the samples active per ReLU unit.
		flops = 2*n*n*c + 2*n*c*m + n*c*m*m/2 + n*n*m*m/4 + m*(n*n*c/8+n*d*c)
	}
	return max(1, int(flops/1e6))
}

// measureGrid measures every point with o.Workers workers. Results do not
// depend on the number of workers.
func (o Options) measureGrid(ctx context.Context, pts []gridPoint, tick func(int)) error {
	var tickMu sync.Mutex // Progress callbacks need not be safe for concurrent use
	return pool.Run(ctx, len(pts), o.Workers, func(i int) error {
		gp := &pts[i]
		var err error
		gp.Record, err = sweep.Measure(o.config(o.gridCase(gp.Case), gp.C, gp.Seed))
		tickMu.Lock()
		tick(o.cost(*gp))
		tickMu.Unlock()
		return err
	})
}

// metric names a quantity measured per point: R of a family, or ρ.
type metric struct {
	Family kind.Family // "" for ρ
}

func (m metric) value(r sweep.Record) (float64, bool) {
	if m.Family == "" {
		return r.Rho, true
	}
	f, ok := r.Family(m.Family)
	return f.R, ok
}

func (m metric) name() string {
	if m.Family == "" {
		return "ρ"
	}
	return "R " + string(m.Family)
}

// agg is the seed spread of one metric at one C.
type agg struct {
	C              int
	Mean, Min, Max float64
	SD             float64
	Values         []float64
}

// aggregate collects metric m of case id over seeds, by increasing C.
func aggregate(pts []gridPoint, id string, m metric) []agg {
	byC := map[int][]float64{}
	for _, gp := range pts {
		if gp.Case != id {
			continue
		}
		if v, ok := m.value(gp.Record); ok {
			byC[gp.C] = append(byC[gp.C], v)
		}
	}
	var out []agg
	for c, vs := range byC {
		a := agg{C: c, Min: math.Inf(1), Max: math.Inf(-1), Values: vs}
		for _, v := range vs {
			a.Mean += v
			a.Min = math.Min(a.Min, v)
			a.Max = math.Max(a.Max, v)
		}
		a.Mean /= float64(len(vs))
		if len(vs) > 1 {
			for _, v := range vs {
				a.SD += (v - a.Mean) * (v - a.Mean)
			}
			a.SD = math.Sqrt(a.SD / float64(len(vs)-1))
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].C < out[j].C })
	return out
}
