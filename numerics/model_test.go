package numerics

import (
	"math"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
)

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

// Probabilities are a distribution per sample whose mean −log p_y is the
// CE loss, and softmax(W x_n) for the linear model; an MSE problem has none.
func TestProbabilities(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 5, D: 4, N: 30, Sigma: 3, Seed: 2}
	p := mustProblem(t, cfg)
	probs := p.Probabilities()
	if r, c := probs.Dims(); r != cfg.N || c != cfg.C {
		t.Fatalf("probabilities are %d×%d, want %d×%d", r, c, cfg.N, cfg.C)
	}
	var z mat.Dense
	z.Mul(p.X(), p.W().T())
	var loss float64
	for n := 0; n < cfg.N; n++ {
		var sum, norm float64
		for k := 0; k < cfg.C; k++ {
			sum += probs.At(n, k)
			norm += math.Exp(z.At(n, k))
		}
		if math.Abs(sum-1) > 1e-14 {
			t.Errorf("row %d sums to %v", n, sum)
		}
		for k := 0; k < cfg.C; k++ {
			if want := math.Exp(z.At(n, k)) / norm; math.Abs(probs.At(n, k)-want) > 1e-14 {
				t.Errorf("p[%d,%d] = %v, want %v", n, k, probs.At(n, k), want)
			}
		}
		loss -= math.Log(probs.At(n, p.Labels()[n]))
	}
	if l := p.Loss(); math.Abs(loss/float64(cfg.N)-l) > 1e-12*l {
		t.Errorf("mean −log p_y = %v, loss %v", loss/float64(cfg.N), l)
	}
	cfg.Loss = kind.MSE
	q, err := NewProblem(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("Probabilities of an MSE problem did not panic")
		}
	}()
	q.Probabilities()
}
