package study

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/hessblock/hessblock/internal/report"
	"github.com/hessblock/hessblock/internal/sweep"
)

// Progress receives what is being done and how much of it is finished.
// Either field may be nil.
type Progress struct {
	Stage func(name string)
	Add   func(units int)
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

const (
	unitsPerSpectrum = 20
	unitsPerHeat     = 5
	unitsPerFigure   = 10
	numFigures       = 7
)

// Work is the total number of progress units Run reports.
func (o Options) Work() int {
	w := 0
	for _, gp := range o.points() {
		w += o.cost(gp)
	}
	w += unitsPerSpectrum * (len(o.SpecC) + 1)
	w += unitsPerHeat * len(o.heatConfigs())
	w += unitsPerFigure * numFigures
	return w
}

// Run measures everything and assembles the report. It is deterministic:
// the same Options give byte-identical output whatever o.Workers.
func Run(ctx context.Context, o Options, pr Progress) (*Output, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	s := &state{o: o}

	pr.stage("Hessians on the C grid")
	s.pts = o.points()
	if err := o.measureGrid(ctx, s.pts, pr.add); err != nil {
		return nil, err
	}

	pr.stage("whole-Hessian heatmaps")
	for _, cfg := range o.heatConfigs() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hc, err := measureHeat(cfg)
		if err != nil {
			return nil, err
		}
		s.heat = append(s.heat, hc)
		pr.add(unitsPerHeat)
	}

	pr.stage("block spectra")
	for _, c := range o.SpecC {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sp, err := o.measureSpectrum(c, o.Sigma)
		if err != nil {
			return nil, err
		}
		s.spectra = append(s.spectra, sp)
		pr.add(unitsPerSpectrum)
	}
	sp0, err := o.measureSpectrum(o.SpecC[0], 0)
	if err != nil {
		return nil, err
	}
	s.spectrum0 = sp0
	pr.add(unitsPerSpectrum)

	pr.stage("figures and tables")
	doc, err := s.document(ctx, func() { pr.add(unitsPerFigure) })
	if err != nil {
		return nil, err
	}
	pts, err := s.pointLines()
	if err != nil {
		return nil, err
	}
	return &Output{Doc: doc, Points: pts}, nil
}

type state struct {
	o         Options
	pts       []gridPoint
	heat      []*heatCase
	spectra   []*spectrum
	spectrum0 *spectrum
}

func (s *state) pointLines() ([]byte, error) {
	sorted := append([]gridPoint(nil), s.pts...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Case != b.Case {
			return a.Case < b.Case
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
func num(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

func pm(mean, sd float64) string {
	return fmt.Sprintf("%s ± %s", num(mean), strconv.FormatFloat(sd, 'g', 2, 64))
}
