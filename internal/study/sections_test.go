package study

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/internal/report"
	"github.com/hessblock/hessblock/kind"
)

// quickState runs the quick reproduction once for the tests below.
func quickState(t *testing.T) (*Output, *state) {
	t.Helper()
	out, s, err := run(context.Background(), Quick(), Progress{})
	if err != nil {
		t.Fatal(err)
	}
	return out, s
}

func tableNamed(t *testing.T, out *Output, name string) *report.Table {
	t.Helper()
	for _, b := range out.Doc.Blocks {
		if tb, ok := b.(*report.Table); ok && tb.Name == name {
			return tb
		}
	}
	t.Fatalf("no table %s", name)
	return nil
}

// slopeOf is an independent least-squares slope of log y on log x.
func slopeOf(xs, ys []float64) float64 {
	var mx, my float64
	for i := range xs {
		mx += math.Log(xs[i]) / float64(len(xs))
		my += math.Log(ys[i]) / float64(len(xs))
	}
	var sxy, sxx float64
	for i := range xs {
		dx := math.Log(xs[i]) - mx
		sxx += dx * dx
		sxy += dx * (math.Log(ys[i]) - my)
	}
	return sxy / sxx
}

// TestNewSectionsRecomputed recomputes every row of the deep-network,
// Gauss–Newton and preconditioner tables of the quick report from the raw
// measurements with code written here, and checks the properties the
// tables rest on.
func TestNewSectionsRecomputed(t *testing.T) {
	out, s := quickState(t)
	o := s.o

	// Deeper networks: mean at the largest C and fitted exponent.
	deep := tableNamed(t, out, "deep_exponents")
	cmax := o.Deep.Cs()[len(o.Deep.Cs())-1]
	rows := 0
	for _, row := range deep.Rows {
		l, _ := strconv.Atoi(row[0])
		var fam kind.Family
		if row[2] != "ρ" {
			fam = kind.Family(strings.TrimPrefix(row[2], "R "))
		}
		var xs, ys []float64
		var last []float64
		for _, gp := range s.deepPts {
			if gp.Case != deepCaseID(l, kind.Loss(row[1])) {
				continue
			}
			v := gp.Record.Rho
			if fam != "" {
				f, ok := gp.Record.Family(fam)
				if !ok {
					t.Fatalf("L = %d: no family %s", l, fam)
				}
				v = f.R
			}
			if gp.C == cmax {
				last = append(last, v)
			}
			if gp.C >= o.Deep.FitCMin && v > 0 {
				xs, ys = append(xs, float64(gp.C)), append(ys, v)
			}
		}
		if len(last) != o.Deep.Seeds {
			t.Fatalf("%v: %d seeds at C = %d", row[:3], len(last), cmax)
		}
		var mean float64
		for _, v := range last {
			mean += v / float64(len(last))
		}
		if row[3] != num(mean) {
			t.Errorf("%v: mean %s, raw %s", row[:3], row[3], num(mean))
		}
		if len(ys) >= 3 {
			if want := fmt.Sprintf("%.3f", slopeOf(xs, ys)); row[4] != want {
				t.Errorf("%v: exponent %s, raw %s", row[:3], row[4], want)
			}
		}
		switch {
		case l >= 3 && row[6] != "no law":
			t.Errorf("%v: a deep family has law %q", row[:3], row[6])
		case l == 2 && row[1] == "mse" && fam == kind.OutputOutput && (row[6] != "R ≡ 0" || mean != 0):
			t.Errorf("%v: MSE output blocks: law %q, mean %v, want R ≡ 0 and 0", row[:3], row[6], mean)
		}
		rows++
	}
	want := 0
	for _, l := range o.Deep.Depths {
		want += 2 * (len(kind.LayerFamilies(l)) + 1)
	}
	if rows != want {
		t.Errorf("%d deep rows, want %d", rows, want)
	}

	// Gauss–Newton at initialization: means at the smallest and largest C.
	gn := tableNamed(t, out, "gauss_newton_init")
	pts := s.curvPoints()
	cs := o.Curv.Cs()
	for _, row := range gn.Rows {
		m := metric{}
		if row[2] != "ρ" {
			m = metric{kind.Family(strings.TrimPrefix(row[2], "R "))}
		}
		for j, c := range []int{cs[0], cs[len(cs)-1]} {
			var mean float64
			n := 0
			for _, gp := range pts {
				if gp.Case == curvCaseID(kind.Activation(row[0]), row[1]) && gp.C == c {
					v, _ := m.value(gp.Record)
					mean += v
					n++
				}
			}
			if n != o.Curv.Seeds {
				t.Fatalf("%v: %d seeds at C = %d", row[:3], n, c)
			}
			if got, want := row[3+j], num(mean/float64(n)); got != want {
				t.Errorf("%v at C = %d: %s, raw %s", row[:3], c, got, want)
			}
		}
		// Hres has no output–output blocks: R is undefined, never 0 or NaN.
		if row[1] == partRes && m.Family == kind.OutputOutput && row[3] != "—" {
			t.Errorf("%v: Hres output-output R = %s, want —", row[:3], row[3])
		}
	}
	if want := len(o.Curv.Activations) * len(curvParts) * len(curvMetrics); len(gn.Rows) != want {
		t.Errorf("%d Gauss–Newton rows, want %d", len(gn.Rows), want)
	}

	// Training: full-batch GD at a small rate lowers the loss.
	byAct := map[kind.Activation][]trainCheckpoint{}
	for _, ck := range s.curvRuns {
		byAct[ck.Act] = append(byAct[ck.Act], ck)
	}
	for act, cks := range byAct {
		if len(cks) != len(o.Curv.Checkpoints) || !(cks[len(cks)-1].Loss < cks[0].Loss) {
			t.Errorf("%s: %d checkpoints, loss %v → %v, want %d and a decrease", act, len(cks), cks[0].Loss, cks[len(cks)-1].Loss, len(o.Curv.Checkpoints))
		}
	}

	// Preconditioners: the identity leaves M = G + λI, and G has the CE
	// null space, so κ = (λmax + λ)/λ = (1 + f)/f exactly; the table's
	// relative errors are the raw means.
	pi := tableNamed(t, out, "preconditioners_init")
	for _, row := range pi.Rows {
		c, _ := strconv.Atoi(row[0])
		var rel float64
		n := 0
		for _, ci := range s.curvInit {
			if ci.C != c {
				continue
			}
			for _, r := range ci.Precond {
				if r.Target == row[1] && r.Name == row[2] && r.Factor == o.Curv.Dampings[0] {
					rel += r.RelError
					n++
				}
			}
		}
		if n != o.Curv.Seeds || row[3] != num(rel/float64(n)) {
			t.Errorf("%v: relative error %s, raw %s over %d seeds", row[:3], row[3], num(rel/float64(n)), n)
		}
		if row[1] == partG && row[2] == bIdentity {
			for j, f := range o.Curv.Dampings {
				k, err := strconv.ParseFloat(row[4+j], 64)
				if err != nil || math.Abs(k-(1+f)/f) > 1e-6*(1+f)/f {
					t.Errorf("C = %d: κ of G + λI at f = %v is %s, want (1+f)/f = %v", c, f, row[4+j], (1+f)/f)
				}
			}
		}
		for _, cell := range row[4:] {
			if _, err := strconv.ParseFloat(cell, 64); err != nil && !strings.HasPrefix(cell, "undefined (") {
				t.Errorf("%v: condition cell %q is neither a number nor a stated reason", row[:3], cell)
			}
		}
	}
}

