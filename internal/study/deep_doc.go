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

// deepSection: R per family and ρ against C for networks of L = 2, 3, 4
// layers, with fitted exponents and, where THEORY has one, the law.
func (s *state) deepSection(w *docWriter) error {
	d := s.o.Deep
	cs := d.Cs()
	w.add(&report.Heading{Level: 2, Text: "4. Deeper networks at initialization"})
	w.add(&report.Paragraph{Text: fmt.Sprintf("ReLU networks of L = %s weight layers without biases, every hidden layer of width m = %d, d = %d, N = %d (γ = %s), W_l ~ N(0, 1/h_{l−1}); C = %s, seeds 1–%d. Networks with L ≥ 3 have no structured path, so each point forms the dense H (numerics.Hessian) and takes R per family and ρ from numerics.ComputeBlockStats. Families are layer pairs Lp-Lq (L1-L1: blocks of the first layer's neurons, …, L%d-L%d: the output rows); for L = 2 they keep the names of Section 2. Points are means over seeds, bars the seed range. Families exactly zero off the diagonal (the output layer under MSE, R ≡ 0) are not drawn.",
		joinInts(d.Depths), d.M, d.D, d.N, fmtG(float64(d.D)/float64(d.N)), joinInts(cs), d.Seeds, d.Depths[len(d.Depths)-1], d.Depths[len(d.Depths)-1])})
	var panels []figures.Drawer
	var zero []string
	for _, l := range d.Depths {
		for _, loss := range []kind.Loss{kind.MSE, kind.CE} {
			id := deepCaseID(l, loss)
			pl := figures.LogLog{Title: fmt.Sprintf("L = %d, %s", l, strings.ToUpper(string(loss))), XLabel: "number of classes C", YLabel: "R per family, ρ", XTicks: intsF(cs)}
			for i, m := range deepMetrics(l) {
				as := aggregate(s.deepPts, id, m)
				if allZero(as) {
					zero = append(zero, fmt.Sprintf("L = %d %s %s", l, loss, m.name()))
					continue
				}
				pl.Series = append(pl.Series, aggSeries(m.name(), as, i))
			}
			if l == 2 {
				pl.Curves = deepTheoryCurves(d, loss, cs)
			}
			p, err := pl.Plot()
			if err != nil {
				return err
			}
			padLogY(p, 1.15)
			panels = append(panels, p)
		}
	}
	caption := fmt.Sprintf("R per block family and ρ of ReLU networks at initialization against C: one row per depth L = %s, MSE left, CE right (d = %d, N = %d, m = %d, no biases, %d seeds; bars: seed range). For L = 2 the lines are THEORY §4's laws (solid, approximate: MLPMSEHidden, MLPCEHidden, MLPCECross); deeper networks have no law in THEORY.", joinInts(d.Depths), d.D, d.N, d.M, d.Seeds)
	if err := w.fig("deep_ratio", caption, figures.Grid{Cols: 2, Panels: panels}, 11*vg.Inch, 4.2*vg.Inch*vg.Length(len(d.Depths))); err != nil {
		return err
	}
	w.add(s.deepTable())
	w.add(&report.Paragraph{Text: fmt.Sprintf("Exponents are least-squares slopes of log R against log C over all seeds at C ≥ %d with 95%% Student-t intervals (seed scatter only), as in Table 2. \"no law\": theory.Lookup has no law for that family; \"R ≡ 0\": the law says the off-diagonal blocks vanish, and the measured R is exactly 0 (so is the output layer's R under MSE at every depth). The asymptotic exponents are large-C statements: at C ≤ %d and these small sizes a fit need not reach them (the CE hidden–output law, for instance, decays like C^{−1/2} before its plateau, THEORY §4). Not drawn because exactly 0: %s. Every number comes from `go run ./cmd/hessblock reproduce` (the default report).", d.FitCMin, cs[len(cs)-1], orNone(zero))})
	return nil
}

// deepMetrics lists the families of an L-layer network, then ρ.
func deepMetrics(l int) []metric {
	var ms []metric
	for _, f := range kind.LayerFamilies(l) {
		ms = append(ms, metric{f})
	}
	return append(ms, metric{})
}

// deepTheoryCurves draws THEORY's laws for L = 2 at the section's sizes.
func deepTheoryCurves(d DeepOptions, loss kind.Loss, cs []int) []figures.Curve {
	x := denseC(cs)
	gamma := float64(d.D) / float64(d.N)
	var out []figures.Curve
	add := func(label string, col int, f func(c int) float64) {
		y := mapF(x, func(c float64) float64 { return f(int(c)) })
		if allFinite(y) {
			out = append(out, figures.Curve{Label: label, X: x, Y: y, Color: col})
		}
	}
	if loss == kind.MSE {
		add("law hidden-hidden", 0, func(c int) float64 { return math.Sqrt(mlpMSEHiddenR2(c, gamma)) })
		add("law hidden-output", 2, func(c int) float64 { return mlpMSECrossRatio(c, d.D, d.N, d.M) })
		return out
	}
	add("law hidden-hidden", 0, func(c int) float64 { return mlpCEHiddenRatio(c, d.D, d.N, d.M) })
	add("law hidden-output", 2, func(c int) float64 { return mlpCECrossRatio(c, d.D, d.N, d.M) })
	return out
}

// deepTable: fitted exponents per depth, loss and family.
func (s *state) deepTable() *report.Table {
	d := s.o.Deep
	t := &report.Table{Name: "deep_exponents", Caption: fmt.Sprintf("Deeper ReLU networks: fitted exponents of R per family and of ρ in C (C ≥ %d, all seeds), beside THEORY's asymptotic exponent where a law exists.", d.FitCMin),
		Header: []string{"L", "loss", "quantity", fmt.Sprintf("mean at C = %d", d.Cs()[len(d.Cs())-1]), "fitted exponent", "95% interval", "theory: asymptotic", "theory inside interval?"}}
	for _, l := range d.Depths {
		for _, loss := range []kind.Loss{kind.MSE, kind.CE} {
			id := deepCaseID(l, loss)
			for _, m := range deepMetrics(l) {
				as := aggregate(s.deepPts, id, m)
				xs, ys := flatten(as)
				f := fitLogLog(xs, ys, float64(d.FitCMin))
				fitted, iv := "—", "—"
				if f.OK {
					fitted, iv = fmt.Sprintf("%.3f", f.Slope), fmt.Sprintf("[%.3f, %.3f]", f.Lo, f.Hi)
				}
				last := "—"
				if len(as) > 0 {
					last = num(as[len(as)-1].Mean)
				}
				law, inside := "no law", "—"
				if m.Family != "" {
					if a, ok := deepLaw(loss, m.Family); ok && math.IsNaN(a) {
						law = "R ≡ 0"
					} else if ok {
						slope := 0 - a // not −0 for a = 0
						law = fmtG(slope)
						if f.OK {
							inside = yesNo(slope >= f.Lo && slope <= f.Hi)
						}
					}
				}
				t.Rows = append(t.Rows, []string{itoa(l), string(loss), m.name(), last, fitted, iv, law, inside})
			}
		}
	}
	return t
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "; ")
}
