package train

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"gonum.org/v1/gonum/mat"
)

// trainConfigs covers both models and both losses at sizes where training
// and dense statistics take milliseconds.
func trainConfigs() []numerics.Config {
	return []numerics.Config{
		{Model: kind.Linear, Loss: kind.CE, C: 5, D: 20, N: 200, Sigma: 1, Seed: 11},
		{Model: kind.Linear, Loss: kind.MSE, C: 5, D: 20, N: 200, Sigma: 1, Seed: 12},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: 5, D: 20, N: 200, M: 16, SigmaW: 1, SigmaV: 1, Seed: 13},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.MSE, C: 5, D: 20, N: 200, M: 16, SigmaW: 1, SigmaV: 1, Seed: 14},
	}
}

// mustProblem returns numerics.NewProblem(cfg), failing the test on error.
func mustProblem(t testing.TB, cfg numerics.Config) *numerics.Problem {
	t.Helper()
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
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
				p := mustProblem(t, cfg)
				ck, err := Run(p, Options{Optimizer: opt, Steps: 150, Checkpoints: []int{0, 50, 150}, Seed: 3})
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
		p := mustProblem(t, cfg)
		const batch = 40
		b := newBatcher(p, batch, 7)
		seen := make([]int, cfg.N)
		for k := 0; k < cfg.N/batch; k++ {
			rows := slices.Clone(b.next())
			x := mat.NewDense(batch, cfg.D, nil)
			labels := make([]int, batch)
			for i, r := range rows {
				seen[r]++
				x.SetRow(i, p.X().RawRowView(r))
				labels[i] = p.Labels()[r]
			}
			sc := cfg
			sc.N = batch
			ref, err := numerics.NewProblemWithData(sc, x, labels)
			if err != nil {
				t.Fatal(err)
			}
			if err := ref.SetParams(p.Params()); err != nil {
				t.Fatal(err)
			}
			l1, g1 := p.LossGradientOn(rows, nil)
			l2, g2 := ref.LossGradient(nil)
			if l1 != l2 || numerics.RelativeError(g1, g2) != 0 {
				t.Fatalf("%v: batch loss %v vs %v, gradient error %g", cfg, l1, l2, numerics.RelativeError(g1, g2))
			}
		}
		for r, c := range seen {
			if c != 1 {
				t.Fatalf("%v: row %d used %d times in one epoch", cfg, r, c)
			}
		}
	}
}

