package numerics

import (
	"fmt"
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
	"gonum.org/v1/gonum/mat"
)

// streamConfigs are linear models the streamed path serves: CE and MSE,
// with and without a bias, with C not a multiple of the panel tested, and
// a saturated softmax (σ = 40: 1 − p_top ≈ 1e-9 at most samples), where
// the streamed r_y = −q_n must keep the digits the forward pass keeps.
func streamConfigs() []Config {
	return []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 11, D: 6, N: 80, Sigma: 1.5, Seed: 3},
		{Model: kind.Linear, Loss: kind.MSE, C: 7, D: 5, N: 70, Sigma: 1, Seed: 4},
		{Model: kind.Linear, Loss: kind.CE, C: 9, D: 4, N: 65, Sigma: 1, Bias: true, Seed: 5},
		{Model: kind.Linear, Loss: kind.MSE, C: 5, D: 4, N: 30, Sigma: 1, Bias: true, Seed: 6},
		{Model: kind.Linear, Loss: kind.CE, C: 9, D: 5, N: 40, Sigma: 40, Seed: 7},
	}
}

// streamProblems are the problems of streamConfigs and one saturated at
// every sample: logit 20 for class 0, the label of every sample, and ≈ 0
// for the others, so that 1 − p_0 ≈ 1e-9 everywhere; there p_0 (1 − p_0)
// and p_y − 1 lose eight digits unless 1 − p_0 is summed from the other
// classes, an error these tests detect at their tolerances.
func streamProblems(t *testing.T) []*Problem {
	var ps []*Problem
	for _, cfg := range streamConfigs() {
		ps = append(ps, mustProblem(t, cfg))
	}
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 4, D: 3, N: 30, Sigma: 1, Seed: 8}
	x := mat.NewDense(cfg.N, cfg.D, nil)
	r := newRand(8, 0)
	for i := 0; i < cfg.N; i++ {
		x.SetRow(i, []float64{1, 0.1 * r.NormFloat64(), 0.1 * r.NormFloat64()})
	}
	p, err := NewProblemWithData(cfg, x, make([]int, cfg.N))
	if err != nil {
		t.Fatal(err)
	}
	w := mat.NewDense(cfg.C, cfg.D, nil)
	for i := 0; i < cfg.C*cfg.D; i++ {
		w.RawMatrix().Data[i] = 0.01 * r.NormFloat64()
	}
	w.Set(0, 0, 20)
	if err := p.SetWeights(w, nil); err != nil {
		t.Fatal(err)
	}
	return append(ps, p)
}

// The streamed loss, gradient and accuracy equal the forward pass's.
func TestStreamedLossGradient(t *testing.T) {
	for _, p := range streamProblems(t) {
		cfg := p.Config()
		f := p.forward()
		wantG := p.gradient(f, nil)
		loss, g := p.streamLossGradient(make([]float64, p.NumParams()))
		if e := math.Abs(loss-f.loss) / f.loss; e > 1e-13 {
			t.Errorf("%v: streamed loss %v, forward pass %v (relative %.1e)", cfg, loss, f.loss, e)
		}
		if e := RelativeError(g, wantG); e > 1e-12 {
			t.Errorf("%v: streamed gradient off by %.1e relative", cfg, e)
		}
		if got, want := p.streamAccuracy(), p.forward().accuracy(p.labels); got != want {
			t.Errorf("%v: streamed accuracy %v, forward pass %v", cfg, got, want)
		}
	}
}

// Every block of the linear models, diagonal and off, from the streamed
// normalizers equals the block of the forward pass (and hence of the
// dense H, which the forward-pass blocks are tested against).
func TestStreamedBlocks(t *testing.T) {
	for _, p := range streamProblems(t) {
		cfg := p.Config()
		h, err := p.Hessian()
		if err != nil {
			t.Fatal(err)
		}
		l := p.Layout()
		block, err := p.streamBlocks()
		if err != nil {
			t.Fatal(err)
		}
		scale := mat.Norm(h, math.Inf(1))
		for a := range l.Blocks {
			for b := range l.Blocks {
				got, err := block(a, b)
				if err != nil {
					t.Fatal(err)
				}
				ba, bb := l.Blocks[a], l.Blocks[b]
				var diff float64
				for i := 0; i < ba.Size; i++ {
					for j := 0; j < bb.Size; j++ {
						diff = math.Max(diff, math.Abs(got.At(i, j)-h.At(ba.Start+i, bb.Start+j)))
					}
				}
				if diff > 1e-13*scale {
					t.Errorf("%v: block (%d, %d) off by %.2e (‖H‖∞ = %.2e)", cfg, a, b, diff, scale)
				}
			}
		}
	}
}

