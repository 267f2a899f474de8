package study

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/hessblock/hessblock/internal/experiment"
	"github.com/hessblock/hessblock/internal/figures"
	"github.com/hessblock/hessblock/internal/report"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/train"
	"gonum.org/v1/plot/vg"
)

// DynamicOptions sizes the dynamic section: how block structure moves
// during training.
type DynamicOptions struct {
	// On adds the section to the report.
	On bool
	// Quick shrinks every run (a few seconds in all) for tests.
	Quick bool
	// TextCs are the class counts of the text task; nil means
	// {100, 1000, 10000} (about three minutes on two cores, most of it at
	// C = 10⁴), or {20, 50} when Quick.
	TextCs []int
	Seed   uint64
}

// dynamicRun is one trained configuration of the section.
type dynamicRun struct {
	Label string
	Res   *experiment.Result
}

// dynamicSpecs returns the MNIST runs (fixed C = 10, linear and MLP) and
// the text runs (linear, growing C).
func dynamicSpecs(o DynamicOptions) (mnist, text []experiment.Spec) {
	seed := o.Seed
	if seed == 0 {
		seed = 1
	}
	base, _ := experiment.Defaults(experiment.MNIST)
	base.Seed = seed
	lin := base
	lin.Model = numerics.DefaultConfig(kind.Linear)
	lin.Model.Sigma = 1
	mlp := base
	if o.Quick {
		for _, s := range []*experiment.Spec{&lin, &mlp} {
			s.N, s.D, s.Steps, s.Batch = 300, 16, 20, 64
			s.Model.M = min(s.Model.M, 8)
			s.Checkpoints = experiment.LogCheckpoints(s.Steps, 3)
			s.Stats.LanczosSteps = 20
		}
	}
	mnist = []experiment.Spec{lin, mlp}

	cs := o.TextCs
	if cs == nil {
		cs = []int{100, 1000, 10000}
		if o.Quick {
			cs = []int{20, 50}
		}
	}
	for _, c := range cs {
		s, _ := experiment.Defaults(experiment.GoText)
		s.Seed, s.C, s.N = seed, c, 2000
		s.Checkpoints = []int{0, 30, s.Steps}
		// One eigenvalue, 20 Lanczos steps: at C = 10⁴ each Hessian–vector
		// product costs about as much as the structured statistics.
		s.Stats.TopEigenvalues, s.Stats.LanczosSteps = 1, 20
		if o.Quick {
			s.N, s.D, s.Steps, s.Batch = 300, 8, 20, 64
			s.Checkpoints = []int{0, s.Steps}
		}
		text = append(text, s)
	}
	return mnist, text
}

