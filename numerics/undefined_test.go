package numerics

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/kind"
)

// D6: 0/0 is undefined, not 0. H = 0 (a saturated softmax at σ = 1e308)
// gives ρ and R as NaN with the reason "H = 0", and JSON null beside it.
func TestUndefinedStatistics(t *testing.T) {
	p, err := NewProblem(Config{Model: kind.Linear, Loss: kind.CE, C: 3, D: 3, N: 5, Sigma: 1e308, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	h, err := p.Hessian()
	if err != nil {
		t.Fatal(err)
	}
	if mat.Norm(h, 2) != 0 {
		t.Skip("H is not exactly 0 here")
	}
	check := func(what string, s Summary) {
		t.Helper()
		if !math.IsNaN(s.Rho) || s.RhoUndefined != UndefinedZeroH {
			t.Errorf("%s: ρ = %v (%q), want NaN (%q)", what, s.Rho, s.RhoUndefined, UndefinedZeroH)
		}
		for _, r := range s.Ratios {
			if !math.IsNaN(r.R) || r.Undefined != UndefinedZeroH || r.Defined() {
				t.Errorf("%s: R %s = %v (%q), want NaN (%q)", what, r.Family, r.R, r.Undefined, UndefinedZeroH)
			}
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for _, want := range []string{`"rho":null,"rho_undefined":"H = 0"`, `"R":null,"R_undefined":"H = 0"`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s: JSON %s lacks %s", what, b, want)
			}
		}
		var back Summary
		if err := json.Unmarshal(b, &back); err != nil || !math.IsNaN(back.Rho) || back.RhoUndefined != UndefinedZeroH {
			t.Errorf("%s: JSON round trip %+v, %v", what, back, err)
		}
	}
	bs, err := ComputeBlockStats(h, p.Layout())
	if err != nil {
		t.Fatal(err)
	}
	check("dense", bs.Summary)
	// (The structured path refuses a saturated softmax with an error.)
	res, err := Measure(p, MeasureOptions{Method: StatsSampled})
	if err != nil {
		t.Fatal(err)
	}
	check("sampled", res.Summary)

	// Off-diagonal pairs but zero diagonal blocks: R is undefined, ρ = 1.
	l := Config{Model: kind.Linear, Loss: kind.CE, C: 2, D: 1, N: 1, Sigma: 1}.Layout()
	s := Summarize(l, func(a, b int) float64 {
		if a == b {
			return 0
		}
		return 1
	})
	if r := s.Ratios[0]; r.Undefined != UndefinedZeroDiag || !math.IsNaN(r.R) || s.Rho != 1 || s.RhoUndefined != "" {
		t.Errorf("zero diagonal: %+v", s)
	}
	// A defined summary marshals as before: no reason fields.
	s = Summarize(l, func(a, b int) float64 { return 1 })
	if b, _ := json.Marshal(s); strings.Contains(string(b), "undefined") || !strings.Contains(string(b), `"rho":0.5`) {
		t.Errorf("defined summary JSON %s", b)
	}
}
