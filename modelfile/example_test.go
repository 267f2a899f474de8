package modelfile_test

import (
	"fmt"
	"log"

	"github.com/hessblock/hessblock/modelfile"
)

func ExampleRead() {
	m, err := modelfile.Read("testdata/model.safetensors", 0) // 0: the process memory budget
	if err != nil {
		log.Fatal(err)
	}
	if err := m.RequireData(); err != nil {
		log.Fatal(err)
	}
	n, d := m.X.Dims()
	fmt.Println("format:", m.Format)
	fmt.Println("layers:", m.Depth(), "widths:", m.Widths(), "classes:", m.Classes())
	fmt.Println("b1:", m.Biases[0] != nil, "b2:", m.Biases[1] != nil)
	fmt.Println("data:", n, "samples of dimension", d, "labels", m.Labels)
	fmt.Println("activation:", m.Metadata["activation"], "loss:", m.Metadata["loss"])
	// Output:
	// format: safetensors
	// layers: 2 widths: [4 3 2] classes: 2
	// b1: true b2: false
	// data: 5 samples of dimension 4 labels [0 1 1 0 1]
	// activation: relu loss: ce
}
