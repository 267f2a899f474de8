package figures

import (
	"bytes"
	"math"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

func TestLinePanel(t *testing.T) {
	lp := LinePanel{Title: "mass", XLabel: "block", YLabel: "fraction",
		Curves: []Curve{{Label: "v1", X: []float64{0, 1, 2}, Y: []float64{0.1, 0.8, 0.1}}}, Marks: []float64{1.5}, YMin: 0, YMax: 1}
	p, err := lp.Plot()
	if err != nil {
		t.Fatal(err)
	}
	if p.Y.Min != 0 || p.Y.Max != 1 {
		t.Errorf("y range [%v, %v], want the fixed [0, 1]", p.Y.Min, p.Y.Max)
	}
	a, _, err := Render(Grid{Cols: 1, Panels: []Drawer{p}}, 3*vg.Inch, 2*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := lp.Plot()
	if b, _, _ := Render(Grid{Cols: 1, Panels: []Drawer{p2}}, 3*vg.Inch, 2*vg.Inch); !bytes.Equal(a, b) {
		t.Error("rendering is not deterministic")
	}
	for _, bad := range []LinePanel{
		{},
		{Curves: []Curve{{X: []float64{0, 1}, Y: []float64{1}}}},
		{Curves: []Curve{{X: []float64{0}, Y: []float64{math.NaN()}}}},
	} {
		if _, err := bad.Plot(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// Markers, style keys and a log y axis: the legend holds the labelled
// curves and then the keys, the y axis is logarithmic, and values a log
// axis cannot show are refused.
func TestLinePanelMarkersKeysLogY(t *testing.T) {
	lp := LinePanel{Title: "κ", XLabel: "step", YLabel: "κ(M)", LogY: true,
		Curves: []Curve{
			{Label: "a", X: []float64{0, 10, 20}, Y: []float64{1, 30, 1e4}},
			{X: []float64{0, 10}, Y: []float64{2, 3}, Color: 1, Dashed: true},
		},
		Shapes: []int{0, -1},
		Keys:   []Key{{Label: "colour 1", Color: 1, Line: true, Shape: -1}, {Label: "square", Color: -1, Shape: 1}, {Label: "dashed", Color: -1, Line: true, Dashed: true, Shape: 3}}}
	p, err := lp.Plot()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Y.Scale.(plot.LogScale); !ok {
		t.Errorf("y scale %T, want plot.LogScale", p.Y.Scale)
	}
	if !(p.Y.Min == 1 && p.Y.Max == 1e4) {
		t.Errorf("y range [%v, %v], want the data's [1, 1e4]", p.Y.Min, p.Y.Max)
	}
	if _, _, err := Render(Grid{Cols: 1, Panels: []Drawer{p}}, 3*vg.Inch, 2*vg.Inch); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]LinePanel{
		"zero on log y":       {LogY: true, Curves: []Curve{{X: []float64{0, 1}, Y: []float64{1, 0}}}},
		"log y range from 0":  {LogY: true, YMin: 0, YMax: 1, Curves: []Curve{{X: []float64{0}, Y: []float64{1}}}},
		"shapes per curve":    {Shapes: []int{0, 1}, Curves: []Curve{{X: []float64{0}, Y: []float64{1}}}},
		"key without a glyph": {Keys: []Key{{Label: "k", Shape: -1}}, Curves: []Curve{{X: []float64{0}, Y: []float64{1}}}},
	} {
		if _, err := bad.Plot(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Without the new fields the panel is what it was: linear y.
	q, err := LinePanel{Curves: lp.Curves}.Plot()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := q.Y.Scale.(plot.LinearScale); !ok {
		t.Errorf("default y scale %T, want linear", q.Y.Scale)
	}
}
