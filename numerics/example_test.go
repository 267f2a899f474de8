package numerics_test

import (
	"fmt"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// Build a problem, form its Hessian and compute the block statistics. At
// W = 0 (σ = 0) the linear CE Hessian is (I/C − 11ᵀ/C²) ⊗ S, so R = 1/(C−1)
// and ρ = 1/C exactly (THEORY §5.4).
func ExampleComputeBlockStats() {
	p, err := numerics.NewProblem(numerics.Config{Model: kind.Linear, Loss: kind.CE, C: 4, D: 6, N: 40, Sigma: 0, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := p.Hessian()
	if err != nil {
		fmt.Println(err)
		return
	}
	bs, err := numerics.ComputeBlockStats(h, p.Layout())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("P = %d, %d blocks\n", p.NumParams(), len(p.Layout().Blocks))
	for _, r := range bs.Ratios {
		fmt.Printf("R %s = %.6f over %d pairs\n", r.Family, r.R, r.Pairs)
	}
	fmt.Printf("ρ = %.6f\n", bs.Rho)
	// Output:
	// P = 24, 4 blocks
	// R output-output = 0.333333 over 12 pairs
	// ρ = 0.250000
}

// StructuredStats gives the same statistics without forming H, at a C
// where the dense Hessian (P = 20 000, 3.2 GB) would be refused.
func ExampleProblem_StructuredStats() {
	p, err := numerics.NewProblem(numerics.Config{Model: kind.Linear, Loss: kind.CE, C: 2000, D: 10, N: 50, Sigma: 0, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("dense refused:", p.CheckDense() != nil)
	st, err := p.StructuredStats(numerics.StructuredOptions{SkipBlockNorms: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("R·(C−1) = %.6f, ρ·C = %.6f\n", st.Ratio(kind.OutputOutput)*1999, st.Rho*2000)
	// Output:
	// dense refused: true
	// R·(C−1) = 1.000000, ρ·C = 1.000000
}

// Measure chooses the method itself and adds λmax and the spectra of the
// representative blocks.
func ExampleMeasure() {
	p, err := numerics.NewProblem(numerics.Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.MSE, C: 3, D: 5, N: 30, M: 2, SigmaW: 1, SigmaV: 1, Seed: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := numerics.Measure(p, numerics.MeasureOptions{LambdaMax: true, Blocks: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("method:", m.Method)
	for _, fb := range m.Blocks {
		fmt.Printf("%s: off block H[%s,%s] %d×%d\n", fb.Family, fb.Off.A, fb.Off.B, fb.Off.Rows, fb.Off.Cols)
	}
	fmt.Printf("ρ = %.4f, λmax = %.4f\n", m.Summary.Rho, m.LambdaMax)
	// Output:
	// method: dense
	// hidden-hidden: off block H[W[0],W[1]] 5×5
	// output-output: off block H[V[0],V[1]] 2×2
	// hidden-output: off block H[W[0],V[0]] 5×2
	// ρ = 0.4085, λmax = 1.4102
}

// A three-layer network with biases: one block per neuron (its weight row
// and its bias), named by layer, and the layer-pair families.
func ExampleConfig_Layout_deep() {
	cfg := numerics.Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 3, D: 4, N: 10, M: 5,
		Depth: 3, Bias: true, SigmaW: 1, SigmaV: 1, Seed: 1}
	l := cfg.Layout()
	fmt.Println(cfg.LayerSizes(), l.P, len(l.Blocks))
	for _, i := range []int{0, 5, 10} {
		b := l.Blocks[i]
		fmt.Println(b.Name, b.Layer, b.Kind, b.Size)
	}
	fmt.Println(l.Families())
	// Output:
	// [4 5 5 3] 73 13
	// W1[0] 1 hidden 5
	// W2[0] 2 hidden 6
	// W3[0] 3 output 6
	// [L1-L1 L2-L2 L3-L3 L1-L2 L1-L3 L2-L3]
}
