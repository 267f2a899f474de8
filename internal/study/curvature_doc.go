package study

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/hessblock/hessblock/internal/figures"
	"github.com/hessblock/hessblock/internal/report"
	"github.com/hessblock/hessblock/kind"
)

// curvPoints returns the initialization grid of the Gauss–Newton section
// as grid points, one per activation, matrix, C and seed.
func (s *state) curvPoints() []gridPoint {
	var pts []gridPoint
	for _, ci := range s.curvInit {
		for _, part := range curvParts {
			pts = append(pts, gridPoint{Case: curvCaseID(ci.Act, part), C: ci.C, Seed: ci.Seed, Record: ci.Recs[part]})
		}
	}
	return pts
}

var curvMetrics = []metric{{kind.HiddenHidden}, {kind.OutputOutput}, {kind.HiddenOutput}, {}}

// plottable reports whether every mean of as is finite and > 0 (log axes).
func plottable(as []agg) bool {
	for _, a := range as {
		if !(a.Mean > 0) || math.IsInf(a.Mean, 0) || !(a.Min > 0) {
			return false
		}
	}
	return len(as) > 0
}

// curvatureSection: R and ρ of G, Hres and H against C and along training.
func (s *state) curvatureSection(w *docWriter) error {
	c := s.o.Curv
	cs := c.Cs()
	pts := s.curvPoints()
	acts := make([]string, len(c.Activations))
	for i, a := range c.Activations {
		acts[i] = string(a)
	}
	w.add(&report.Heading{Level: 2, Text: "5. Gauss–Newton and residual parts"})
	w.add(&report.Paragraph{Text: fmt.Sprintf("H = G + Hres with G = (1/N) Σ_n J_nᵀ A_n J_n the Gauss–Newton part and Hres = (1/N) Σ_n Σ_k r_nk ∇²z_nk the residual part (numerics.GaussNewton, numerics.Residual, dense). One-hidden-layer networks (%s), CE, d = %d, N = %d, m = %d, no biases, W ~ N(0, 1/d), V ~ N(0, 1/m); at initialization C = %s with seeds 1–%d, and along one full-batch gradient-descent run per activation (learning rate %s, %d steps, C = %d, seed 1, train.Run) at steps %s. R per family and ρ of each matrix are computed with numerics.ComputeBlockStats on the network's layout. Hres has no output–output part (the logits are linear in V), and no hidden–hidden part off the diagonal (its φ″ term, (1/N) Σ_n Σ_k r_nk V_ki φ″(u_ni) x_n x_nᵀ, sits in the diagonal blocks H_ii): for tanh its hidden–hidden R is exactly 0; for ReLU φ″ = 0, Hres is only the hidden–output term r_nl φ'_ni x_n e_iᵀ, every R of Hres is undefined (its diagonal blocks vanish, \"—\") and its ρ is 1. Every number comes from `go run ./cmd/hessblock reproduce`.",
		strings.Join(acts, ", "), c.D, c.N, c.M, joinInts(cs), c.Seeds, fmtG(c.LR), c.Steps, c.TrainC, joinInts(c.Checkpoints))})
	var panels []figures.Drawer
	var missing []string
	for _, act := range c.Activations {
		for _, m := range curvMetrics {
			pl := figures.LogLog{Title: fmt.Sprintf("%s: %s", act, m.name()), XLabel: "number of classes C", YLabel: m.name(), XTicks: intsF(cs)}
			for i, part := range curvParts {
				as := aggregate(pts, curvCaseID(act, part), m)
				if !plottable(as) {
					missing = append(missing, fmt.Sprintf("%s %s of %s", act, m.name(), part))
					continue
				}
				pl.Series = append(pl.Series, aggSeries(part, as, i))
			}
			p, err := pl.Plot()
			if err != nil {
				return err
			}
			padLogY(p, 1.15)
			panels = append(panels, p)
		}
	}
	if err := w.fig("gauss_newton", fmt.Sprintf("R per family and ρ of the Gauss–Newton part G, the residual part Hres and H = G + Hres against C at initialization (rows: %s; CE, d = %d, N = %d, m = %d; means over %d seeds, bars the seed range). Not drawn (undefined or 0): %s.",
		strings.Join(acts, ", "), c.D, c.N, c.M, c.Seeds, orNone(missing)),
		figures.Grid{Cols: len(curvMetrics), Panels: panels}, 14*vg.Inch, 3.6*vg.Inch*vg.Length(len(c.Activations))); err != nil {
		return err
	}
	w.add(s.curvInitTable(pts), s.curvTrainTable())
	return s.curvTrainFigure(w)
}

