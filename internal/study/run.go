package study

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"sync"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/internal/report"
	"github.com/hessblock/hessblock/internal/sweep"
)

// Progress receives what is being done and how much of it is finished.
// Any field may be nil.
type Progress struct {
	Stage func(name string)
	Add   func(units int)
	// Log receives the dynamic section's per-run lines (training is not
	// counted in units: its cost depends on the data sets).
	Log io.Writer
}

func (p Progress) stage(s string) {
	if p.Stage != nil {
		p.Stage(s)
	}
}

func (p Progress) add(n int) {
	if p.Add != nil {
		p.Add(n)
	}
}

// Output is the product of a reproduction.
type Output struct {
	Doc *report.Document
	// Points holds every grid record as a JSON line, ordered by case, C
	// and seed: the raw data behind the figures.
	Points []byte
}

// Progress units of the fixed stages, in the units of Options.cost (about
// 1e6 multiply–adds, ≈ 0.5 ms): measured at the default sizes, a spectrum
// takes ≈ 0.08 s, a heatmap Hessian ≈ 0.01 s, a rendered figure ≈ 0.3 s.
const (
	unitsPerSpectrum = 150
	unitsPerHeat     = 20
	unitsPerFigure   = 600
	numFigures       = 7
	numNewFigures    = 3 // deeper networks, Gauss–Newton, preconditioners
)

// Work is the total number of progress units Run reports.
func (o Options) Work() int {
	w := 0
	for _, gp := range o.points() {
		w += o.cost(gp)
	}
	for _, c := range o.theoryCs() {
		w += o.theoryCost(c)
	}
	w += unitsPerSpectrum * (len(o.SpecC) + 1)
	w += unitsPerHeat * len(o.heatConfigs())
	w += unitsPerFigure * numFigures
	for _, gp := range o.Deep.points() {
		w += o.Deep.cost(gp)
	}
	w += o.Curv.work()
	w += o.SpecFit.work()
	w += unitsPerFigure * numNewFigures
	return w
}

// Run measures everything and assembles the report, after checking its
// memory estimate (MemoryBytes) against the budget (membudget.Limit). It is deterministic:
// the same Options give byte-identical output whatever o.Workers.
func Run(ctx context.Context, o Options, pr Progress) (*Output, error) {
	out, _, err := run(ctx, o, pr)
	return out, err
}

// run is Run, also returning the measurements behind the report (tests
// recompute its tables from them).
func run(ctx context.Context, o Options, pr Progress) (*Output, *state, error) {
	if err := o.Validate(); err != nil {
		return nil, nil, err
	}
	if err := o.CheckMemory(membudget.Limit()); err != nil {
		return nil, nil, err
	}
	s := &state{o: o}

	pr.stage("Hessians on the C grid")
	s.pts = o.points()
	if err := o.measureGrid(ctx, s.pts, pr.add); err != nil {
		return nil, nil, err
	}

	pr.stage("theory curves")
	var mu sync.Mutex
	if err := prefetchLinearCEFiniteSize(ctx, o.theoryCs(), o.D, o.N, o.Sigma, o.Workers, func(c int) {
		mu.Lock()
		defer mu.Unlock()
		pr.add(o.theoryCost(c))
	}); err != nil {
		return nil, nil, err
	}

	pr.stage("whole-Hessian heatmaps")
	for _, cfg := range o.heatConfigs() {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		hc, err := measureHeat(cfg)
		if err != nil {
			return nil, nil, err
		}
		s.heat = append(s.heat, hc)
		pr.add(unitsPerHeat)
	}

	pr.stage("block spectra")
	for _, c := range o.SpecC {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		sp, err := o.measureSpectrum(c, o.Sigma)
		if err != nil {
			return nil, nil, err
		}
		s.spectra = append(s.spectra, sp)
		pr.add(unitsPerSpectrum)
	}
	sp0, err := o.measureSpectrum(o.SpecC[0], 0)
	if err != nil {
		return nil, nil, err
	}
	s.spectrum0 = sp0
	pr.add(unitsPerSpectrum)

	pr.stage("deeper networks (dense Hessians)")
	s.deepPts = o.Deep.points()
	if err := measureDeep(ctx, o.Deep, s.deepPts, o.Workers, pr.add); err != nil {
		return nil, nil, err
	}

	pr.stage("Gauss–Newton, residual and preconditioners")
	if s.curvInit, s.curvRuns, err = o.Curv.measureCurvatureAll(ctx, pr.add); err != nil {
		return nil, nil, err
	}

	pr.stage("fitted block spectra")
	if s.specFits, err = o.SpecFit.measureSpecFits(ctx, o.Workers); err != nil {
		return nil, nil, err
	}
	pr.add(o.SpecFit.work())

	pr.stage("figures and tables")
	doc, err := s.document(ctx, func() { pr.add(unitsPerFigure) })
	if err != nil {
		return nil, nil, err
	}
	if o.Dynamic.On {
		log := pr.Log
		if log == nil {
			log = io.Discard
		}
		blocks, err := untilCancelled(ctx, func() ([]report.Block, error) { return dynamicBlocks(o.Dynamic, log) })
		if err != nil {
			return nil, nil, err
		}
		doc.Blocks = append(doc.Blocks, blocks...)
	}
	pts, err := s.pointLines()
	if err != nil {
		return nil, nil, err
	}
	return &Output{Doc: doc, Points: pts}, s, nil
}

