package modelfile

import (
	"errors"
	"fmt"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// MaxLayers is the largest number of layers L a file may hold.
const MaxLayers = 8

// The values of Model.Format.
const (
	FormatNPZ         = "npz"
	FormatSafetensors = "safetensors"
)

// Model is what a model file holds, decoded to float64.
type Model struct {
	// Weights[l-1] is W_l, out×in like PyTorch's nn.Linear.weight: W_1 is
	// n_1×d, W_L is C×n_{L−1}. 1 ≤ len(Weights) ≤ MaxLayers.
	Weights []*mat.Dense
	// Biases[l-1] is b_l (length n_l), or nil where the file has none.
	// len(Biases) == len(Weights).
	Biases [][]float64
	// X holds one sample per row (N×d), or is nil if the file has no X.
	X *mat.Dense
	// Labels are the N class labels y, each in 0…C−1, or nil if the file
	// has no y. X and Labels are both present or both nil.
	Labels []int
	// Metadata is the safetensors __metadata__ (string to string; the keys
	// "activation" and "loss" are the ones hessblock reads), or nil.
	Metadata map[string]string
	// Format is FormatNPZ or FormatSafetensors.
	Format string
}

// Depth returns the number of layers L.
func (m *Model) Depth() int { return len(m.Weights) }

// Classes returns C, the rows of the last weight matrix.
func (m *Model) Classes() int {
	if len(m.Weights) == 0 {
		return 0
	}
	r, _ := m.Weights[len(m.Weights)-1].Dims()
	return r
}

// Widths returns d, n_1, …, n_{L−1}, C: the input width and the output
// width of every layer.
func (m *Model) Widths() []int {
	if len(m.Weights) == 0 {
		return nil
	}
	_, d := m.Weights[0].Dims()
	w := []int{d}
	for _, W := range m.Weights {
		r, _ := W.Dims()
		w = append(w, r)
	}
	return w
}

// ErrNoData is what RequireData returns for a file without X and y.
var ErrNoData = errors.New("file has no X/y; supply data with -data … or add X and y")

// RequireData returns ErrNoData if the file held no data. Reading a file
// without X and y is not an error by itself: the caller may supply the
// data by other means.
func (m *Model) RequireData() error {
	if m.X == nil || m.Labels == nil {
		return ErrNoData
	}
	return nil
}

// role is what a name says an array is.
type role byte

const (
	roleNone role = iota
	roleWeight
	roleBias
	roleX
	roleY
)

// expectedNames is quoted by every name error.
const expectedNames = "a model file holds W1…WL (L ≤ 8), optional b1…bL, and optional X and y"

// classify parses an array name. A name that looks like one of ours but
// is malformed gets a problem saying why; any other name gets roleNone and
// no problem (the caller lists it as unexpected).
func classify(name string) (r role, layer int, problem string) {
	switch name {
	case "X":
		return roleX, 0, ""
	case "y":
		return roleY, 0, ""
	case "x":
		return roleNone, 0, `"x": the data is named X (capital)`
	case "Y":
		return roleNone, 0, `"Y": the labels are named y (lower case)`
	}
	if name == "" {
		return roleNone, 0, "an array with an empty name"
	}
	var kind role
	switch name[0] {
	case 'W':
		kind = roleWeight
	case 'b':
		kind = roleBias
	default:
		return roleNone, 0, ""
	}
	idx := name[1:]
	if idx == "" {
		return roleNone, 0, fmt.Sprintf("%q has no layer index (name the layers %c1…%c%d)", name, name[0], name[0], MaxLayers)
	}
	n := 0
	for _, c := range idx {
		if c < '0' || c > '9' {
			if kind == roleBias && !strings.ContainsAny(idx[:1], "0123456789_") {
				return roleNone, 0, "" // "bias", "beta": not one of ours
			}
			return roleNone, 0, fmt.Sprintf("%q: the layer index must be a number 1…%d", name, MaxLayers)
		}
		if n <= MaxLayers {
			n = 10*n + int(c-'0')
		}
	}
	switch {
	case n == 0:
		return roleNone, 0, fmt.Sprintf("%q: layers are numbered from 1", name)
	case idx[0] == '0':
		return roleNone, 0, fmt.Sprintf("%q: write the layer index without leading zeros", name)
	case n > MaxLayers:
		return roleNone, 0, fmt.Sprintf("%q: at most %d layers are supported", name, MaxLayers)
	}
	return kind, n, ""
}

// shapeString prints a shape numpy-style: (3, 4), (5,), ().
func shapeString(s []int) string {
	p := make([]string, len(s))
	for i, v := range s {
		p[i] = fmt.Sprint(v)
	}
	if len(s) == 1 {
		return "(" + p[0] + ",)"
	}
	return "(" + strings.Join(p, ", ") + ")"
}

// layout is a file's arrays sorted by role, after the name checks.
type layout struct {
	weights, biases []*array // index l-1; biases[l-1] may be nil
	x, y            *array
}

// sortNames checks the names and sorts the arrays by role.
func sortNames(arrays []*array) (*layout, error) {
	var problems, unexpected []string
	var ws, bs [MaxLayers + 1]*array
	lay := &layout{}
	positional := false
	for _, a := range arrays {
		r, l, p := classify(a.name)
		switch {
		case p != "":
			problems = append(problems, p)
		case r == roleWeight:
			ws[l] = a
		case r == roleBias:
			bs[l] = a
		case r == roleX:
			lay.x = a
		case r == roleY:
			lay.y = a
		default:
			unexpected = append(unexpected, fmt.Sprintf("%q", a.name))
			positional = positional || strings.HasPrefix(a.name, "arr_")
		}
	}
	if len(unexpected) > 0 {
		s := "unexpected arrays " + strings.Join(unexpected, ", ")
		if positional {
			s += " (arr_0, arr_1, … are what np.savez names positional arguments: pass them by name, np.savez(f, W1=…, b1=…, X=…, y=…))"
		}
		problems = append([]string{s}, problems...)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s; %s", strings.Join(problems, "; "), expectedNames)
	}
	L := 0
	for l := MaxLayers; l >= 1; l-- {
		if ws[l] != nil {
			L = l
			break
		}
	}
	if L == 0 {
		return nil, fmt.Errorf("no weight arrays; %s", expectedNames)
	}
	for l := 1; l <= L; l++ {
		if ws[l] == nil {
			return nil, fmt.Errorf("W%d is missing but W%d is present: layers must be numbered 1…%d without gaps", l, L, L)
		}
		lay.weights = append(lay.weights, ws[l])
		lay.biases = append(lay.biases, bs[l])
	}
	for l := L + 1; l <= MaxLayers; l++ {
		if bs[l] != nil {
			return nil, fmt.Errorf("b%d has no W%d (the file has W1…W%d)", l, l, L)
		}
	}
	if (lay.x == nil) != (lay.y == nil) {
		has, lacks := "X", "y"
		if lay.x == nil {
			has, lacks = "y", "X"
		}
		return nil, fmt.Errorf("the file has %s but no %s: add both or neither", has, lacks)
	}
	return lay, nil
}

// checkArray checks one array's dtype and rank and that it is not empty.
func checkArray(a *array, wantRank int, labels bool) error {
	if labels {
		if !a.dt.isInt() {
			return fmt.Errorf("%s has dtype %s: labels must be %s (floats are refused, even integral ones: convert with y.astype(np.int64))", a.name, a.dt.name, acceptedInts)
		}
	} else if !a.dt.isFloat() {
		return fmt.Errorf("%s has dtype %s: W, b and X must be %s", a.name, a.dt.name, acceptedFloats)
	}
	if len(a.shape) != wantRank {
		what := "2-D"
		if wantRank == 1 {
			what = "1-D"
		}
		return fmt.Errorf("%s has shape %s: it must be %s", a.name, shapeString(a.shape), what)
	}
	for _, n := range a.shape {
		if n == 0 {
			return fmt.Errorf("%s has shape %s: it is empty", a.name, shapeString(a.shape))
		}
	}
	return nil
}

// checkShapes checks every array and that consecutive shapes fit.
func (lay *layout) checkShapes() error {
	for l, w := range lay.weights {
		if err := checkArray(w, 2, false); err != nil {
			return err
		}
		if l > 0 {
			prev := lay.weights[l-1]
			if w.shape[1] != prev.shape[0] {
				return fmt.Errorf("%s has shape %s but %s has %d rows: %s must have %d columns", w.name, shapeString(w.shape), prev.name, prev.shape[0], w.name, prev.shape[0])
			}
		}
		if b := lay.biases[l]; b != nil {
			if err := checkArray(b, 1, false); err != nil {
				return err
			}
			if b.shape[0] != w.shape[0] {
				return fmt.Errorf("%s has length %d but %s has %d rows", b.name, b.shape[0], w.name, w.shape[0])
			}
		}
	}
	last := lay.weights[len(lay.weights)-1]
	if last.shape[0] < 2 {
		return fmt.Errorf("%s has shape %s: the last layer's rows are the classes, and C ≥ 2 is needed", last.name, shapeString(last.shape))
	}
	if lay.x == nil {
		return nil
	}
	if err := checkArray(lay.x, 2, false); err != nil {
		return err
	}
	if err := checkArray(lay.y, 1, true); err != nil {
		return err
	}
	if w := lay.weights[0]; lay.x.shape[1] != w.shape[1] {
		return fmt.Errorf("X has shape %s but W1 has %d columns: X must have %d columns (one sample per row)", shapeString(lay.x.shape), w.shape[1], w.shape[1])
	}
	if lay.y.shape[0] != lay.x.shape[0] {
		return fmt.Errorf("y has %d labels but X has %d rows", lay.y.shape[0], lay.x.shape[0])
	}
	return nil
}
