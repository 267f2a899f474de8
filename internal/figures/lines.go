package figures

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// LinePanel draws curves on linear axes, one per Curve, with vertical
// lines at Marks (thin, grey): for example the mass an eigenvector puts on
// each block, with the layer boundaries marked.
type LinePanel struct {
	Title, XLabel, YLabel string
	Curves                []Curve
	Marks                 []float64
	// YMin and YMax fix the y range when YMax > YMin; otherwise it is the
	// data's.
	YMin, YMax float64
}

// Plot builds the plot. Every curve needs as many X as Y values, at least
// one, all finite.
func (l LinePanel) Plot() (*plot.Plot, error) {
	if len(l.Curves) == 0 {
		return nil, fmt.Errorf("figures: line panel %q has no curves", l.Title)
	}
	p := newPlot(l.Title, l.XLabel, l.YLabel)
	for _, c := range l.Curves {
		if len(c.X) != len(c.Y) || len(c.X) == 0 {
			return nil, fmt.Errorf("figures: curve %q has %d x and %d y values", c.Label, len(c.X), len(c.Y))
		}
		xy := make(plotter.XYs, len(c.X))
		for i := range c.X {
			if math.IsNaN(c.X[i]) || math.IsInf(c.X[i], 0) || math.IsNaN(c.Y[i]) || math.IsInf(c.Y[i], 0) {
				return nil, fmt.Errorf("figures: curve %q holds (%v, %v)", c.Label, c.X[i], c.Y[i])
			}
			xy[i] = plotter.XY{X: c.X[i], Y: c.Y[i]}
		}
		if err := addCurve(p, c, xy, 1.1, []vg.Length{vg.Points(4), vg.Points(2)}); err != nil {
			return nil, err
		}
	}
	if l.YMax > l.YMin {
		p.Y.Min, p.Y.Max = l.YMin, l.YMax
	}
	for _, x := range l.Marks {
		ln, err := plotter.NewLine(plotter.XYs{{X: x, Y: p.Y.Min}, {X: x, Y: p.Y.Max}})
		if err != nil {
			return nil, err
		}
		ln.Width = 0.6
		ln.Color = gray
		p.Add(ln)
	}
	p.Legend.Top = true
	return p, nil
}

// gray marks reference lines that should not compete with the data.
var gray = color.Gray{Y: 150}