// theoryCs lists the values of C at which the report evaluates the
// finite-size law of linear CE: the grid and the half-octaves between its
// points, round(2^{k/2}). The law is a Monte Carlo estimate, so its curve
// is drawn through these few points, each with many draws, rather than
// through the ~40 points per range of the exact curves: on the linear C·R
// axis of Figure 3 the sampling noise of many cheap points would show as
// wiggles.
func (o Options) theoryCs() []int {
	cs := o.Cs()
	set := map[int]bool{}
	for _, c := range cs {
		set[c] = true
	}
	for k := 2; ; k++ {
		c := int(math.Round(math.Pow(2, float64(k)/2)))
		if c > cs[len(cs)-1] {
			break
		}
		set[c] = true
	}
	var out []int
	for c := range set {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

// theoryCost is the progress weight of one finite-size evaluation, in the
// units of cost (calibrated side by side: about 45 000 of its inner
// operations take as long as 10⁶ multiply–adds of the grid).
func (o Options) theoryCost(c int) int {
	return max(1, finiteSizeDraws(c)*(2*o.D+3*c)/45000)
}

type state struct {
	o         Options
	pts       []gridPoint
	heat      []*heatCase
	spectra   []*spectrum
	spectrum0 *spectrum
	deepPts   []gridPoint
	curvInit  []curvInit
	curvRuns  []trainCheckpoint
	specFits  []specFitCase
}

func (s *state) pointLines() ([]byte, error) {
	sorted := append([]gridPoint(nil), s.pts...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Case != b.Case {
			return s.o.caseRank(a.Case) < s.o.caseRank(b.Case)
		}
		if a.C != b.C {
			return a.C < b.C
		}
		return a.Seed < b.Seed
	})
	var buf bytes.Buffer
	for _, gp := range sorted {
		line, err := sweep.MarshalRecord(gp.Record)
		if err != nil {
			return nil, err
		}
		buf.Write(line)
	}
	return buf.Bytes(), nil
}

func fmtG(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// num formats a measured number with four significant digits.
// num formats a table value; a law that gives no value shows as "—",
// never as NaN.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func pm(mean, sd float64) string {
	return fmt.Sprintf("%s ± %s", num(mean), strconv.FormatFloat(sd, 'g', 2, 64))
}

// untilCancelled runs f, which takes no context (training does not), and
// returns its result, or ctx's error as soon as ctx is done: f is then
// abandoned, and the caller returns without writing anything.
func untilCancelled[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
