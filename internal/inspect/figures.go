package inspect

import (
	"fmt"
	"path/filepath"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot/vg"

	"github.com/hessblock/hessblock/internal/atomicfile"
	"github.com/hessblock/hessblock/internal/figures"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// WriteFigures writes the figures of one configuration into dir:
// heatmap (|H| with the block grid), blockmap (block-averaged |H|) and
// spectra (eigenvalue histograms of the representative diagonal and
// off-diagonal blocks of the output–output family), each as PNG and SVG.
// h is the dense Hessian of p.
func WriteFigures(dir string, p *numerics.Problem, h *mat.SymDense) error {
	if p == nil || h == nil {
		return fmt.Errorf("inspect figures: nil problem or Hessian")
	}
	cfg := p.Config()
	l := p.Layout()
	bs, err := numerics.ComputeBlockStats(h, l)
	if err != nil {
		return err
	}
	bounds, major := l.Boundaries()
	name := cfg.String()
	save := func(stem string, d figures.Drawer, w, ht vg.Length) error {
		png, svg, err := figures.Render(d, w, ht)
		if err != nil {
			return fmt.Errorf("inspect figure %s: %w", stem, err)
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, stem+".png"), png); err != nil {
			return err
		}
		return atomicfile.WriteFile(filepath.Join(dir, stem+".svg"), svg)
	}
	if err := save("heatmap", figures.Titled{Title: name, Body: figures.Heatmap{
		Title: fmt.Sprintf("|H|, log colour scale (P = %d, %d blocks)", l.P, len(l.Blocks)), M: h, Decades: 4,
		Bounds: thin(bounds), Major: major, AxisLabel: "parameter index", ColorText: "log10 |H_ij|"}},
		6.4*vg.Inch, 5.6*vg.Inch); err != nil {
		return err
	}
	var kindMajor []int
	for i, b := range l.Blocks {
		if i > 0 && b.Kind != l.Blocks[i-1].Kind {
			kindMajor = append(kindMajor, i)
		}
	}
	if err := save("blockmap", figures.Titled{Title: name, Body: figures.Heatmap{
		Title: fmt.Sprintf("block-averaged |H| (ρ = %.4g)", bs.Rho), M: bs.MeanAbs, Decades: 3, Major: kindMajor,
		AxisLabel: "block index", ColorText: "log10 mean |H_ij| over the block"}},
		6.4*vg.Inch, 5.6*vg.Inch); err != nil {
		return err
	}

	// The representative blocks of the output–output family, which every
	// model has with at least two blocks (C ≥ 2).
	a, b, ok := l.Representative(kind.OutputOutput)
	if !ok {
		return nil // no off-diagonal block to show
	}
	var panels []figures.Drawer
	for i, pair := range [][2]int{{a, a}, {a, b}} {
		blk, err := numerics.BlockOfMatrix(h, l, pair[0], pair[1])
		if err != nil {
			return err
		}
		ev, err := numerics.SymmetricEigenvalues(blk)
		if err != nil {
			return err
		}
		label := fmt.Sprintf("H[%s, %s]", l.Blocks[pair[0]].Name, l.Blocks[pair[1]].Name)
		hp := figures.HistPanel{
			Title:  "eigenvalues of " + label,
			XLabel: "eigenvalue",
			YLabel: "density",
			Bins:   max(10, min(50, len(ev)/4)),
			Hists:  []figures.Hist{{Label: fmt.Sprintf("%d eigenvalues", len(ev)), Values: ev, Color: i}},
		}
		pl, err := hp.Plot()
		if err != nil {
			return err
		}
		panels = append(panels, pl)
	}
	return save("spectra", figures.Titled{Title: name, Body: figures.Grid{Cols: 2, Panels: panels}}, 8*vg.Inch, 3.8*vg.Inch)
}

// thin drops block lines when there are so many that they would cover the
// picture (more than about one line per six pixels).
func thin(bounds []int) []int {
	if len(bounds) > 100 {
		return nil
	}
	return bounds
}