// dynamicBlocks runs the section's experiments and returns its report
// blocks (heading, text, figures, tables), reporting progress.
func dynamicBlocks(o DynamicOptions, progress io.Writer) ([]report.Block, error) {
	mnistSpecs, textSpecs := dynamicSpecs(o)
	run := func(label string, s experiment.Spec) (dynamicRun, error) {
		fmt.Fprintf(progress, "dynamic: %s (%s, N=%d d=%d C=%d, %d steps)\n", label, s.Data, s.N, s.D, s.C, s.Steps)
		res, err := experiment.Run(s, func(c train.Checkpoint) {
			fmt.Fprintf(progress, "  step %d: loss %.4f, ρ %.4g\n", c.Step, c.Loss, c.Stats.Summary.Rho)
		})
		if err != nil {
			return dynamicRun{}, fmt.Errorf("dynamic section, %s: %w", label, err)
		}
		fmt.Fprintf(progress, "  %.1f s\n", res.Seconds)
		return dynamicRun{Label: label, Res: res}, nil
	}
	var mnist, text []dynamicRun
	for _, s := range mnistSpecs {
		label := "MNIST " + modelLabel(s.Model)
		r, err := run(label, s)
		if err != nil {
			return nil, err
		}
		mnist = append(mnist, r)
	}
	for _, s := range textSpecs {
		r, err := run(fmt.Sprintf("Go text, C = %d", s.C), s)
		if err != nil {
			return nil, err
		}
		text = append(text, r)
	}

	blocks := []report.Block{
		&report.Heading{Level: 2, Text: "Dynamic: block structure through training"},
		&report.Paragraph{Text: "The static results hold at random initialization. Here the same statistics — " +
			"R per block family and the off-block mass ρ, both exact (dense Hessian for small P, the structured " +
			"Gram identities otherwise) — are followed while Adam trains the model, on MNIST (C = 10 fixed, images " +
			"randomly projected) and on a next-token task over the Go standard library with the C most frequent " +
			"tokens as classes (input: a fixed random embedding of the previous token). λmax is the largest Ritz " +
			"value of a Lanczos run on Hessian–vector products."},
		&report.Code{Text: mnistSpecs[1].CommandLine() + "\n" + textSpecs[len(textSpecs)-1].CommandLine()},
	}
	fig, err := trajectoryFigure(mnist)
	if err != nil {
		return nil, err
	}
	blocks = append(blocks, fig, trajectoryTable("dynamic_mnist", "MNIST: statistics at each checkpoint (step 0 is the static, random-initialization value).", mnist))
	fig, err = classSweepFigure(text)
	if err != nil {
		return nil, err
	}
	blocks = append(blocks, fig, classSweepTable(text), &report.Paragraph{Text: dynamicSummary(mnist, text)})
	return blocks, nil
}

func modelLabel(c numerics.Config) string {
	if c.Model == kind.MLP {
		return fmt.Sprintf("MLP (%s, m = %d)", c.Activation, c.M)
	}
	return "linear"
}

// trajectoryFigure plots ρ and R per family against step + 1 for each
// MNIST run, one panel per model.
func trajectoryFigure(runs []dynamicRun) (*report.Figure, error) {
	var panels []figures.Drawer
	for _, r := range runs {
		ck := r.Res.Checkpoints
		x := make([]float64, len(ck))
		for i, c := range ck {
			x[i] = float64(c.Step + 1)
		}
		ll := figures.LogLog{Title: r.Label, XLabel: "step + 1", YLabel: "R, ρ", LegendTop: true, LegendRoom: 0.3}
		add := func(label string, y []float64, color int) {
			var xs, ys []float64
			for i := range y {
				if y[i] > 0 && !math.IsInf(y[i], 0) {
					xs, ys = append(xs, x[i]), append(ys, y[i])
				}
			}
			if len(xs) == 0 {
				return
			}
			ll.Curves = append(ll.Curves, figures.Curve{X: xs, Y: ys, Color: color})
			ll.Series = append(ll.Series, figures.Series{Label: label, X: xs, Y: ys, Color: color})
		}
		add("ρ", statSeries(ck, func(s *numerics.Measurement) float64 { return s.Summary.Rho }), 0)
		for i, fr := range ck[0].Stats.Summary.Ratios {
			add("R "+string(fr.Family), statSeries(ck, func(s *numerics.Measurement) float64 { return s.Summary.Ratios[i].R }), i+1)
		}
		p, err := ll.Plot()
		if err != nil {
			return nil, err
		}
		padLogY(p, 1.1)
		panels = append(panels, p)
	}
	png, svg, err := figures.Render(figures.Grid{Cols: len(panels), Panels: panels}, vg.Length(len(panels))*4.2*vg.Inch, 3.6*vg.Inch)
	if err != nil {
		return nil, err
	}
	return &report.Figure{Name: "dynamic_mnist", PNG: png, SVG: svg,
		Caption: "MNIST (C = 10): off-block mass ρ and pair ratio R per family over Adam steps, from random initialization (step 0) to the end of training."}, nil
}

func statSeries(ck []train.Checkpoint, f func(*numerics.Measurement) float64) []float64 {
	y := make([]float64, len(ck))
	for i, c := range ck {
		y[i] = f(c.Stats)
	}
	return y
}

