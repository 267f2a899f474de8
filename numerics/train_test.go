package numerics

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
)

// trainConfigs covers both models and both losses at sizes where training
// and dense statistics take milliseconds.
func trainConfigs() []Config {
	return []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 5, D: 20, N: 200, Sigma: 1, Seed: 11},
		{Model: kind.Linear, Loss: kind.MSE, C: 5, D: 20, N: 200, Sigma: 1, Seed: 12},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: 5, D: 20, N: 200, M: 16, SigmaW: 1, SigmaV: 1, Seed: 13},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.MSE, C: 5, D: 20, N: 200, M: 16, SigmaW: 1, SigmaV: 1, Seed: 14},
	}
}

func trainOptimizers() []Optimizer {
	return []Optimizer{GD{LR: 0.2}, SGD{LR: 0.1, Batch: 32, Momentum: 0.5}, Adam{LR: 0.01, Batch: 32}}
}

// Every optimizer lowers the full-data loss on every model and loss. The
// data are Gaussian with random labels, learnable only by memorization,
// so this is the weakest setting; a 20% decrease in 150 steps is well inside
// the margin we observe (the losses drop by 34–84% at these seeds).
func TestTrainLowersLoss(t *testing.T) {
	for _, cfg := range trainConfigs() {
		for _, opt := range trainOptimizers() {
			t.Run(cfg.String()+"/"+opt.String(), func(t *testing.T) {
				p, err := NewProblem(cfg)
				if err != nil {
					t.Fatal(err)
				}
				ck, err := Train(p, TrainOptions{Optimizer: opt, Steps: 150, Checkpoints: []int{0, 50, 150}, Seed: 3})
				if err != nil {
					t.Fatal(err)
				}
				if len(ck) != 3 || ck[0].Step != 0 || ck[2].Step != 150 {
					t.Fatalf("checkpoints at %v, want 0, 50, 150", steps(ck))
				}
				l0, l1 := ck[0].Loss, ck[2].Loss
				if !(l1 < 0.8*l0) {
					t.Errorf("loss %.4g → %.4g, want a decrease of at least 20%%", l0, l1)
				}
				if ck[2].Accuracy < ck[0].Accuracy {
					t.Errorf("accuracy fell %.3f → %.3f", ck[0].Accuracy, ck[2].Accuracy)
				}
				if got := p.Loss(); got != l1 {
					t.Errorf("problem left at loss %v, last checkpoint says %v", got, l1)
				}
				t.Logf("loss %.4f → %.4f, accuracy %.3f → %.3f", l0, l1, ck[0].Accuracy, ck[2].Accuracy)
			})
		}
	}
}

func steps(ck []Checkpoint) []int {
	var s []int
	for _, c := range ck {
		s = append(s, c.Step)
	}
	return s
}

// A minibatch step uses exactly the loss and gradient of the problem made
// of the selected rows, and an epoch visits every row once.
func TestBatcherMatchesSubproblem(t *testing.T) {
	for _, cfg := range trainConfigs() {
		p, err := NewProblem(cfg)
		if err != nil {
			t.Fatal(err)
		}
		const batch = 40
		b := newBatcher(p, batch, 7)
		seen := make([]int, cfg.N)
		for k := 0; k < cfg.N/batch; k++ {
			q := b.next()
			// Recover the rows by matching them against X (rows are
			// distinct Gaussian vectors).
			x := mat.NewDense(batch, cfg.D, nil)
			labels := make([]int, batch)
			for i := 0; i < batch; i++ {
				row := q.x.RawRowView(i)
				r := findRow(p.x, row)
				if r < 0 {
					t.Fatalf("batch row %d is not a row of X", i)
				}
				seen[r]++
				x.SetRow(i, row)
				labels[i] = p.labels[r]
				if q.labels[i] != labels[i] {
					t.Fatalf("batch row %d has label %d, X row %d has %d", i, q.labels[i], r, labels[i])
				}
			}
			sc := cfg
			sc.N = batch
			ref, err := NewProblemWithData(sc, x, labels)
			if err != nil {
				t.Fatal(err)
			}
			if err := ref.SetParams(p.Params()); err != nil {
				t.Fatal(err)
			}
			l1, g1 := q.LossGradient(nil)
			l2, g2 := ref.LossGradient(nil)
			if l1 != l2 || RelativeError(g1, g2) != 0 {
				t.Fatalf("%v: batch loss %v vs %v, gradient error %g", cfg, l1, l2, RelativeError(g1, g2))
			}
		}
		for r, c := range seen {
			if c != 1 {
				t.Fatalf("%v: row %d used %d times in one epoch", cfg, r, c)
			}
		}
	}
}

func findRow(x *mat.Dense, row []float64) int {
	n, _ := x.Dims()
	for i := 0; i < n; i++ {
		if slices.Equal(x.RawRowView(i), row) {
			return i
		}
	}
	return -1
}

