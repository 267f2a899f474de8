package study

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/vg"

	"github.com/hessblock/hessblock/internal/figures"
	"github.com/hessblock/hessblock/internal/report"
)

// precondAgg is one approximation at one damping factor and one C, over
// seeds: the mean relative error and, when every seed's M is positive
// definite, the mean condition number.
type precondAgg struct {
	C              int
	RelErr, RelMin float64
	RelMax         float64
	Cond, CondMin  float64
	CondMax        float64
	Undefined, Of  int    // seeds without a condition number, of Of seeds
	Why            string // the first seed's reason
}

// aggregatePrecond collects approximation name at damping factor f over
// the seeds of the initialization grid, by increasing C.
func aggregatePrecond(init []curvInit, target, name string, f float64) []precondAgg {
	var out []precondAgg
	for _, ci := range init {
		for _, r := range ci.Precond {
			if r.Target != target || r.Name != name || r.Factor != f {
				continue
			}
			if len(out) == 0 || out[len(out)-1].C != ci.C {
				out = append(out, precondAgg{C: ci.C, RelMin: math.Inf(1), RelMax: math.Inf(-1), CondMin: math.Inf(1), CondMax: math.Inf(-1)})
			}
			a := &out[len(out)-1]
			a.Of++
			a.RelErr += r.RelError
			a.RelMin, a.RelMax = math.Min(a.RelMin, r.RelError), math.Max(a.RelMax, r.RelError)
			if r.Undefined != "" {
				if a.Undefined == 0 {
					a.Why = r.Undefined
				}
				a.Undefined++
				continue
			}
			a.Cond += r.Condition
			a.CondMin, a.CondMax = math.Min(a.CondMin, r.Condition), math.Max(a.CondMax, r.Condition)
		}
	}
	for i := range out {
		a := &out[i]
		a.RelErr /= float64(a.Of)
		if a.Undefined > 0 {
			a.Cond = math.NaN()
		} else {
			a.Cond /= float64(a.Of)
		}
	}
	return out
}

// precondTargets are the matrices preconditioned: H, and the Gauss–Newton
// part G, which is positive semidefinite, so that κ exists at every
// damping.
var precondTargets = []string{partH, partG}

// condText is a condition number for a table: a number, or why there is
// none.
func condText(cond float64, undefined, of int, why string) string {
	if undefined == 0 {
		return num(cond)
	}
	if of == 1 {
		return "undefined (" + why + ")"
	}
	return fmt.Sprintf("undefined (%s in %d of %d seeds)", why, undefined, of)
}

