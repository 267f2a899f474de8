package numerics

import (
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
)

func TestSummarizeSumsMatchesSummarize(t *testing.T) {
	for _, cfg := range structuredConfigs()[:6] {
		p, _ := NewProblem(cfg)
		h, _ := p.Hessian()
		l := p.Layout()
		st, _ := ComputeBlockStats(h, l)
		got := SummarizeSums(l, SumsFromFrobenius(l, st.FrobeniusSq.At))
		if relDiff(got.Rho, st.Rho) > 1e-13 || relDiff(got.FrobeniusSq, st.Summary.FrobeniusSq) > 1e-13 {
			t.Errorf("%s: SummarizeSums ρ %.17g ‖H‖² %.17g, Summarize %.17g %.17g", cfg, got.Rho, got.FrobeniusSq, st.Rho, st.Summary.FrobeniusSq)
		}
		for i, fr := range st.Ratios {
			g := got.Ratios[i]
			if g.Family != fr.Family || g.Pairs != fr.Pairs || relDiff(g.R, fr.R) > 1e-13 {
				t.Errorf("%s: family %+v, want %+v", cfg, g, fr)
			}
		}
	}
}

// R is scale-free: multiplying every block norm by a tiny factor leaves it
// unchanged (the geometric mean of the diagonal means once underflowed).
func TestSummarizeSumsScaleFree(t *testing.T) {
	l := Config{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: 3, D: 2, N: 4, M: 2, SigmaW: 1, SigmaV: 1}.Layout()
	sums := BlockSums{
		Off:  map[kind.Family]float64{kind.HiddenHidden: 2, kind.OutputOutput: 3, kind.HiddenOutput: 5},
		Diag: map[kind.Layer]float64{kind.Hidden: 7, kind.Output: 11},
	}
	want := SummarizeSums(l, sums)
	const tiny = 1e-300
	for f := range sums.Off {
		sums.Off[f] *= tiny
	}
	for k := range sums.Diag {
		sums.Diag[k] *= tiny
	}
	got := SummarizeSums(l, sums)
	for i, r := range want.Ratios {
		if math.Abs(got.Ratios[i].R-r.R) > 1e-14*r.R {
			t.Errorf("%s: R = %.17g at scale 1e-300, %.17g at scale 1", r.Family, got.Ratios[i].R, r.R)
		}
	}
	if math.Abs(got.Rho-want.Rho) > 1e-14*want.Rho {
		t.Errorf("ρ = %.17g at scale 1e-300, %.17g at scale 1", got.Rho, want.Rho)
	}
}
