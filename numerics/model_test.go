package numerics

import (
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
