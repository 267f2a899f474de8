package study

import (
	"fmt"
	"math"
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
	return nil
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