func fmtStat(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// fmtRatio is R of family f: "–" for a family the model lacks,
// "undefined (reason)" for 0/0.
func fmtRatio(s numerics.Summary, f kind.Family) string {
	for _, r := range s.Ratios {
		if r.Family == f {
			if !r.Defined() {
				return "undefined (" + r.Undefined + ")"
			}
			return fmtStat(r.R)
		}
	}
	return "–"
}

func trajectoryTable(name, caption string, runs []dynamicRun) *report.Table {
	t := &report.Table{Name: name, Caption: caption,
		Header: []string{"model", "step", "loss", "accuracy", "ρ", "R hidden-hidden", "R output-output", "R hidden-output", "λmax", "method"}}
	for _, r := range runs {
		for _, c := range r.Res.Checkpoints {
			st := c.Stats
			row := []string{r.Label, strconv.Itoa(c.Step), fmt.Sprintf("%.4f", c.Loss), fmt.Sprintf("%.3f", c.Accuracy), fmtStat(st.Summary.Rho)}
			if st.Summary.RhoUndefined != "" {
				row[len(row)-1] = "undefined (" + st.Summary.RhoUndefined + ")"
			}
			for _, f := range []kind.Family{kind.HiddenHidden, kind.OutputOutput, kind.HiddenOutput} {
				row = append(row, fmtRatio(st.Summary, f))
			}
			row = append(row, fmtStat(st.LambdaMax), string(st.Method))
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

// classSweepFigure plots R and ρ against C at initialization and after
// training on the text task, with the W = 0 law R = 1/(C−1), ρ = 1/C.
func classSweepFigure(runs []dynamicRun) (*report.Figure, error) {
	var cs, r0, r1, rho0, rho1, ref, refRho []float64
	for _, r := range runs {
		ck := r.Res.Checkpoints
		a, b := ck[0].Stats.Summary, ck[len(ck)-1].Stats.Summary
		c := float64(r.Res.Config.C)
		cs = append(cs, c)
		r0, r1 = append(r0, a.Ratio(kind.OutputOutput)), append(r1, b.Ratio(kind.OutputOutput))
		rho0, rho1 = append(rho0, a.Rho), append(rho1, b.Rho)
		ref, refRho = append(ref, 1/(c-1)), append(refRho, 1/c)
	}
	mk := func(title, ylabel string, y0, y1, yref []float64, refLabel string) (*figures.LogLog, error) {
		return &figures.LogLog{Title: title, XLabel: "classes C", YLabel: ylabel, XTicks: cs,
			Series: []figures.Series{{Label: "init (static)", X: cs, Y: y0, Color: 0}, {Label: "trained", X: cs, Y: y1, Color: 1}},
			Curves: []figures.Curve{{Label: refLabel, X: cs, Y: yref, Color: 2, Dashed: true}}}, nil
	}
	var panels []figures.Drawer
	for _, spec := range []struct {
		title, ylabel, refLabel string
		y0, y1, yref            []float64
	}{
		{"pair ratio R", "R (output-output)", "1/(C−1), W = 0", r0, r1, ref},
		{"off-block mass ρ", "ρ", "1/C, W = 0", rho0, rho1, refRho},
	} {
		ll, _ := mk(spec.title, spec.ylabel, spec.y0, spec.y1, spec.yref, spec.refLabel)
		p, err := ll.Plot()
		if err != nil {
			return nil, err
		}
		padLogY(p, 1.1)
		panels = append(panels, p)
	}
	png, svg, err := figures.Render(figures.Grid{Cols: 2, Panels: panels}, 8.4*vg.Inch, 3.6*vg.Inch)
	if err != nil {
		return nil, err
	}
	return &report.Figure{Name: "dynamic_text", PNG: png, SVG: svg,
		Caption: "Go-text next-token task, linear model, CE: R and ρ against the number of classes C at random initialization and after training, with the exact W = 0 values for reference."}, nil
}

func classSweepTable(runs []dynamicRun) *report.Table {
	t := &report.Table{Name: "dynamic_text", Caption: "Go-text task: static (init) and dynamic (trained) statistics for each C.",
		Header: []string{"C", "P", "loss init → trained", "accuracy", "R init", "R trained", "C·R init", "C·R trained", "ρ init", "ρ trained", "λmax init", "λmax trained"}}
	for _, r := range runs {
		ck := r.Res.Checkpoints
		a, b := ck[0], ck[len(ck)-1]
		c := float64(r.Res.Config.C)
		ra, rb := a.Stats.Summary.Ratio(kind.OutputOutput), b.Stats.Summary.Ratio(kind.OutputOutput)
		t.Rows = append(t.Rows, []string{
			strconv.Itoa(r.Res.Config.C), strconv.Itoa(r.Res.Params),
			fmt.Sprintf("%.3f → %.3f", a.Loss, b.Loss), fmt.Sprintf("%.3f", b.Accuracy),
			fmtStat(ra), fmtStat(rb), fmtStat(c * ra), fmtStat(c * rb),
			fmtStat(a.Stats.Summary.Rho), fmtStat(b.Stats.Summary.Rho),
			fmtStat(a.Stats.LambdaMax), fmtStat(b.Stats.LambdaMax),
		})
	}
	return t
}

// ends returns the statistics at the first and last checkpoint of the
// run, the i-th of a list being written to sb (separated by "; ").
func (r dynamicRun) ends(i int, sb *strings.Builder) (init, trained numerics.Summary) {
	if i > 0 {
		sb.WriteString("; ")
	}
	ck := r.Res.Checkpoints
	return ck[0].Stats.Summary, ck[len(ck)-1].Stats.Summary
}

// dynamicSummary states the measured changes in words, from the numbers.
func dynamicSummary(mnist, text []dynamicRun) string {
	var sb strings.Builder
	sb.WriteString("Measured: ")
	for i, r := range mnist {
		a, b := r.ends(i, &sb)
		fmt.Fprintf(&sb, "%s ρ %s → %s", r.Label, fmtStat(a.Rho), fmtStat(b.Rho))
		for j, fr := range a.Ratios {
			fmt.Fprintf(&sb, ", R %s %s → %s", fr.Family, fmtRatio(a, fr.Family), fmtRatio(b, b.Ratios[j].Family))
		}
	}
	sb.WriteString(". Text task (init → trained): ")
	for i, r := range text {
		a, b := r.ends(i, &sb)
		fmt.Fprintf(&sb, "C = %d: R %s → %s, ρ %s → %s", r.Res.Config.C,
			fmtStat(a.Ratio(kind.OutputOutput)), fmtStat(b.Ratio(kind.OutputOutput)), fmtStat(a.Rho), fmtStat(b.Rho))
	}
	if len(text) >= 2 {
		first, last := text[0], text[len(text)-1]
		slope := func(pick func(numerics.Summary) float64, idx func([]train.Checkpoint) train.Checkpoint) float64 {
			c0, c1 := float64(first.Res.Config.C), float64(last.Res.Config.C)
			y0, y1 := pick(idx(first.Res.Checkpoints).Stats.Summary), pick(idx(last.Res.Checkpoints).Stats.Summary)
			return math.Log(y1/y0) / math.Log(c1/c0)
		}
		rOf := func(s numerics.Summary) float64 { return s.Ratio(kind.OutputOutput) }
		initCk := func(ck []train.Checkpoint) train.Checkpoint { return ck[0] }
		lastCk := func(ck []train.Checkpoint) train.Checkpoint { return ck[len(ck)-1] }
		fmt.Fprintf(&sb, ". Log–log slope of R against C between C = %d and %d: %.2f at init, %.2f after training (−1 is the static law).",
			first.Res.Config.C, last.Res.Config.C, slope(rOf, initCk), slope(rOf, lastCk))
	}
	return sb.String()
}
