package figures

import (
	"bytes"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot/vg"
)

func TestRenderDeterministicAndErrors(t *testing.T) {
	m := mat.NewDense(3, 3, []float64{1, 0.1, 0, 0.1, 2, 0.01, 0, 0.01, 3})
	h := Heatmap{Title: "t", M: m, Bounds: []int{1, 2}, AxisLabel: "i", ColorText: "log10 |m|"}
	p1, s1, err := Render(h, 4*vg.Inch, 3*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	p2, s2, _ := Render(h, 4*vg.Inch, 3*vg.Inch)
	if !bytes.Equal(p1, p2) || !bytes.Equal(s1, s2) {
		t.Error("rendering is not deterministic")
	}
	if !bytes.HasPrefix(p1, []byte("\x89PNG")) || !bytes.Contains(s1, []byte("<svg")) {
		t.Error("not PNG / SVG")
	}
	// Non-positive values on log axes are errors, not panics.
	if _, err := (LogLog{Series: []Series{{Label: "s", X: []float64{1, 2}, Y: []float64{1, 0}}}}).Plot(); err == nil {
		t.Error("zero on a log axis accepted")
	}
	if _, err := (HistPanel{Hists: []Hist{{Label: "empty"}}}).Plot(); err == nil {
		t.Error("empty histogram accepted")
	}
}
