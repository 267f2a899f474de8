package modelfile

import (
	"fmt"
	"io"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/membudget"
)

// array is one array as a file's header describes it, before its data is
// read.
type array struct {
	name    string
	dt      dtype
	shape   []int
	fortran bool // npy only: column-major data
	// open returns the array's data stream, positioned at its first
	// element. Close reports what the format can only check at the end
	// (trailing bytes, a zip entry's checksum).
	open func() (io.ReadCloser, error)
}

// maxElements bounds the element count of one array so that counts and
// byte sizes stay far from overflow; the memory budget refuses much less.
const maxElements = 1 << 52

// elements returns the product of a shape, or an error naming the array
// if it is absurdly large.
func elements(name string, shape []int) (int, error) {
	n := 1
	for _, s := range shape {
		if s < 0 {
			return 0, fmt.Errorf("%s has a negative dimension in shape %s", name, shapeString(shape))
		}
		if s != 0 && n > maxElements/s {
			return 0, fmt.Errorf("%s has shape %s: more than 2^52 elements", name, shapeString(shape))
		}
		n *= s
	}
	return n, nil
}

// decodeModel checks names and shapes, checks the decoded size against
// the budget, then streams each array into its destination. Nothing large
// is allocated before the budget check.
func decodeModel(format string, arrays []*array, meta map[string]string, maxBytes int64) (*Model, error) {
	lay, err := sortNames(arrays)
	if err != nil {
		return nil, err
	}
	if err := lay.checkShapes(); err != nil {
		return nil, err
	}
	if err := lay.checkBudget(format, maxBytes); err != nil {
		return nil, err
	}
	m := &Model{Format: format, Metadata: meta, Biases: make([][]float64, len(lay.weights))}
	buf := make([]byte, chunkBytes)
	for l, w := range lay.weights {
		d, err := readDense(w, buf)
		if err != nil {
			return nil, err
		}
		m.Weights = append(m.Weights, d)
		if b := lay.biases[l]; b != nil {
			v := make([]float64, b.shape[0])
			if err := readData(b, func(r io.Reader) error {
				return decodeFloats(r, b.dt, target{name: b.name, rows: len(v), cols: 1}, v, buf)
			}); err != nil {
				return nil, err
			}
			m.Biases[l] = v
		}
	}
	if lay.x == nil {
		return m, nil
	}
	if m.X, err = readDense(lay.x, buf); err != nil {
		return nil, err
	}
	C := lay.weights[len(lay.weights)-1].shape[0]
	why := fmt.Sprintf("C = %d, the rows of W%d", C, len(lay.weights))
	y := lay.y
	m.Labels = make([]int, y.shape[0])
	if err := readData(y, func(r io.Reader) error {
		return decodeLabels(r, y.dt, target{name: y.name, rows: len(m.Labels), cols: 1}, m.Labels, C, why, buf)
	}); err != nil {
		return nil, err
	}
	return m, nil
}

// checkBudget refuses a model whose decoded arrays (8 bytes per element,
// float64 or int) exceed maxBytes (≤ 0: membudget.Limit()).
func (lay *layout) checkBudget(format string, maxBytes int64) error {
	all := append(append([]*array{}, lay.weights...), lay.biases...)
	all = append(all, lay.x, lay.y)
	var total float64
	var largest *array
	largestN := -1.0
	for _, a := range all {
		if a == nil {
			continue
		}
		n := 1.0
		for _, s := range a.shape {
			n *= float64(s)
		}
		total += n
		if n > largestN {
			largest, largestN = a, n
		}
	}
	need := membudget.Add(membudget.Floats(total), chunkBytes)
	what := fmt.Sprintf("the arrays of the %s file decoded to float64 (largest %s %s)", format, largest.name, shapeString(largest.shape))
	return membudget.Check(what, need, budget(maxBytes), "")
}

// readData opens a's data, hands it to decode, and closes it, reporting
// the first error.
func readData(a *array, decode func(io.Reader) error) error {
	rc, err := a.open()
	if err != nil {
		return err
	}
	err = decode(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return err
}

// readDense decodes a 2-D float array into a new row-major Dense.
func readDense(a *array, buf []byte) (*mat.Dense, error) {
	r, c := a.shape[0], a.shape[1]
	if r > math.MaxInt/c {
		return nil, fmt.Errorf("%s has shape %s: too large", a.name, shapeString(a.shape))
	}
	v := make([]float64, r*c)
	err := readData(a, func(rd io.Reader) error {
		return decodeFloats(rd, a.dt, target{name: a.name, rows: r, cols: c, fortran: a.fortran}, v, buf)
	})
	if err != nil {
		return nil, err
	}
	return mat.NewDense(r, c, v), nil
}

// budget resolves the maxBytes argument of the readers: ≤ 0 means the
// process budget.
func budget(maxBytes int64) int64 {
	if maxBytes <= 0 {
		return membudget.Limit()
	}
	return maxBytes
}
