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
