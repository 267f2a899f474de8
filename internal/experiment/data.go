package experiment

import (
	"fmt"

	"github.com/hessblock/hessblock/datasets"
)

// The data sets a Spec can name (its Data field, the command's -data).
const (
	Gaussian  = "gaussian"
	Clustered = "clustered"
	MNIST     = "mnist"
	GoText    = "gotext"
)

// FromFile is the Data of a spec whose data are the X and y of its Load
// file. It is not a data set of its own: -data does not accept it.
const FromFile = "file"

// DataSets lists the data set names in the order the command documents them.
var DataSets = []string{Gaussian, Clustered, MNIST, GoText}

// LoadData builds the data set of a spec.
func LoadData(s Spec) (*datasets.Set, error) {
	switch s.Data {
	case Gaussian:
		return datasets.Gaussian(s.N, s.D, s.C, s.Seed)
	case Clustered:
		return datasets.ClusteredGaussian(s.N, s.D, s.C, s.Radius, s.Spread, s.Seed)
	case MNIST:
		if s.C != 10 {
			return nil, fmt.Errorf("MNIST has C = 10 classes, not %d", s.C)
		}
		return datasets.MNIST(datasets.MNISTOptions{N: s.N, D: s.D, Seed: s.Seed})
	case GoText:
		return datasets.GoText(datasets.GoTextOptions{C: s.C, D: s.D, N: s.N, Seed: s.Seed})
	}
	return nil, fmt.Errorf("unknown data set %q", s.Data)
}