// curvTrainFigure: R per family and ρ of G, Hres and H against the GD
// step, one panel per activation, from the checkpoints of Table 7.
// Colour is the matrix (as in the initialization figure), the marker the
// quantity; undefined values are left out and listed in the caption.
func (s *state) curvTrainFigure(w *docWriter) error {
	c := s.o.Curv
	var keys []figures.Key
	for i, part := range curvParts {
		keys = append(keys, figures.Key{Label: partLabel(part), Color: i, Line: true, Shape: -1})
	}
	for j, m := range curvMetrics {
		keys = append(keys, figures.Key{Label: m.name(), Color: -1, Shape: j, Line: true, Dashed: m.Family == ""})
	}
	var lps []figures.LinePanel
	var missing []string
	gVals := map[string][]float64{} // G's values by activation and quantity
	var hidden []string             // quantities where H's curve covers G's
	top := 0.0
	for _, act := range c.Activations {
		lp := figures.LinePanel{Title: fmt.Sprintf("%s network, C = %d", act, c.TrainC), XLabel: "gradient-descent step", YLabel: "R, ρ", Keys: keys}
		for i, part := range curvParts {
			for j, m := range curvMetrics {
				var xs, ys []float64
				for _, ck := range s.curvRuns {
					if ck.Act != act {
						continue
					}
					v, ok := m.value(ck.Recs[part])
					if !ok {
						v = math.NaN()
					}
					xs, ys = append(xs, float64(ck.Step)), append(ys, v)
				}
				if part == partG {
					gVals[string(act)+" "+m.name()] = ys
				}
				if part == partH && len(ys) > 0 && slices.EqualFunc(ys, gVals[string(act)+" "+m.name()], func(h, g float64) bool { return math.Abs(h-g) <= 1e-9*math.Abs(g) }) {
					hidden = append(hidden, fmt.Sprintf("%s %s", act, m.name()))
				}
				runs, left := finiteRuns(xs, ys)
				if len(left) > 0 {
					what := fmt.Sprintf("%s %s of %s", act, m.name(), part)
					if len(runs) > 0 {
						what += " at steps " + joinFloatsInt(left)
					}
					missing = append(missing, what)
				}
				for _, r := range runs {
					lp.Curves = append(lp.Curves, figures.Curve{X: r[0], Y: r[1], Color: i, Dashed: m.Family == ""})
					lp.Shapes = append(lp.Shapes, j)
					top = math.Max(top, slices.Max(r[1]))
				}
			}
		}
		lps = append(lps, lp)
	}
	var panels []figures.Drawer
	for _, lp := range lps {
		// A common y range from 0, with the top third kept free for the
		// legend.
		lp.YMin, lp.YMax = 0, top/(1-legendRoomLines)
		p, err := lp.Plot()
		if err != nil {
			return err
		}
		p.X.Min, p.X.Max = float64(c.Checkpoints[0]), float64(c.Checkpoints[len(c.Checkpoints)-1])
		panels = append(panels, p)
	}
	cols := min(len(panels), 2)
	rows := (len(panels) + cols - 1) / cols
	acts := make([]string, len(c.Activations))
	for i, a := range c.Activations {
		acts[i] = string(a)
	}
	return w.fig("gauss_newton_training", fmt.Sprintf("R per family (solid) and ρ (dashed) of the Gauss–Newton part G, the residual part Hres and H = G + Hres against the step of the full-batch gradient-descent runs of Table 7 (panels: %s; CE, C = %d, d = %d, N = %d, m = %d, learning rate %s, seed 1), measured at steps %s; colour is the matrix, the marker the quantity, lines join the checkpoints. R of G and of H coincide where Hres has no part in the family's blocks, and there H's curve covers G's: %s. Not drawn (undefined): %s. Produced by `go run ./cmd/hessblock reproduce`.",
		strings.Join(acts, ", "), c.TrainC, c.D, c.N, c.M, fmtG(c.LR), joinInts(c.Checkpoints), orNone(hidden), orNone(missing)),
		figures.Grid{Cols: cols, Panels: panels}, 11*vg.Inch, 4.6*vg.Inch*vg.Length(rows))
}

