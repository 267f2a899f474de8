package sweep

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// MeasureCurvature is Measure plus the split, whose statistics are those
// of numerics' dense G and Hres.
func TestMeasureCurvature(t *testing.T) {
	for _, cfg := range []numerics.Config{
		{Model: kind.Linear, Loss: kind.CE, C: 3, D: 4, N: 12, Sigma: 1, Seed: 1},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 3, D: 4, N: 12, M: 3, SigmaW: 1, SigmaV: 1, Seed: 2},
	} {
		rec, err := MeasureCurvature(cfg)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := Measure(cfg)
		if err != nil {
			t.Fatal(err)
		}
		nan := cmpopts.EquateNaNs()
		if d := cmp.Diff(plain, rec, nan, cmpopts.IgnoreFields(Record{}, "Curvature")); d != "" {
			t.Errorf("%v: the record differs from Measure's (-Measure +MeasureCurvature):\n%s", cfg, d)
		}
		p, err := numerics.NewProblem(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []struct {
			name string
			got  Part
			m    func() (*numerics.BlockStats, error)
		}{
			{"G", rec.Curvature.GaussNewton, func() (*numerics.BlockStats, error) {
				g, err := p.GaussNewton()
				if err != nil {
					return nil, err
				}
				return numerics.ComputeBlockStats(g, p.Layout())
			}},
			{"Hres", rec.Curvature.Residual, func() (*numerics.BlockStats, error) {
				r, err := p.Residual()
				if err != nil {
					return nil, err
				}
				return numerics.ComputeBlockStats(r, p.Layout())
			}},
		} {
			bs, err := part.m()
			if err != nil {
				t.Fatal(err)
			}
			want := Part{Rho: bs.Rho, RhoUndefined: bs.RhoUndefined}
			for _, r := range bs.Ratios {
				want.Families = append(want.Families, PartFamily{r.Family, r.R, r.Undefined, r.Pairs})
			}
			if d := cmp.Diff(want, part.got, nan); d != "" {
				t.Errorf("%v %s (-numerics +sweep):\n%s", cfg, part.name, d)
			}
		}
		if cfg.Model == kind.Linear && (!math.IsNaN(rec.Curvature.Residual.Rho) || rec.Curvature.Residual.RhoUndefined == "") {
			t.Errorf("linear Hres ρ = %v (%q), want undefined: Hres = 0", rec.Curvature.Residual.Rho, rec.Curvature.Residual.RhoUndefined)
		}
		if cfg.Model == kind.Linear && math.Abs(rec.Curvature.GaussNewton.Rho-rec.Rho) > 1e-12 {
			t.Errorf("linear G ρ = %v, H ρ = %v: want equal (H = G)", rec.Curvature.GaussNewton.Rho, rec.Rho)
		}
	}
}

// A record with the split is canonical and round-trips through the file
// reader; one without it keeps the bytes it always had.
func TestCurvatureRecordRoundTrip(t *testing.T) {
	cfg := numerics.Config{Model: kind.Linear, Loss: kind.MSE, C: 3, D: 4, N: 12, Sigma: 1, Seed: 1}
	rec, err := MeasureCurvature(cfg)
	if err != nil {
		t.Fatal(err)
	}
	line, err := MarshalRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(line, []byte(`"curvature":{"gauss_newton":{"rho":`)) || !bytes.Contains(line, []byte(`"rho":null,"rho_undefined":"H = 0"`)) {
		t.Errorf("line %s lacks the split or its null ρ", line)
	}
	f, err := parseFile("f", line)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rec, f.Lines[0].Record, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("round trip (-written +read):\n%s", d)
	}
	rec.Curvature = nil
	plain, _ := MarshalRecord(rec)
	if bytes.Contains(plain, []byte("curvature")) {
		t.Errorf("a record without the split writes %s", plain)
	}
	// A null split is not the canonical form of a record without one.
	withNull := bytes.Replace(plain, []byte(`]}`+"\n"), []byte(`],"curvature":null}`+"\n"), 1)
	if _, err := parseFile("f", withNull); err == nil {
		t.Errorf("accepted %s", withNull)
	}
}

// Run with Curvature writes the split into every line, and such files merge.
func TestRunCurvature(t *testing.T) {
	pts := mustExpand(t, Spec{Models: []string{"linear", "mlp"}, Losses: []string{"ce"}, Activations: []string{"tanh"},
		C: []int{2}, D: []int{3}, N: []int{10}, M: []int{2}, Sigma: []float64{1}, SigmaW: []float64{1}, SigmaV: []float64{1}, Seeds: []uint64{1}})
	path := filepath.Join(t.TempDir(), "s.jsonl")
	if _, err := Run(context.Background(), path, pts, Options{Curvature: true}); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Lines) != len(pts) {
		t.Fatalf("%d lines for %d points", len(f.Lines), len(pts))
	}
	for _, l := range f.Lines {
		if l.Record.Curvature == nil {
			t.Errorf("%s: no split", l.Record.Key)
		}
	}
	data, _ := os.ReadFile(path)
	out, _, err := Merge(pts, map[string][]byte{"s": data})
	if err != nil || !bytes.Equal(out, data) {
		t.Errorf("merge: %v; same bytes %v", err, bytes.Equal(out, data))
	}
}
