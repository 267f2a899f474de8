package numerics

import (
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
)

// With every block enumerated, the sampled path is the dense computation
// in another order; the structured path is exact by construction.
func TestSampledStatsExhaustiveMatchesDense(t *testing.T) {
	for _, cfg := range spectralConfigs() {
		p := mustProblem(t, cfg)
		dense, err := Measure(p, MeasureOptions{Method: StatsDense})
		if err != nil {
			t.Fatal(err)
		}
		for _, method := range []StatsMethod{StatsSampled, StatsStructured} {
			samp, err := Measure(p, MeasureOptions{Method: method, DiagSamples: 1000, PairSamples: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if dense.Method != StatsDense || samp.Method != method {
				t.Fatalf("methods %q, %q", dense.Method, samp.Method)
			}
			close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-10*math.Max(math.Abs(a), math.Abs(b))+1e-300 }
			if !close(dense.Summary.Rho, samp.Summary.Rho) || samp.RhoStdErr != 0 {
				t.Errorf("%v: ρ dense %v, sampled %v ± %v", cfg, dense.Summary.Rho, samp.Summary.Rho, samp.RhoStdErr)
			}
			for i, fr := range dense.Summary.Ratios {
				sr := samp.Summary.Ratios[i]
				if sr.Family != fr.Family || sr.Pairs != fr.Pairs || !close(sr.R, fr.R) || samp.RatioStdErr[i] != 0 {
					t.Errorf("%v %s: dense R %v (%d pairs), %s %v ± %v (%d pairs)", cfg, fr.Family, fr.R, fr.Pairs, method, sr.R, samp.RatioStdErr[i], sr.Pairs)
				}
			}
		}
	}
}

// A sample of blocks estimates R and ρ within its own standard error. The
// bound is 4 standard errors: for a normal estimate the chance of a false
// failure is 6e-5 per quantity (10 quantities here); the delta-method
// normal approximation is good at 300 draws of these light-tailed norms.
func TestSampledStatsWithinStdErr(t *testing.T) {
	for _, cfg := range []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 60, D: 10, N: 150, Sigma: 2, Seed: 21},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: 40, D: 10, N: 150, M: 20, SigmaW: 1, SigmaV: 2, Seed: 22},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.MSE, C: 40, D: 10, N: 150, M: 20, SigmaW: 1, SigmaV: 1, Seed: 23},
	} {
		p := mustProblem(t, cfg)
		dense, err := Measure(p, MeasureOptions{Method: StatsDense})
		if err != nil {
			t.Fatal(err)
		}
		samp, err := Measure(p, MeasureOptions{Method: StatsSampled, DiagSamples: 15, PairSamples: 300, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		check := func(name string, want, got, se float64) {
			if se <= 0 && want != got {
				t.Errorf("%v %s: sampled %v has no standard error but dense is %v", cfg, name, got, want)
			}
			if math.Abs(got-want) > 4*se {
				t.Errorf("%v %s: sampled %.5g ± %.2g, dense %.5g (%.1f s.e.)", cfg, name, got, se, want, math.Abs(got-want)/se)
			}
			t.Logf("%v %s: sampled %.5g ± %.2g, dense %.5g", cfg, name, got, se, want)
		}
		check("ρ", dense.Summary.Rho, samp.Summary.Rho, samp.RhoStdErr)
		for i, fr := range dense.Summary.Ratios {
			check(string(fr.Family), fr.R, samp.Summary.Ratios[i].R, samp.RatioStdErr[i])
		}
	}
}

// At W = 0 every block of the linear CE Hessian is a multiple of S, so the
// structured and the sampled paths must give R = 1/(C−1) and ρ = 1/C exactly (THEORY §5.4) at
// a C where the dense Hessian would not fit.
func TestSampledStatsZeroInitLargeC(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 3000, D: 8, N: 40, Sigma: 0, Seed: 1}
	p := mustProblem(t, cfg)
	p.MaxDenseBytes = 1 << 20
	for _, method := range []StatsMethod{StatsAuto, StatsSampled} {
		st, err := Measure(p, MeasureOptions{Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if method == StatsAuto && st.Method != StatsStructured {
			t.Fatalf("auto chose %q for P = %d", st.Method, p.NumParams())
		}
		c := float64(cfg.C)
		if r := st.Summary.Ratio(kind.OutputOutput); math.Abs(r*(c-1)-1) > 1e-10 {
			t.Errorf("%s: R·(C−1) = %v, want 1", st.Method, r*(c-1))
		}
		if math.Abs(st.Summary.Rho*c-1) > 1e-10 {
			t.Errorf("%s: ρ·C = %v, want 1", st.Method, st.Summary.Rho*c)
		}
	}
}