// legendRoomLines is the fraction of a training figure's y range kept
// free of data for the legend.
const legendRoomLines = 0.35

// partLabel names a matrix of the Gauss–Newton section in a legend.
func partLabel(part string) string {
	if part == partH {
		return "H = G + Hres"
	}
	return part
}

// finiteRuns splits the points (xs[i], ys[i]) at the non-finite ys into
// runs of consecutive finite points, each as {x, y}, and returns the x
// values left out.
func finiteRuns(xs, ys []float64) (runs [][2][]float64, left []float64) {
	var cur [2][]float64
	for i := range xs {
		if math.IsNaN(ys[i]) || math.IsInf(ys[i], 0) {
			left = append(left, xs[i])
			if len(cur[0]) > 0 {
				runs = append(runs, cur)
				cur = [2][]float64{}
			}
			continue
		}
		cur[0], cur[1] = append(cur[0], xs[i]), append(cur[1], ys[i])
	}
	if len(cur[0]) > 0 {
		runs = append(runs, cur)
	}
	return runs, left
}

// joinFloatsInt writes integer-valued floats (steps) as a list.
func joinFloatsInt(fs []float64) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strings.Join(s, ", ")
}

// curvInitTable: each matrix's R and ρ at the smallest and largest C, and
// the fitted exponent over all C.
func (s *state) curvInitTable(pts []gridPoint) *report.Table {
	c := s.o.Curv
	cs := c.Cs()
	t := &report.Table{Name: "gauss_newton_init", Caption: fmt.Sprintf("Gauss–Newton part G, residual part Hres and H at initialization: mean over seeds at C = %d and C = %d, and the fitted exponent in C over all C (95%% interval, seed scatter only).", cs[0], cs[len(cs)-1]),
		Header: []string{"activation", "matrix", "quantity", fmt.Sprintf("mean at C = %d", cs[0]), fmt.Sprintf("mean at C = %d", cs[len(cs)-1]), "fitted exponent", "95% interval"}}
	for _, act := range c.Activations {
		for _, part := range curvParts {
			for _, m := range curvMetrics {
				as := aggregate(pts, curvCaseID(act, part), m)
				xs, ys := flatten(as)
				f := fitLogLog(xs, ys, 0)
				fitted, iv := "—", "—"
				if f.OK && plottable(as) {
					fitted, iv = fmt.Sprintf("%.3f", f.Slope), fmt.Sprintf("[%.3f, %.3f]", f.Lo, f.Hi)
				}
				t.Rows = append(t.Rows, []string{string(act), part, m.name(), num(as[0].Mean), num(as[len(as)-1].Mean), fitted, iv})
			}
		}
	}
	return t
}

// curvTrainTable: R and ρ of the three matrices at every checkpoint.
func (s *state) curvTrainTable() *report.Table {
	c := s.o.Curv
	t := &report.Table{Name: "gauss_newton_training", Caption: fmt.Sprintf("G, Hres and H along full-batch gradient descent (C = %d, learning rate %s, seed 1): loss and accuracy over the %d samples, R per family and ρ of each matrix.", c.TrainC, fmtG(c.LR), c.N),
		Header: []string{"activation", "step", "loss", "accuracy", "matrix", "R hidden-hidden", "R output-output", "R hidden-output", "ρ"}}
	for _, ck := range s.curvRuns {
		for _, part := range curvParts {
			row := []string{string(ck.Act), itoa(ck.Step), num(ck.Loss), num(ck.Accuracy), part}
			for _, m := range curvMetrics {
				v, _ := m.value(ck.Recs[part])
				row = append(row, num(v))
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}
