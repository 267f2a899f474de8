package numerics

import (
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
)

// structuredConfigs covers every model × activation × loss, with more
// blocks than smallConfigs so that every family has off-diagonal pairs, and
// sizes where the streaming chunks, the ReLU active-row selection and the
// syrk tiles (N > 256) are exercised.
func structuredConfigs() []Config {
	var cs []Config
	for _, loss := range []kind.Loss{kind.MSE, kind.CE} {
		cs = append(cs,
			Config{Model: kind.Linear, Loss: loss, C: 7, D: 5, N: 300, Sigma: 1.5, Seed: 3},
			Config{Model: kind.Linear, Loss: loss, C: 2, D: 3, N: 4, Sigma: 1, Seed: 4})
		for _, act := range []kind.Activation{kind.Identity, kind.ReLU, kind.Tanh} {
			cs = append(cs,
				Config{Model: kind.MLP, Activation: act, Loss: loss, C: 6, D: 4, N: 270, M: 5, SigmaW: 1, SigmaV: 1.5, Seed: 5},
				Config{Model: kind.MLP, Activation: act, Loss: loss, C: 3, D: 2, N: 7, M: 1, SigmaW: 1, SigmaV: 1, Seed: 6})
		}
	}
	return cs
}

func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

func TestStructuredMatchesDense(t *testing.T) {
	const tol = 1e-10
	for _, cfg := range structuredConfigs() {
		t.Run(cfg.String(), func(t *testing.T) {
			p, h := denseProblem(t, cfg)
			l := p.Layout()
			dense, err := ComputeBlockStats(h, l)
			if err != nil {
				t.Fatal(err)
			}
			nb := len(l.Blocks)
			var pairs [][2]int
			for a := 0; a < nb; a++ {
				for b := 0; b < nb; b++ {
					if (a+2*b)%3 == 0 || a == b {
						pairs = append(pairs, [2]int{a, b})
					}
				}
			}
			for _, chunk := range []int{0, 3} {
				st, err := p.StructuredStats(StructuredOptions{Pairs: pairs, ClassChunk: chunk})
				if err != nil {
					t.Fatal(err)
				}
				check := func(what string, got, want float64) {
					t.Helper()
					// Sums that are exactly zero on the dense side (MSE
					// output pairs) must be exactly zero here too.
					if want == 0 && got != 0 || relDiff(got, want) > tol {
						t.Errorf("chunk %d: %s = %.17g, dense %.17g (rel %.1e)", chunk, what, got, want, relDiff(got, want))
					}
				}
				check("ρ", st.Rho, dense.Rho)
				check("‖H‖_F²", st.FrobeniusSq, dense.Summary.FrobeniusSq)
				check("off-block", st.OffBlockSq, dense.OffBlockSq)
				for _, fr := range dense.Ratios {
					check("R "+string(fr.Family), st.Ratio(fr.Family), fr.R)
				}
				for a := 0; a < nb; a++ {
					check("‖H_aa‖² "+l.Blocks[a].Name, st.DiagFrobeniusSq[a], dense.FrobeniusSq.At(a, a))
				}
				for _, pr := range st.Pairs {
					check("pair "+l.Blocks[pr.A].Name+","+l.Blocks[pr.B].Name, pr.FrobeniusSq, dense.FrobeniusSq.At(pr.A, pr.B))
				}
				skip, err := p.StructuredStats(StructuredOptions{SkipBlockNorms: true, ClassChunk: chunk})
				if err != nil {
					t.Fatal(err)
				}
				if skip.DiagFrobeniusSq != nil {
					t.Error("SkipBlockNorms still returned block norms")
				}
				check("ρ (skip block norms)", skip.Rho, dense.Rho)
				for _, fr := range dense.Ratios {
					check("R (skip block norms) "+string(fr.Family), skip.Ratio(fr.Family), fr.R)
				}
			}
		})
	}
}

func TestStructuredLinearCEAtZero(t *testing.T) {
	// THEORY §5.4 at a size where the dense path would be refused.
	for _, c := range []int{3, 1000} {
		cfg := Config{Model: kind.Linear, Loss: kind.CE, C: c, D: 40, N: 50, Sigma: 0, Seed: 2}
		p, _ := NewProblem(cfg)
		st, err := p.StructuredStats(StructuredOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 / float64(c); relDiff(st.Rho, want) > 1e-12 {
			t.Errorf("C=%d: ρ = %.17g, want %.17g", c, st.Rho, want)
		}
		if want := 1 / float64(c-1); relDiff(st.Ratio(kind.OutputOutput), want) > 1e-12 {
			t.Errorf("C=%d: R = %.17g, want %.17g", c, st.Ratio(kind.OutputOutput), want)
		}
	}
}

func TestStructuredBadInput(t *testing.T) {
	p, _ := NewProblem(DefaultConfig(kind.Linear))
	if _, err := p.StructuredStats(StructuredOptions{Pairs: [][2]int{{0, 99}}}); err == nil {
		t.Error("out-of-range pair accepted")
	}
	if _, err := p.StructuredStats(StructuredOptions{ClassChunk: -1}); err == nil {
		t.Error("negative chunk accepted")
	}
}

// Parallel reductions are summed in a fixed order: repeated calls give
// bit-identical statistics (a scheduling-dependent sum differed in the last
// bits before).
func TestStructuredStatsDeterministic(t *testing.T) {
	for _, loss := range []kind.Loss{kind.MSE, kind.CE} {
		p := mustProblem(t, Config{Model: kind.MLP, Activation: kind.ReLU, Loss: loss, C: 12, D: 10, N: 80, M: 16, SigmaW: 1, SigmaV: 1, Seed: 4})
		first, err := p.StructuredStats(StructuredOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for rep := 0; rep < 8; rep++ {
			again, err := p.StructuredStats(StructuredOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if again.Rho != first.Rho || again.FrobeniusSq != first.FrobeniusSq {
				t.Fatalf("%s: run %d gave ρ = %.17g, ‖H‖² = %.17g; first run %.17g, %.17g", loss, rep, again.Rho, again.FrobeniusSq, first.Rho, first.FrobeniusSq)
			}
			for k, r := range again.Ratios {
				if r != first.Ratios[k] {
					t.Fatalf("%s: run %d: %+v, first run %+v", loss, rep, r, first.Ratios[k])
				}
			}
		}
	}
}
