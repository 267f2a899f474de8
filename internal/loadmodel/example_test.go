package loadmodel_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/loadmodel"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/modelfile"
	"github.com/hessblock/hessblock/numerics"
)

// A two-layer network as modelfile.Read returns it (here built in memory),
// measured on its own data.
func Example() {
	m := &modelfile.Model{
		Weights: []*mat.Dense{
			mat.NewDense(2, 3, []float64{0.5, -0.2, 0.1, 0.3, 0.8, -0.4}),
			mat.NewDense(2, 2, []float64{1, -1, 0.5, 0.7}),
		},
		Biases:   [][]float64{{0.1, -0.1}, nil},
		X:        mat.NewDense(4, 3, []float64{1, 0, 2, -1, 1, 0, 0.5, 0.5, -1, 2, -2, 1}),
		Labels:   []int{0, 1, 1, 0},
		Metadata: map[string]string{"activation": "tanh"}, // as in a safetensors file
	}
	cfg, err := loadmodel.Config(m, loadmodel.Choices{Loss: kind.CE}) // the loss from a flag
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := loadmodel.Problem(m, cfg, nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := numerics.Measure(p, numerics.MeasureOptions{Method: numerics.StatsDense})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Config())
	fmt.Printf("P = %d, ρ = %.4f\n", p.NumParams(), res.Summary.Rho)

	_, err = loadmodel.Config(m, loadmodel.Choices{Activation: kind.ReLU, Loss: kind.CE})
	fmt.Println(err)
	// Output:
	// mlp/tanh/ce C=2 d=3 N=4 m=2 L=2 bias=[true false] σw=1 σv=1 seed=1
	// P = 12, ρ = 0.1529
	// -activation relu contradicts the file's metadata activation "tanh": drop the flag or fix the file
}