// After training, the analytic Hessian still agrees with finite
// differences of the gradient (the same 1e-6 as at initialization).
func TestTrainedHessianFiniteDifferences(t *testing.T) {
	cfgs := []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 4, D: 5, N: 30, Sigma: 1, Seed: 3},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 3, D: 4, N: 30, M: 5, SigmaW: 1, SigmaV: 1, Seed: 5},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.MSE, C: 3, D: 4, N: 30, M: 5, SigmaW: 1, SigmaV: 1, Seed: 5},
	}
	for _, cfg := range cfgs {
		t.Run(cfg.String(), func(t *testing.T) {
			p, err := NewProblem(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ck, err := Train(p, TrainOptions{Optimizer: Adam{LR: 0.05, Batch: 10}, Steps: 100, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !(ck[1].Loss < ck[0].Loss) {
				t.Fatalf("training did not move the loss: %v → %v", ck[0].Loss, ck[1].Loss)
			}
			// The largest finite-difference step is h·max(1, |θ_i|); a
			// kink farther than 4 such steps is never crossed.
			maxStep := DefaultFDStep
			for _, v := range p.Params() {
				maxStep = math.Max(maxStep, DefaultFDStep*math.Abs(v))
			}
			if k := p.MinAbsPreactivation(); k < 4*maxStep {
				t.Fatalf("a ReLU kink lies %.2e from θ, within 4 finite-difference steps (%.1e)", k, maxStep)
			}
			g, err := CheckGradient(p, 0)
			if err != nil {
				t.Fatal(err)
			}
			h, err := CheckHessian(p, 0)
			if err != nil {
				t.Fatal(err)
			}
			if g > 1e-6 || h > 1e-6 {
				t.Errorf("relative error gradient %.2e, Hessian %.2e, want ≤ 1e-6", g, h)
			}
			t.Logf("gradient %.1e, Hessian %.1e", g, h)
		})
	}
}

// The same seeds give bit-identical checkpoints, statistics included; a
// different minibatch seed gives a different trajectory.
func TestTrainReproducible(t *testing.T) {
	cfg := trainConfigs()[2]
	run := func(seed uint64) []Checkpoint {
		p, err := NewProblem(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ck, err := Train(p, TrainOptions{
			Optimizer: Adam{LR: 0.01, Batch: 16}, Steps: 40, Checkpoints: []int{40, 0, 20, 20}, Seed: seed,
			Stats: &StatsOptions{TopEigenvalues: 2}, KeepParams: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		return ck
	}
	a, b, c := run(1), run(1), run(2)
	if !slices.Equal(steps(a), []int{0, 20, 40}) {
		t.Fatalf("checkpoints %v, want [0 20 40]", steps(a))
	}
	for i := range a {
		if a[i].Loss != b[i].Loss || a[i].Accuracy != b[i].Accuracy || !slices.Equal(a[i].Params, b[i].Params) ||
			a[i].Stats.Summary.Rho != b[i].Stats.Summary.Rho || !slices.Equal(a[i].Stats.TopEigenvalues, b[i].Stats.TopEigenvalues) {
			t.Fatalf("checkpoint %d differs between two runs with the same seed", a[i].Step)
		}
	}
	if slices.Equal(a[2].Params, c[2].Params) {
		t.Error("a different minibatch seed gave the same parameters")
	}
	if !slices.Equal(a[0].Params, c[0].Params) {
		t.Error("the minibatch seed changed the initialization")
	}
}

// With every block enumerated, the sampled path is the dense computation
// in another order; the structured path is exact by construction.
func TestSampledStatsExhaustiveMatchesDense(t *testing.T) {
	for _, cfg := range trainConfigs() {
		p, err := NewProblem(cfg)
		if err != nil {
			t.Fatal(err)
		}
		dense, err := ComputeHessianStats(p, StatsOptions{Method: StatsDense})
		if err != nil {
			t.Fatal(err)
		}
		for _, method := range []StatsMethod{StatsSampled, StatsStructured} {
			samp, err := ComputeHessianStats(p, StatsOptions{Method: method, DiagSamples: 1000, PairSamples: 1000})
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
		p, err := NewProblem(cfg)
		if err != nil {
			t.Fatal(err)
		}
		dense, err := ComputeHessianStats(p, StatsOptions{Method: StatsDense})
		if err != nil {
			t.Fatal(err)
		}
		samp, err := ComputeHessianStats(p, StatsOptions{Method: StatsSampled, DiagSamples: 15, PairSamples: 300, Seed: 4})
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
	p, err := NewProblem(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.MaxDenseBytes = 1 << 20
	for _, method := range []StatsMethod{StatsAuto, StatsSampled} {
		st, err := ComputeHessianStats(p, StatsOptions{Method: method})
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

// Lanczos with as many steps as parameters reproduces the spectrum; with
// 40 steps the top eigenvalues of these Hessians, whose top is separated
// from the bulk, are exact to 1e-8 relative.
func TestTopEigenvaluesMatchDense(t *testing.T) {
	for _, cfg := range []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 6, D: 12, N: 80, Sigma: 1, Seed: 31},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 5, D: 10, N: 80, M: 12, SigmaW: 1, SigmaV: 1, Seed: 32},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.MSE, C: 10, D: 20, N: 200, M: 20, SigmaW: 1, SigmaV: 1, Seed: 33},
	} {
		p, err := NewProblem(cfg)
		if err != nil {
			t.Fatal(err)
		}
		h, err := p.Hessian()
		if err != nil {
			t.Fatal(err)
		}
		ev, err := Eigenvalues(h)
		if err != nil {
			t.Fatal(err)
		}
		np := len(ev)
		for _, steps := range []int{np, 40} {
			if steps > np {
				continue
			}
			st, err := ComputeHessianStats(p, StatsOptions{TopEigenvalues: 3, LanczosSteps: steps, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			for i, got := range st.TopEigenvalues {
				want := ev[np-1-i]
				tol := 1e-8 * ev[np-1]
				if math.Abs(got-want) > tol {
					t.Errorf("%v, %d steps: λ_%d = %.12g, dense %.12g", cfg, steps, i+1, got, want)
				}
			}
			if st.LambdaMax != st.TopEigenvalues[0] {
				t.Errorf("LambdaMax %v ≠ first eigenvalue %v", st.LambdaMax, st.TopEigenvalues[0])
			}
		}
	}
}

func TestAccuracy(t *testing.T) {
	const c = 4
	x := mat.NewDense(8, c, nil)
	labels := make([]int, 8)
	for i := range labels {
		labels[i] = i % c
		x.Set(i, labels[i], 1)
	}
	p, err := NewProblemWithData(Config{Model: kind.Linear, Loss: kind.CE, C: c, Sigma: 1, Seed: 1}, x, labels)
	if err != nil {
		t.Fatal(err)
	}
	eye := mat.NewDense(c, c, nil)
	for k := 0; k < c; k++ {
		eye.Set(k, k, 1)
	}
	if err := p.SetWeights(eye, nil); err != nil {
		t.Fatal(err)
	}
	if a := p.Accuracy(); a != 1 {
		t.Errorf("accuracy with W = I: %v, want 1", a)
	}
	eye.Scale(-1, eye)
	if err := p.SetWeights(eye, nil); err != nil {
		t.Fatal(err)
	}
	if a := p.Accuracy(); a != 0 {
		t.Errorf("accuracy with W = −I: %v, want 0", a)
	}
}

func TestTrainErrors(t *testing.T) {
	cfg := trainConfigs()[1]
	p, err := NewProblem(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts TrainOptions
		want string
	}{
		{"no optimizer", TrainOptions{Steps: 1}, "no optimizer"},
		{"zero lr", TrainOptions{Optimizer: GD{}, Steps: 1}, "learning rate"},
		{"NaN lr", TrainOptions{Optimizer: Adam{LR: math.NaN()}, Steps: 1}, "learning rate"},
		{"bad beta", TrainOptions{Optimizer: Adam{LR: 1, Beta1: 1}, Steps: 1}, "betas"},
		{"bad momentum", TrainOptions{Optimizer: SGD{LR: 1, Momentum: -1}, Steps: 1}, "momentum"},
		{"negative batch", TrainOptions{Optimizer: SGD{LR: 1, Batch: -1}, Steps: 1}, "batch"},
		{"batch over N", TrainOptions{Optimizer: SGD{LR: 1, Batch: cfg.N + 1}, Steps: 1}, "exceeds"},
		{"negative steps", TrainOptions{Optimizer: GD{LR: 1}, Steps: -1}, "steps"},
		{"checkpoint past the end", TrainOptions{Optimizer: GD{LR: 1}, Steps: 5, Checkpoints: []int{6}}, "checkpoint"},
		{"bad stats", TrainOptions{Optimizer: GD{LR: 1}, Steps: 1, Stats: &StatsOptions{Method: "exact"}}, "statistics method"},
		{"divergence", TrainOptions{Optimizer: GD{LR: 1e3}, Steps: 2000}, "diverged"},
	} {
		q := p.Clone()
		_, err := Train(q, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	if _, err := Train(nil, TrainOptions{Optimizer: GD{LR: 1}}); err == nil {
		t.Error("nil problem accepted")
	}
	if _, err := ParseOptimizer("lbfgs", 1, 0); err == nil {
		t.Error("unknown optimizer accepted")
	}
}