// After training, the analytic Hessian still agrees with finite
// differences of the gradient (the same 1e-6 as at initialization).
func TestTrainedHessianFiniteDifferences(t *testing.T) {
	cfgs := []numerics.Config{
		{Model: kind.Linear, Loss: kind.CE, C: 4, D: 5, N: 30, Sigma: 1, Seed: 3},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 3, D: 4, N: 30, M: 5, SigmaW: 1, SigmaV: 1, Seed: 5},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.MSE, C: 3, D: 4, N: 30, M: 5, SigmaW: 1, SigmaV: 1, Seed: 5},
	}
	for _, cfg := range cfgs {
		t.Run(cfg.String(), func(t *testing.T) {
			p := mustProblem(t, cfg)
			ck, err := Run(p, Options{Optimizer: Adam{LR: 0.05, Batch: 10}, Steps: 100, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !(ck[1].Loss < ck[0].Loss) {
				t.Fatalf("training did not move the loss: %v → %v", ck[0].Loss, ck[1].Loss)
			}
			// The largest finite-difference step is h·max(1, |θ_i|); a
			// kink farther than 4 such steps is never crossed.
			maxStep := numerics.DefaultFDStep
			for _, v := range p.Params() {
				maxStep = math.Max(maxStep, numerics.DefaultFDStep*math.Abs(v))
			}
			if k := p.MinAbsPreactivation(); k < 4*maxStep {
				t.Fatalf("a ReLU kink lies %.2e from θ, within 4 finite-difference steps (%.1e)", k, maxStep)
			}
			g, err := numerics.CheckGradient(p, 0)
			if err != nil {
				t.Fatal(err)
			}
			h, err := numerics.CheckHessian(p, 0)
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
		p := mustProblem(t, cfg)
		ck, err := Run(p, Options{
			Optimizer: Adam{LR: 0.01, Batch: 16}, Steps: 40, Checkpoints: []int{40, 0, 20, 20}, Seed: seed,
			Stats: &numerics.MeasureOptions{TopEigenvalues: 2}, KeepParams: true,
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

func TestTrainErrors(t *testing.T) {
	cfg := trainConfigs()[1]
	p := mustProblem(t, cfg)
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no optimizer", Options{Steps: 1}, "no optimizer"},
		{"zero lr", Options{Optimizer: GD{}, Steps: 1}, "learning rate"},
		{"NaN lr", Options{Optimizer: Adam{LR: math.NaN()}, Steps: 1}, "learning rate"},
		{"bad beta", Options{Optimizer: Adam{LR: 1, Beta1: 1}, Steps: 1}, "betas"},
		{"bad momentum", Options{Optimizer: SGD{LR: 1, Momentum: -1}, Steps: 1}, "momentum"},
		{"negative batch", Options{Optimizer: SGD{LR: 1, Batch: -1}, Steps: 1}, "batch"},
		{"batch over N", Options{Optimizer: SGD{LR: 1, Batch: cfg.N + 1}, Steps: 1}, "exceeds"},
		{"negative steps", Options{Optimizer: GD{LR: 1}, Steps: -1}, "steps"},
		{"checkpoint past the end", Options{Optimizer: GD{LR: 1}, Steps: 5, Checkpoints: []int{6}}, "checkpoint"},
		{"bad stats", Options{Optimizer: GD{LR: 1}, Steps: 1, Stats: &numerics.MeasureOptions{Method: "exact"}}, "statistics method"},
		{"divergence", Options{Optimizer: GD{LR: 1e3}, Steps: 2000}, "diverged"},
	} {
		q := p.Clone()
		_, err := Run(q, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	if _, err := Run(nil, Options{Optimizer: GD{LR: 1}}); err == nil {
		t.Error("nil problem accepted")
	}
	if _, err := ParseOptimizer("lbfgs", 1, 0); err == nil {
		t.Error("unknown optimizer accepted")
	}
}

// A nil or zero Problem and a nil optimizer pointer are errors, not panics.
func TestRunRefusesNil(t *testing.T) {
	p := mustProblem(t, trainConfigs()[0])
	var nilGD *GD
	for name, run := range map[string]func() error{
		"zero Problem": func() error { _, err := Run(&numerics.Problem{}, Options{Optimizer: GD{LR: 0.1}}); return err },
		"nil *GD":      func() error { _, err := Run(p, Options{Optimizer: nilGD}); return err },
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic %v", name, r)
				}
			}()
			if run() == nil {
				t.Errorf("%s accepted", name)
			}
		}()
	}
}

// D6: Run stops at the first exploding loss (over ExplodeFactor × the
// initial loss + ExplodeOffset), long before it overflows, with a
// *DivergedError naming the step; no checkpoint past it is recorded.
func TestRunStopsAtExplodingLoss(t *testing.T) {
	p := mustProblem(t, trainConfigs()[1])
	var seen []Checkpoint
	ck, err := Run(p, Options{Optimizer: GD{LR: 1e6}, Steps: 50, Checkpoints: []int{0, 1, 2, 4, 50},
		Progress: func(c Checkpoint) { seen = append(seen, c) }})
	var div *DivergedError
	if !errors.As(err, &div) {
		t.Fatalf("error %v, want a *DivergedError", err)
	}
	if div.Step > 2 || !strings.Contains(err.Error(), "lower the learning rate") {
		t.Errorf("stopped at step %d: %v", div.Step, err)
	}
	limit := ExplodeFactor*ck[0].Loss + ExplodeOffset
	for _, c := range seen {
		if !(c.Loss <= limit) || math.IsInf(c.GradNorm, 0) {
			t.Errorf("checkpoint %d recorded with loss %v, gradient norm %v", c.Step, c.Loss, c.GradNorm)
		}
	}
}