// Under a budget that admits the data but not a forward pass, the loss,
// gradient and accuracy stream and give the forward pass's values, and
// NewProblem's check admits what CheckProblem of the streamed size admits.
func TestStreamedUnderBudget(t *testing.T) {
	for _, p := range streamProblems(t) {
		cfg := p.Config()
		wantL, wantG := p.LossGradient(nil)
		wantA := p.Accuracy()
		if p.streams() {
			t.Fatalf("%v: streams without a budget", cfg)
		}
		p.MaxBytes = cfg.DataBytes() + cfg.forwardBytesAt(1)
		if p.MaxBytes >= cfg.ProblemBytes() {
			continue // C ≤ 5: one panel of logits is no smaller than the forward pass
		}
		if !p.streams() {
			t.Fatalf("%v: forward pass of %d bytes admitted by a budget of %d", cfg, cfg.ForwardBytes(), p.MaxBytes)
		}
		l, g := p.LossGradient(nil)
		if math.Abs(l-wantL) > 1e-13*wantL || RelativeError(g, wantG) > 1e-12 || p.Accuracy() != wantA {
			t.Errorf("%v: streamed loss %v (want %v), gradient off by %.1e", cfg, l, wantL, RelativeError(g, wantG))
		}
		if lg := p.Loss(); lg != l {
			t.Errorf("%v: Loss %v, LossGradient's %v", cfg, lg, l)
		}
		if err := cfg.CheckProblem(p.MaxBytes); err != nil {
			t.Errorf("%v: CheckProblem refuses the streamed problem: %v", cfg, err)
		}
		if err := cfg.CheckProblem(p.MaxBytes - 1); err == nil {
			t.Errorf("%v: CheckProblem admits one byte less than data and streamed arrays", cfg)
		}
	}
}

// At C = 10⁵, d = 128, N = 1024 a forward pass is two N×C arrays (1.6 GB);
// the linear model is admitted, estimated and measured in less than one:
// the data, Lanczos vectors, N² arrays and panels. The MLP, whose blocks need every class's
// probabilities, is not.
func TestStreamedEstimatesLargeC(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 100000, D: 128, N: 1024, Sigma: 1, Seed: 1}
	nc := int64(8 * cfg.N * cfg.C)
	budget := cfg.DataBytes() + nc // one N×C array beside the data: no forward pass
	if cfg.hvpMode(budget) != hvpRecompute {
		t.Errorf("λmax operator in mode %d, want %d (recompute)", cfg.hvpMode(budget), hvpRecompute)
	}
	if err := cfg.CheckProblem(budget); err != nil {
		t.Errorf("linear model refused: %v", err)
	}
	if m := cfg.MeasureBytes(0); m > budget {
		t.Errorf("MeasureBytes %d over %d: it counts a forward pass", m, budget)
	}
	if l := cfg.LambdaMaxBytes(budget); l > budget {
		t.Errorf("LambdaMaxBytes %d over %d", l, budget)
	}
	mlp := Config{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: 100000, D: 128, M: 8, N: 1024, SigmaW: 1, SigmaV: 1, Seed: 1}
	if err := mlp.CheckProblem(mlp.DataBytes() + nc); err == nil {
		t.Error("MLP admitted without its forward pass")
	}
}

// Measure under its own estimate, a budget that admits no forward pass,
// gives the statistics and representative blocks of an unlimited run (the
// λmax operator's recompute mode, which such budgets select at large C, is
// tested against the dense H·v in panelhvp_test.go).
func TestMeasureStreamedMatchesUnlimited(t *testing.T) {
	for _, bias := range []bool{false, true} {
		t.Run(fmt.Sprintf("bias=%v", bias), func(t *testing.T) {
			cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 20000, D: 4, N: 64, Sigma: 1, Bias: bias, Seed: 2}
			opts := MeasureOptions{Method: StatsStructured, Seed: 1, Blocks: true}
			want, err := Measure(mustProblem(t, cfg), opts)
			if err != nil {
				t.Fatal(err)
			}
			q := mustProblem(t, cfg)
			q.MaxBytes = cfg.MeasureBytes(0)
			if !q.streams() {
				t.Fatalf("budget %d admits a forward pass (%d)", q.MaxBytes, cfg.ForwardBytes())
			}
			got, err := Measure(q, opts)
			if err != nil {
				t.Fatal(err)
			}
			if e := math.Abs(got.Summary.FrobeniusSq-want.Summary.FrobeniusSq) / want.Summary.FrobeniusSq; e > 1e-12 {
				t.Errorf("‖H‖_F² off by %.1e", e)
			}
			for i, fb := range want.Blocks {
				g := got.Blocks[i]
				if *g.Diag.LambdaMax != *fb.Diag.LambdaMax || g.Off.SigmaMax != fb.Off.SigmaMax {
					t.Errorf("family %v: blocks %+v, unlimited %+v", fb.Family, g, fb)
				}
			}
		})
	}
}

// Under a budget that admits three Lanczos vectors but not the whole
// basis of 300, Measure's λmax runs without reorthogonalization instead of
// being refused, and finds the unlimited run's λmax.
func TestLambdaMaxWithoutReorthUnderBudget(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 2000, D: 16, N: 64, Sigma: 1, Seed: 3}
	opts := MeasureOptions{Method: StatsStructured, Seed: 1, LambdaMax: true}
	want, err := Measure(mustProblem(t, cfg), opts)
	if err != nil {
		t.Fatal(err)
	}
	budget := max(cfg.MeasureBytes(0), cfg.LambdaMaxBytes(1<<62)/4)
	if cfg.reorth(lambdaMaxSteps, budget) != krylov.ReorthNone {
		t.Fatalf("budget %d admits the whole basis (%d)", budget, cfg.LambdaMaxBytes(1<<62))
	}
	if cfg.LambdaMaxBytes(budget) > budget {
		t.Fatalf("LambdaMaxBytes %d over the budget %d", cfg.LambdaMaxBytes(budget), budget)
	}
	q := mustProblem(t, cfg)
	q.MaxBytes = budget
	got, err := Measure(q, opts)
	if err != nil {
		t.Fatal(err)
	}
	if e := math.Abs(got.LambdaMax-want.LambdaMax) / want.LambdaMax; e > 1e-8 {
		t.Errorf("λmax %v, with the whole basis %v (relative %.1e)", got.LambdaMax, want.LambdaMax, e)
	}
}