// precondSection: relative error and condition number of five
// preconditioners against C and along training.
func (s *state) precondSection(w *docWriter) error {
	c := s.o.Curv
	cs := c.Cs()
	act := c.Activations[0]
	w.add(&report.Heading{Level: 2, Text: "6. Block preconditioners"})
	w.add(&report.Paragraph{Text: fmt.Sprintf("How much of the curvature does a block structure capture when used as a preconditioner (the quantitative Adam-mini question)? For the %s network of Section 5 (CE, d = %d, N = %d, m = %d), for the matrix A = H and for its Gauss–Newton part A = G, and for B ∈ {blockdiag(A) with one block per neuron (one per row of W and of V), blockdiag(A) with one block per layer, type-2 KFAC (from G's factors, numerics.KFACFactors, for both matrices), diag(A), identity}: the relative error ‖A − B‖_F/‖A‖_F and the condition number κ = λmax/λmin of M = S(A + λI)S with S = (|B| + λI)^{−1/2} (package precond, precond.Quality on the dense A). The damping is λ = f·λmax(A) with f = %s. H is indefinite (its residual part has negative eigenvalues of order λmax/5 at these sizes), so at small f H + λI is not positive definite and κ is undefined: the tables say so and the figure leaves such points out. G is positive semidefinite and κ always exists. Under CE both H and G have a null space (adding one vector to every row of V leaves the softmax unchanged) that the per-neuron blocks do not share: at small f it dominates κ — for G the identity's κ is exactly (1 + f)/f, and the block preconditioners do not beat it (THEORY §7.3); at larger f the comparison measures the rest of the spectrum. Every number comes from `go run ./cmd/hessblock reproduce`.",
		act, c.D, c.N, c.M, joinFloats(c.Dampings))})
	var panels []figures.Drawer
	var notDrawn []string
	for _, target := range precondTargets {
		rel := figures.LogLog{Title: fmt.Sprintf("B ≈ %s: relative error ‖%s − B‖_F/‖%s‖_F", target, target, target), XLabel: "number of classes C", YLabel: "relative error", XTicks: intsF(cs)}
		for i, name := range precondNames {
			sr := precondSeries(name, aggregatePrecond(s.curvInit, target, name, c.Dampings[0]), i, false)
			if !seriesPositive(sr) {
				return fmt.Errorf("preconditioner section: relative error of %s for %s is not positive", name, target)
			}
			rel.Series = append(rel.Series, sr)
		}
		p, err := rel.Plot()
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	for _, target := range precondTargets {
		for _, f := range c.Dampings {
			pl := figures.LogLog{Title: fmt.Sprintf("κ(M) for %s, λ = %s·λmax(%s)", target, fmtG(f), target), XLabel: "number of classes C", YLabel: "κ(M)", XTicks: intsF(cs)}
			for i, name := range precondNames {
				sr := precondSeries(name, aggregatePrecond(s.curvInit, target, name, f), i, true)
				if len(sr.X) == 0 {
					notDrawn = append(notDrawn, fmt.Sprintf("%s for %s at f = %s", name, target, fmtG(f)))
					continue
				}
				pl.Series = append(pl.Series, sr)
			}
			if len(pl.Series) == 0 {
				continue
			}
			p, err := pl.Plot()
			if err != nil {
				return err
			}
			padLogY(p, 1.15)
			panels = append(panels, p)
		}
	}
	const cols = 3
	rows := (len(panels) + cols - 1) / cols
	if err := w.fig("preconditioners", fmt.Sprintf("Preconditioners at initialization against C (%s network, CE, d = %d, N = %d, m = %d; means over %d seeds, bars the seed range). First the relative errors of the approximations of H and of G, then the condition number of the damped, preconditioned M for each matrix and damping where it is defined. Points where H + λI is indefinite for some seed are left out; not drawn at all (undefined at every C): %s.",
		act, c.D, c.N, c.M, c.Seeds, orNone(notDrawn)),
		figures.Grid{Cols: cols, Panels: panels}, 13*vg.Inch, 4*vg.Inch*vg.Length(rows)); err != nil {
		return err
	}
	w.add(s.precondInitTable(), s.precondTrainTable())
	return nil
}

// precondSeries draws one approximation's relative error or condition
// number over C; with cond, C values without a condition number are left
// out.
func precondSeries(name string, as []precondAgg, col int, cond bool) figures.Series {
	sr := figures.Series{Label: name, Color: col}
	for _, a := range as {
		y, lo, hi := a.RelErr, a.RelMin, a.RelMax
		if cond {
			if a.Undefined > 0 {
				continue
			}
			y, lo, hi = a.Cond, a.CondMin, a.CondMax
		}
		sr.X, sr.Y, sr.Lo, sr.Hi = append(sr.X, float64(a.C)), append(sr.Y, y), append(sr.Lo, lo), append(sr.Hi, hi)
	}
	return sr
}

func seriesPositive(sr figures.Series) bool {
	for _, y := range sr.Lo {
		if !(y > 0) {
			return false
		}
	}
	return true
}

func (s *state) precondInitTable() *report.Table {
	c := s.o.Curv
	h := []string{"C", "matrix", "B", "relative error"}
	for _, f := range c.Dampings {
		h = append(h, fmt.Sprintf("κ(M) at λ = %s·λmax", fmtG(f)))
	}
	t := &report.Table{Name: "preconditioners_init", Caption: fmt.Sprintf("Preconditioners of H and of G at initialization (%s network, CE): relative error ‖A − B‖_F/‖A‖_F and κ(M), means over seeds 1–%d; \"undefined\": A + λI is not positive definite (or Lanczos did not converge) in the seeds stated. The identity's relative error only reflects the scale of A.", c.Activations[0], c.Seeds), Header: h}
	for _, cl := range c.Cs() {
		for _, target := range precondTargets {
			for _, name := range precondNames {
				var row []string
				for j, f := range c.Dampings {
					for _, a := range aggregatePrecond(s.curvInit, target, name, f) {
						if a.C != cl {
							continue
						}
						if j == 0 {
							row = []string{itoa(cl), target, name, num(a.RelErr)}
						}
						row = append(row, condText(a.Cond, a.Undefined, a.Of, a.Why))
					}
				}
				t.Rows = append(t.Rows, row)
			}
		}
	}
	return t
}

func (s *state) precondTrainTable() *report.Table {
	c := s.o.Curv
	h := []string{"step", "loss", "matrix", "B", "relative error"}
	for _, f := range c.Dampings {
		h = append(h, fmt.Sprintf("κ(M) at λ = %s·λmax", fmtG(f)))
	}
	t := &report.Table{Name: "preconditioners_training", Caption: fmt.Sprintf("Preconditioners of H and of G along the gradient-descent run of Section 5 (%s network, C = %d, seed 1): loss, relative error and κ(M) at every checkpoint.", c.Activations[0], c.TrainC), Header: h}
	for _, ck := range s.curvRuns {
		if len(ck.Precond) == 0 {
			continue
		}
		for _, target := range precondTargets {
			for _, name := range precondNames {
				var row []string
				for _, r := range ck.Precond {
					if r.Target != target || r.Name != name {
						continue
					}
					if row == nil {
						row = []string{itoa(ck.Step), num(ck.Loss), target, name, num(r.RelError)}
					}
					u := 0
					if r.Undefined != "" {
						u = 1
					}
					row = append(row, condText(r.Condition, u, 1, r.Undefined))
				}
				t.Rows = append(t.Rows, row)
			}
		}
	}
	return t
}

func joinFloats(fs []float64) string {
	s := ""
	for i, f := range fs {
		if i > 0 {
			s += ", "
		}
		s += fmtG(f)
	}
	return s
}
