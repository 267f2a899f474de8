package train

import (
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// reference is the textbook form of one optimizer, written independently
// of optimizer.go: it returns θ after the update from gradient g at step
// t = 1, 2, ….
type reference func(theta, g []float64, t int) []float64

func gdReference(lr float64) reference {
	return func(theta, g []float64, _ int) []float64 {
		out := make([]float64, len(theta))
		for i := range theta {
			out[i] = theta[i] - lr*g[i]
		}
		return out
	}
}

// sgdReference is heavy-ball momentum: b_t = μ b_{t−1} + g_t, θ ← θ − lr b_t.
func sgdReference(lr, mu float64) reference {
	var b []float64
	return func(theta, g []float64, _ int) []float64 {
		if b == nil {
			b = make([]float64, len(g))
		}
		out := make([]float64, len(theta))
		for i := range theta {
			b[i] = mu*b[i] + g[i]
			out[i] = theta[i] - lr*b[i]
		}
		return out
	}
}

// adamReference is Kingma and Ba's Algorithm 1 with bias correction
// m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t).
func adamReference(lr, b1, b2, eps float64) reference {
	var m, v []float64
	return func(theta, g []float64, t int) []float64 {
		if m == nil {
			m, v = make([]float64, len(g)), make([]float64, len(g))
		}
		out := make([]float64, len(theta))
		for i := range theta {
			m[i] = b1*m[i] + (1-b1)*g[i]
			v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
			mhat := m[i] / (1 - math.Pow(b1, float64(t)))
			vhat := v[i] / (1 - math.Pow(b2, float64(t)))
			out[i] = theta[i] - lr*mhat/(math.Sqrt(vhat)+eps)
		}
		return out
	}
}

// Each optimizer's parameters after every one of a few steps equal the
// reference update applied to the same minibatch gradients, to 1e-14. The
// minibatch rows are replayed from a batcher with the same seed (its
// sampling is tested in TestBatcherMatchesSubproblem).
func TestOptimizerUpdateRules(t *testing.T) {
	cfg := numerics.Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 3, D: 4, N: 12, M: 3, SigmaW: 1, SigmaV: 1, Seed: 5}
	const steps, seed = 5, 9
	for _, c := range []struct {
		opt Optimizer
		ref reference
	}{
		{GD{LR: 0.3}, gdReference(0.3)},
		{SGD{LR: 0.2, Batch: 5}, sgdReference(0.2, 0)},
		{SGD{LR: 0.2, Batch: 5, Momentum: 0.7}, sgdReference(0.2, 0.7)},
		{Adam{LR: 0.05, Batch: 4}, adamReference(0.05, 0.9, 0.999, 1e-8)},
		{Adam{LR: 0.05, Beta1: 0.5, Beta2: 0.8, Eps: 1e-3}, adamReference(0.05, 0.5, 0.8, 1e-3)},
	} {
		t.Run(c.opt.String(), func(t *testing.T) {
			p := mustProblem(t, cfg)
			q := p.Clone()
			every := make([]int, steps+1)
			for i := range every {
				every[i] = i
			}
			ck, err := Run(p, Options{Optimizer: c.opt, Steps: steps, Checkpoints: every, Seed: seed, KeepParams: true})
			if err != nil {
				t.Fatal(err)
			}
			batches := newBatcher(q, c.opt.batchSize(), seed)
			theta := q.Params()
			for step := 1; step <= steps; step++ {
				var g []float64
				if rows := batches.next(); rows == nil {
					g = q.Gradient(nil)
				} else {
					_, g = q.LossGradientOn(rows, nil)
				}
				theta = c.ref(theta, g, step)
				if err := q.SetParams(theta); err != nil {
					t.Fatal(err)
				}
				got := ck[step].Params
				for i := range theta {
					if d := math.Abs(got[i] - theta[i]); d > 1e-14*math.Max(1, math.Abs(theta[i])) {
						t.Fatalf("step %d, θ_%d = %.17g, reference %.17g (diff %.2e)", step, i, got[i], theta[i], d)
					}
				}
			}
			if moved := numerics.RelativeError(ck[steps].Params, ck[0].Params); moved < 1e-3 {
				t.Errorf("parameters moved by %.2e only; the test would not see a wrong rule", moved)
			}
		})
	}
}
