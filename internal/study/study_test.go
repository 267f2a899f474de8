package study

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/internal/report"
	"github.com/hessblock/hessblock/internal/sweep"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/theory"
)

// TestQuickRunDeterministic builds the tiny report twice, with one and two
// workers, and checks that every rendered byte agrees and that the report
// holds all its parts.
func TestQuickRunDeterministic(t *testing.T) {
	o := Quick()
	o.Workers = 1
	a, err := Run(context.Background(), o, Progress{})
	if err != nil {
		t.Fatal(err)
	}
	o.Workers = 2
	var units int
	b, err := Run(context.Background(), o, Progress{Add: func(n int) { units += n }})
	if err != nil {
		t.Fatal(err)
	}
	if units != o.Work() {
		t.Errorf("progress reported %d units, Work() = %d", units, o.Work())
	}
	if !bytes.Equal(a.Doc.Markdown(), b.Doc.Markdown()) || !bytes.Equal(a.Doc.HTML(), b.Doc.HTML()) || !bytes.Equal(a.Points, b.Points) {
		t.Fatal("reports differ between runs with 1 and 2 workers")
	}
	var figs, tabs []string
	for _, blk := range a.Doc.Blocks {
		switch v := blk.(type) {
		case *report.Figure:
			figs = append(figs, v.Name)
		case *report.Table:
			tabs = append(tabs, v.Name)
			c, _ := v.CSV()
			if bytes.Contains(c, []byte("NaN")) {
				t.Errorf("table %s holds NaN", v.Name)
			}
		}
	}
	if got := strings.Join(figs, ","); got != "heatmap,blockmap,ratio_linear,ratio_mlp,spectra_separation,spectra_gmp,spectra_mp,deep_ratio,gauss_newton,preconditioners" {
		t.Errorf("figures %s", got)
	}
	if got := strings.Join(tabs, ","); got != "setup,exponents,constants,grid,deep_exponents,gauss_newton_init,gauss_newton_training,preconditioners_init,preconditioners_training,spectral_fits" {
		t.Errorf("tables %s", got)
	}
	lines := bytes.Split(bytes.TrimSpace(a.Points), []byte("\n"))
	if want := len(o.points()); len(lines) != want {
		t.Errorf("%d point lines, want %d", len(lines), want)
	}
}

// TestLinearCEFinite checks the finite-C prediction against its exact
// σ = 0 value and its C → ∞ limit (THEORY §4).
func TestLinearCEFinite(t *testing.T) {
	p := predict(kind.Linear, kind.CE, kind.OutputOutput, theory.Setting{Classes: 7, Inputs: 20, Samples: 80})
	if p.Ratio != 1.0/6 || p.Rho != 1.0/7 {
		t.Errorf("σ = 0: R, ρ = %v, %v", p.Ratio, p.Rho)
	}
	// Without d the table gives the d → ∞ deterministic equivalent; at
	// C = 2000 the Monte Carlo prediction C·R should be within 2% of the
	// limit (the 1/C correction and the sampling error are both well below
	// that).
	const gamma, sigma = 0.1, 1.0
	r := predict(kind.Linear, kind.CE, kind.OutputOutput, theory.Setting{Classes: 2000, Gamma: gamma, Sigma: sigma, Seed: finiteCSeed, Draws: 4000}).Ratio
	lim := math.Sqrt(linearCELimitKappa2(gamma, sigma))
	if got := 2000 * r; math.Abs(got/lim-1) > 0.02 {
		t.Errorf("C·R at C = 2000: %v, limit %v", got, lim)
	}
}

// TestLinearCEFiniteAgainstNumerics compares the prediction with measured
// R of dense Hessians, averaged over seeds.
func TestLinearCEFiniteAgainstNumerics(t *testing.T) {
	if testing.Short() {
		t.Skip("dense Hessians over several seeds")
	}
	const c, d, n = 16, 40, 160
	var mean float64
	const seeds = 4
	for s := 1; s <= seeds; s++ {
		rec, err := sweep.Measure(numerics.Config{Model: kind.Linear, Loss: kind.CE, C: c, D: d, N: n, Sigma: 1, Seed: uint64(s)})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := rec.Family(kind.OutputOutput)
		mean += f.R / seeds
	}
	// The finite-C law with finite-d factors, weights drawn independently
	// of the samples (the report's seed and draws).
	pred, _ := theory.LinearCEFiniteC{Classes: c, Sigma: 1, Gamma: float64(d) / n, Draws: max(4000, 400000/c), Seed: finiteCSeed}.RatioFinite(d, n)
	// Measured with hessblock sweep over seeds 1–20 at this size: the
	// seed-to-seed spread of R is 0.9% and the 20-seed mean lies 2.1% above
	// the prediction (a ratio of expectations, not the expected ratio). The
	// 4-seed mean has a spread of about 0.5%, so a 5% tolerance fails by
	// chance with negligible probability (> 5 standard deviations) but
	// catches a prediction off by a finite-size factor.
	if math.Abs(mean/pred-1) > 0.05 {
		t.Errorf("mean R over seeds %v, finite-C prediction %v", mean, pred)
	}
	// The finite-size prediction samples the weights jointly with x and
	// removes that bias: over seeds 1–20 the mean C·R is 1.2435 (sd 0.0117)
	// against 1.2502 ± 0.0018 (Monte Carlo), 0.5% apart. A 2% tolerance is
	// over 5 standard deviations of the 4-seed mean plus the residual 0.5%.
	fs, _ := linearCEFiniteSize(c, d, n, 1)
	if math.Abs(mean/fs-1) > 0.02 {
		t.Errorf("mean R over seeds %v, finite-size prediction %v", mean, fs)
	}
}

func TestFitLogLog(t *testing.T) {
	xs := []float64{2, 4, 8, 16, 2, 4, 8, 16}
	ys := make([]float64, len(xs))
	for i, x := range xs {
		ys[i] = 3 * math.Pow(x, -0.5) * (1 + 0.01*float64(i/4*2-1)) // seed offsets ±1%
	}
	f := fitLogLog(xs, ys, 0)
	if !f.OK || math.Abs(f.Slope+0.5) > 1e-9 || !(f.Lo < -0.5 && f.Hi > -0.5) {
		t.Errorf("fit %+v", f)
	}
	if f := fitLogLog([]float64{2, 4}, []float64{1, 2}, 0); f.OK {
		t.Error("fit with two points reported OK")
	}
}

func TestOptionsValidate(t *testing.T) {
	o := Default()
	o.CMax, o.Sigma, o.SpecC = 2, 0, nil
	err := o.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"cmax", "sigma", "spectrum C"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
