package figures

import (
	"bytes"
	"math"
	"testing"

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
