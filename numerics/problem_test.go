package numerics

import (
	"slices"
	"testing"

	"github.com/hessblock/hessblock/datasets"
	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
)

// NewProblem's data are datasets.Gaussian's at the same sizes and seed, so
// `train -data gaussian` and `inspect` see the same X and labels.
func TestNewProblemDataIsDatasetsGaussian(t *testing.T) {
	cfg := Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 4, D: 7, N: 25, M: 3, SigmaW: 1, SigmaV: 1, Seed: 9}
	p := mustProblem(t, cfg)
	set, err := datasets.Gaussian(cfg.N, cfg.D, cfg.C, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(p.X(), set.X) || !slices.Equal(p.Labels(), set.Labels) {
		t.Error("NewProblem and datasets.Gaussian drew different data from one seed")
	}
}
