package study

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"

	"github.com/hessblock/hessblock/internal/sweep"
	"github.com/hessblock/hessblock/numerics"
)

// gridCase is one model × loss (× σ) line of the grid.
type gridCase struct {
	ID    string
	Label string
	Model numerics.Model
	Loss  numerics.Loss
	Sigma float64 // linear only
}

func (o Options) cases() []gridCase {
	return []gridCase{
		{"linear-mse", "linear, MSE", numerics.Linear, numerics.MSE, o.Sigma},
		{"linear-ce-sigma0", "linear, CE, σ = 0", numerics.Linear, numerics.CE, 0},
		{"linear-ce", "linear, CE, σ = " + fmtG(o.Sigma), numerics.Linear, numerics.CE, o.Sigma},
		{"mlp-mse", "ReLU net, MSE", numerics.MLP, numerics.MSE, 0},
		{"mlp-ce", "ReLU net, CE", numerics.MLP, numerics.CE, 0},
	}
}

func (o Options) config(gc gridCase, c int, seed uint64) numerics.Config {
	if gc.Model == numerics.MLP {
		return numerics.Config{Model: numerics.MLP, Activation: numerics.ReLU, Loss: gc.Loss,
			C: c, D: o.D, N: o.N, M: o.M, SigmaW: 1, SigmaV: 1, Seed: seed}
	}
	return numerics.Config{Model: numerics.Linear, Loss: gc.Loss, C: c, D: o.D, N: o.N, Sigma: gc.Sigma, Seed: seed}
}

// gridPoint is one measured configuration.
type gridPoint struct {
	Case   int
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
		for ci := range o.cases() {
			for s := 1; s <= o.Seeds; s++ {
				pts = append(pts, gridPoint{Case: ci, C: cs[i], Seed: uint64(s)})
			}
		}
	}
	return pts
}

// cost is a rough relative cost of a point for progress reporting: the
// multiply–adds of StructuredStats (numerics/structured.go), in millions.
func (o Options) cost(gp gridPoint) int {
	cfg := o.config(o.cases()[gp.Case], gp.C, gp.Seed)
	n, c, d, m := float64(cfg.N), float64(cfg.C), float64(cfg.D), float64(cfg.M)
	flops := 2*n*n*c + 2*n*c*d
	if cfg.Model == numerics.MLP {
		// Output family on h (width m), hidden–hidden, and hidden–output
		// with about half the samples active per ReLU unit.
		flops = 2*n*n*c + 2*n*c*m + n*c*m*m/2 + n*n*m*m/4 + m*(n*n*c/8+n*d*c)
	}
	return max(1, int(flops/1e6))
}

// measureGrid measures every point with o.Workers workers. Results do not
// depend on the number of workers.
func (o Options) measureGrid(ctx context.Context, pts []gridPoint, tick func(int)) error {
	cases := o.cases()
	var tickMu sync.Mutex // Progress callbacks need not be safe for concurrent use
	jobs := make(chan int)
	errs := make([]error, len(pts))
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				gp := &pts[i]
				gp.Record, errs[i] = measurePoint(o.config(cases[gp.Case], gp.C, gp.Seed))
				tickMu.Lock()
				tick(o.cost(*gp))
				tickMu.Unlock()
			}
		}()
	}
	var err error
feed:
	for i := range pts {
		select {
		case jobs <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// recordDigits is the number of significant digits kept of every measured
// number. StructuredStats sums the hidden–output family of the network
// over hidden units in the order the goroutines finish, so its last bits
// vary from run to run (relative changes of order 1e-15); rounding to nine
// digits makes the report byte-identical across runs except when a value
// falls within 1e-15 of a rounding boundary (probability at most about
// 1e-6 per value), and is far below the seed-to-seed spread.
const recordDigits = 9

func roundDigits(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', recordDigits, 64), 64)
	return r
}

// measurePoint returns the block statistics of cfg at initialization in
// the format of sweep.Measure, without forming H: R per family and ρ come
// from numerics.StructuredStats (exact Gram identities, equal to the dense
// statistics to round-off), the spectral norms of one diagonal and one
// off-diagonal block per family from single blocks (Problem.Block).
func measurePoint(cfg numerics.Config) (sweep.Record, error) {
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		return sweep.Record{}, err
	}
	st, err := p.StructuredStats(numerics.StructuredOptions{SkipBlockNorms: true})
	if err != nil {
		return sweep.Record{}, err
	}
	l := p.Layout()
	key := sweep.Key(cfg)
	rec := sweep.Record{Key: key, Config: cfg, Gamma: cfg.Gamma(), Params: l.P, Rho: roundDigits(st.Rho)}
	hidden, output := l.Of(numerics.Hidden), l.Of(numerics.Output)
	norm := func(a, b int) (float64, error) {
		blk, err := p.Block(a, b)
		if err != nil {
			return 0, err
		}
		v, err := numerics.SpectralNorm(blk)
		return roundDigits(v), err
	}
	for _, fr := range st.Ratios {
		res := sweep.FamilyResult{Family: fr.Family, R: roundDigits(fr.R), Pairs: fr.Pairs}
		var a, b int
		diag := true
		switch fr.Family {
		case numerics.HiddenHidden:
			a, b = hidden[0], hidden[min(1, len(hidden)-1)]
		case numerics.OutputOutput:
			a, b = output[0], output[min(1, len(output)-1)]
		default:
			a, b = hidden[0], output[0]
			diag = false
		}
		if diag {
			if res.DiagNorm, err = norm(a, a); err != nil {
				return sweep.Record{}, err
			}
		}
		if a != b {
			if res.OffNorm, err = norm(a, b); err != nil {
				return sweep.Record{}, err
			}
		}
		rec.Families = append(rec.Families, res)
	}
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	if bad(rec.Rho) {
		return sweep.Record{}, fmt.Errorf("study: %s: ρ is %v", key, rec.Rho)
	}
	for _, f := range rec.Families {
		if bad(f.R) || bad(f.DiagNorm) || bad(f.OffNorm) {
			return sweep.Record{}, fmt.Errorf("study: %s: %s statistics are not finite (R %v, norms %v, %v)", key, f.Family, f.R, f.DiagNorm, f.OffNorm)
		}
	}
	return rec, nil
}

// metric names a quantity measured per point: R of a family, or ρ.
type metric struct {
	Family numerics.Family // "" for ρ
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

// aggregate collects metric m of case ci over seeds, by increasing C.
func aggregate(pts []gridPoint, ci int, m metric) []agg {
	byC := map[int][]float64{}
	for _, gp := range pts {
		if gp.Case != ci {
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
