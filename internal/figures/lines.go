package figures

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
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
	// Shapes, when not nil, holds one entry per curve: curve i gets a
	// marker of shape Shapes[i] (plotutil.Shape: 0 ring, 1 square,
	// 2 triangle, 3 cross, …) at each of its points, in its colour, and
	// its legend entry shows line and marker; a negative entry: no
	// markers.
	Shapes []int
	// Keys are legend entries that stand for a style several curves
	// share (a colour, a marker, a dash) rather than for one curve; they
	// follow the curves' own entries.
	Keys []Key
	// LogY puts the y axis on a log scale, ticked as LogLog's; every y
	// value (and YMin, when the range is fixed) must then be > 0.
	LogY bool
}

// Key is a legend entry of a LinePanel that belongs to no single curve:
// a line (Line, dashed with Dashed) and/or a marker of plotutil shape
// Shape (≥ 0), both in palette colour Color, or in black when Color < 0.
type Key struct {
	Label  string
	Color  int
	Line   bool
	Dashed bool
	Shape  int // < 0: no marker
}

// lineDashes are the dashes of a dashed curve in a line panel.
var lineDashes = []vg.Length{vg.Points(4), vg.Points(2)}

// Plot builds the plot. Every curve needs as many X as Y values, at least
// one, all finite (and Y > 0 with LogY).
func (l LinePanel) Plot() (*plot.Plot, error) {
	if len(l.Curves) == 0 {
		return nil, fmt.Errorf("figures: line panel %q has no curves", l.Title)
	}
	if l.Shapes != nil && len(l.Shapes) != len(l.Curves) {
		return nil, fmt.Errorf("figures: line panel %q has %d curves and %d shapes", l.Title, len(l.Curves), len(l.Shapes))
	}
	if l.LogY && l.YMax > l.YMin && !(l.YMin > 0) {
		return nil, fmt.Errorf("figures: line panel %q: y range [%v, %v] on a log axis", l.Title, l.YMin, l.YMax)
	}
	p := newPlot(l.Title, l.XLabel, l.YLabel)
	if l.LogY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	for i, c := range l.Curves {
		if len(c.X) != len(c.Y) || len(c.X) == 0 {
			return nil, fmt.Errorf("figures: curve %q has %d x and %d y values", c.Label, len(c.X), len(c.Y))
		}
		xy := make(plotter.XYs, len(c.X))
		for i := range c.X {
			if math.IsNaN(c.X[i]) || math.IsInf(c.X[i], 0) || math.IsNaN(c.Y[i]) || math.IsInf(c.Y[i], 0) {
				return nil, fmt.Errorf("figures: curve %q holds (%v, %v)", c.Label, c.X[i], c.Y[i])
			}
			if l.LogY && !(c.Y[i] > 0) {
				return nil, fmt.Errorf("figures: curve %q: y = %v at x = %v cannot be shown on a log axis", c.Label, c.Y[i], c.X[i])
			}
			xy[i] = plotter.XY{X: c.X[i], Y: c.Y[i]}
		}
		if l.Shapes == nil || l.Shapes[i] < 0 {
			if err := addCurve(p, c, xy, 1.1, lineDashes); err != nil {
				return nil, err
			}
			continue
		}
		if err := addMarkedCurve(p, c, xy, l.Shapes[i]); err != nil {
			return nil, err
		}
	}
	for _, k := range l.Keys {
		if err := addKey(p, k); err != nil {
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

// markerRadius is the size of a line panel's markers.
const markerRadius = vg.Length(2.6)

// addMarkedCurve draws c through xy with a marker of the given shape at
// each point; its legend entry shows both.
func addMarkedCurve(p *plot.Plot, c Curve, xy plotter.XYs, shape int) error {
	unlabelled := c
	unlabelled.Label = ""
	if err := addCurve(p, unlabelled, xy, 1.1, lineDashes); err != nil {
		return err
	}
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return err
	}
	sc.Color = Color(c.Color)
	sc.Shape = plotutil.Shape(shape)
	sc.Radius = markerRadius
	p.Add(sc)
	if c.Label != "" {
		th, err := thumbLine(Color(c.Color), c.Width, c.Dashed)
		if err != nil {
			return err
		}
		p.Legend.Add(c.Label, th, sc)
	}
	return nil
}

// addKey adds the legend entry k.
func addKey(p *plot.Plot, k Key) error {
	var col color.Color = color.Black
	if k.Color >= 0 {
		col = Color(k.Color)
	}
	var thumbs []plot.Thumbnailer
	if k.Line {
		th, err := thumbLine(col, 0, k.Dashed)
		if err != nil {
			return err
		}
		thumbs = append(thumbs, th)
	}
	if k.Shape >= 0 {
		sc, err := plotter.NewScatter(plotter.XYs{{}})
		if err != nil {
			return err
		}
		sc.Color, sc.Shape, sc.Radius = col, plotutil.Shape(k.Shape), markerRadius
		thumbs = append(thumbs, sc)
	}
	if len(thumbs) == 0 {
		return fmt.Errorf("figures: legend key %q has neither a line nor a marker", k.Label)
	}
	p.Legend.Add(k.Label, thumbs...)
	return nil
}

// thumbLine is a line used only as a legend thumbnail, styled as a line
// panel's curves.
func thumbLine(col color.Color, width vg.Length, dashed bool) (*plotter.Line, error) {
	ln, err := plotter.NewLine(plotter.XYs{{}, {X: 1}})
	if err != nil {
		return nil, err
	}
	ln.Color, ln.Width = col, width
	if ln.Width == 0 {
		ln.Width = 1.1
	}
	if dashed {
		ln.Dashes = lineDashes
	}
	return ln, nil
}

// gray marks reference lines that should not compete with the data.
var gray = color.Gray{Y: 150}