// The estimate covers the new sections: their largest problems are inside
// MemoryBytes, and bad sizes are refused by Validate.
func TestNewSectionsBudgetAndValidation(t *testing.T) {
	for _, o := range []Options{Quick(), Default()} {
		need := o.MemoryBytes()
		cs := o.Deep.Cs()
		for _, l := range o.Deep.Depths {
			cfg := o.Deep.config(l, kind.CE, cs[len(cs)-1], 1)
			if b := cfg.ProblemBytes() + 2*cfg.DenseBytes(); b*int64(o.Workers) > need {
				t.Errorf("L = %d: problem and two dense H (%s per worker) exceed the estimate %s", l, membudget.Format(b), membudget.Format(need))
			}
		}
		cfg := o.Curv.config(kind.ReLU, o.Curv.CMax, 1)
		if b := cfg.ProblemBytes() + 5*cfg.DenseBytes(); b > need {
			t.Errorf("curvature: %s exceeds the estimate %s", membudget.Format(b), membudget.Format(need))
		}
	}
	bad := Quick()
	bad.Deep.Depths = []int{1}
	bad.Deep.CMax = 4
	bad.Curv.Checkpoints = []int{0, 99}
	bad.Curv.Dampings = []float64{0}
	err := bad.Validate()
	for _, want := range []string{"deep: depth 1", "deep: fit-cmin", "curvature: checkpoints", "curvature: damping factor 0"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want it to mention %q", err, want)
		}
	}
}

// The spectral-fit table shows each fit from the raw fits, and a fit that
// did not converge as a reason, never as a number.
func TestSpecFitTable(t *testing.T) {
	out, s := quickState(t)
	tab := tableNamed(t, out, "spectral_fits")
	nm := len(s.o.SpecFit.Models)
	if len(tab.Rows) != 3*nm {
		t.Fatalf("%d rows, want %d", len(tab.Rows), 3*nm)
	}
	for i, c := range s.specFits {
		if len(c.Eigs) != s.o.SpecFit.Blocks*s.o.SpecFit.D {
			t.Errorf("%s: %d eigenvalues, want %d", c.Label, len(c.Eigs), s.o.SpecFit.Blocks*s.o.SpecFit.D)
		}
		// Each block is scaled to mean eigenvalue 1, so the pool's mean is 1.
		var mean float64
		for _, v := range c.Eigs {
			mean += v / float64(len(c.Eigs))
		}
		if math.Abs(mean-1) > 1e-12 {
			t.Errorf("%s: pooled mean %v, want 1", c.Label, mean)
		}
		for j := range s.o.SpecFit.Models {
			row := tab.Rows[i*nm+j]
			if fit := c.Fits[j]; fit != nil {
				if row[2] != fitParams(fit) || row[3] != fmt.Sprintf("%.3f", fit.KS) || row[5] != itoa(fit.Spikes) {
					t.Errorf("%s: row %v, fit %+v", c.Label, row, fit)
				}
			} else if !strings.HasPrefix(row[2], "did not converge") {
				t.Errorf("%s: no fit, row %v", c.Label, row)
			}
		}
	}
	s.specFits[0].Fits[0] = nil
	s.specFits[0].Errs[0] = fmt.Errorf("spectralfit: fit did not converge: evaluation cap")
	if row := s.specFitTable().Rows[0]; row[2] != "did not converge: fit did not converge: evaluation cap" || row[3] != "—" {
		t.Errorf("failed fit shown as %v", row)
	}
}
