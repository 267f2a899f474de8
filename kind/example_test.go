package kind_test

import (
	"fmt"

	"github.com/hessblock/hessblock/kind"
)

func ExampleParseModel() {
	m, err := kind.ParseModel("network")
	fmt.Println(m, err)
	for _, f := range kind.FamiliesOf(m) {
		fmt.Println(f)
	}
	// Output:
	// mlp <nil>
	// hidden-hidden
	// output-output
	// hidden-output
}

func ExampleLayerPair() {
	fmt.Println(kind.LayerPair(1, 2, 2), kind.LayerPair(3, 1, 4))
	// Output: hidden-output L1-L3
}
