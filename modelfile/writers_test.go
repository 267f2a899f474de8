package modelfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// tArray is an array as the tests write it: independent of the reader's
// types so that writer bugs and reader bugs cannot cancel.
type tArray struct {
	name    string
	kind    byte // 'f', 'i', 'u', or 0 for raw (descr/st given, data in raw)
	size    int  // bytes per element
	shape   []int
	vals    []float64 // row-major values (ints stored exactly)
	fortran bool      // npy only: write column-major
	descr   string    // npy descr override (raw arrays)
	st      string    // safetensors dtype override
	raw     []byte    // data override
}

func (a tArray) npyDescr() string {
	if a.descr != "" {
		return a.descr
	}
	if a.size == 1 {
		return fmt.Sprintf("|%c1", a.kind)
	}
	return fmt.Sprintf("<%c%d", a.kind, a.size)
}

func (a tArray) stDtype() string {
	if a.st != "" {
		return a.st
	}
	return fmt.Sprintf("%c%d", a.kind-'a'+'A', 8*a.size)
}

// data encodes the values little-endian, column-major if fortran.
func (a tArray) data() []byte {
	if a.raw != nil {
		return a.raw
	}
	order := make([]int, len(a.vals))
	for k := range order {
		order[k] = k
	}
	if a.fortran && len(a.shape) == 2 {
		r, c := a.shape[0], a.shape[1]
		for k := range order {
			order[k] = (k%r)*c + k/r
		}
	}
	var b bytes.Buffer
	for _, i := range order {
		v := a.vals[i]
		switch {
		case a.kind == 'f' && a.size == 4:
			binary.Write(&b, binary.LittleEndian, float32(v))
		case a.kind == 'f' && a.size == 8:
			binary.Write(&b, binary.LittleEndian, v)
		case a.kind == 'i' || a.kind == 'u':
			var u [8]byte
			binary.LittleEndian.PutUint64(u[:], uint64(int64(v)))
			b.Write(u[:a.size])
		}
	}
	return b.Bytes()
}

// npyFile is the .npy encoding: version 1.0 header padded to 64 bytes.
func (a tArray) npyFile() []byte {
	dims := make([]string, len(a.shape))
	for i, s := range a.shape {
		dims[i] = fmt.Sprint(s)
	}
	shape := "(" + strings.Join(dims, ", ") + ")"
	if len(a.shape) == 1 {
		shape = "(" + dims[0] + ",)"
	}
	fo := "False"
	if a.fortran {
		fo = "True"
	}
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", a.npyDescr(), fo, shape)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString(npyMagic + "\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	b.Write(a.data())
	return b.Bytes()
}

// writeNPZ zips the arrays as NAME.npy entries (stored or deflated).
func writeNPZ(t testing.TB, arrays []tArray, method uint16) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, a := range arrays {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: a.name + ".npy", Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(a.npyFile())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeSafetensors lays the arrays out in order with a JSON header.
func writeSafetensors(t testing.TB, arrays []tArray, meta map[string]string) []byte {
	t.Helper()
	head := map[string]any{}
	if meta != nil {
		head["__metadata__"] = meta
	}
	var data bytes.Buffer
	for _, a := range arrays {
		d := a.data()
		head[a.name] = map[string]any{"dtype": a.stDtype(), "shape": a.shape, "data_offsets": []int{data.Len(), data.Len() + len(d)}}
		data.Write(d)
	}
	h, err := json.Marshal(head)
	if err != nil {
		t.Fatal(err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(h)))
	b.Write(h)
	b.Write(data.Bytes())
	return b.Bytes()
}

// spec describes a random model for the round trips.
type spec struct {
	widths  []int  // d, n_1, …, C
	biases  []bool // per layer
	n       int    // samples; 0: no X, y
	size    int    // 4 or 8: float width
	fortran bool
	seed    uint64
}

// arrays draws the model's arrays from the spec's seed.
func (s spec) arrays() []tArray {
	rng := rand.New(rand.NewPCG(s.seed, 1))
	draw := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
			if s.size == 4 {
				v[i] = float64(float32(v[i]))
			}
		}
		return v
	}
	var out []tArray
	for l := 1; l < len(s.widths); l++ {
		in, o := s.widths[l-1], s.widths[l]
		out = append(out, tArray{name: fmt.Sprintf("W%d", l), kind: 'f', size: s.size, shape: []int{o, in}, vals: draw(o * in), fortran: s.fortran})
		if s.biases[l-1] {
			out = append(out, tArray{name: fmt.Sprintf("b%d", l), kind: 'f', size: s.size, shape: []int{o}, vals: draw(o)})
		}
	}
	if s.n > 0 {
		d, C := s.widths[0], s.widths[len(s.widths)-1]
		out = append(out, tArray{name: "X", kind: 'f', size: s.size, shape: []int{s.n, d}, vals: draw(s.n * d), fortran: s.fortran})
		y := make([]float64, s.n)
		for i := range y {
			y[i] = float64(rng.IntN(C))
		}
		out = append(out, tArray{name: "y", kind: 'i', size: 8, shape: []int{s.n}, vals: y})
	}
	return out
}

// checkAgainst asserts that m holds exactly the arrays (bitwise: float32
// widens exactly).
func checkAgainst(t *testing.T, m *Model, arrays []tArray) {
	t.Helper()
	if err := invariants(m); err != nil {
		t.Fatal(err)
	}
	got := map[string][]float64{}
	for l, w := range m.Weights {
		got[fmt.Sprintf("W%d", l+1)] = w.RawMatrix().Data
		if m.Biases[l] != nil {
			got[fmt.Sprintf("b%d", l+1)] = m.Biases[l]
		}
	}
	if m.X != nil {
		got["X"] = m.X.RawMatrix().Data
		y := make([]float64, len(m.Labels))
		for i, v := range m.Labels {
			y[i] = float64(v)
		}
		got["y"] = y
	}
	if len(got) != len(arrays) {
		t.Fatalf("model holds %d arrays, the file %d", len(got), len(arrays))
	}
	for _, a := range arrays {
		g, ok := got[a.name]
		if !ok {
			t.Fatalf("%s missing from the model", a.name)
		}
		if len(g) != len(a.vals) {
			t.Fatalf("%s: %d values, want %d", a.name, len(g), len(a.vals))
		}
		for i := range g {
			if math.Float64bits(g[i]) != math.Float64bits(a.vals[i]) {
				t.Fatalf("%s[%d] = %v, want %v", a.name, i, g[i], a.vals[i])
			}
		}
	}
}

// invariants checks, independently of the reader's own checks, what
// every accepted model must satisfy.
func invariants(m *Model) error {
	L := len(m.Weights)
	if L < 1 || L > MaxLayers || len(m.Biases) != L {
		return fmt.Errorf("%d weights, %d biases", L, len(m.Biases))
	}
	if m.Format != FormatNPZ && m.Format != FormatSafetensors {
		return fmt.Errorf("format %q", m.Format)
	}
	finite := func(name string, v []float64) error {
		for i, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("%s[%d] = %v", name, i, x)
			}
		}
		return nil
	}
	var prev int
	for l, w := range m.Weights {
		r, c := w.Dims()
		if l > 0 && c != prev {
			return fmt.Errorf("W%d has %d columns, W%d %d rows", l+1, c, l, prev)
		}
		prev = r
		if err := finite(fmt.Sprint("W", l+1), w.RawMatrix().Data); err != nil {
			return err
		}
		if b := m.Biases[l]; b != nil {
			if len(b) != r {
				return fmt.Errorf("b%d length %d, W%d rows %d", l+1, len(b), l+1, r)
			}
			if err := finite(fmt.Sprint("b", l+1), b); err != nil {
				return err
			}
		}
	}
	C := m.Classes()
	if C < 2 || C != prev {
		return fmt.Errorf("C = %d", C)
	}
	if w := m.Widths(); len(w) != L+1 || w[L] != C {
		return fmt.Errorf("widths %v", w)
	}
	if (m.X == nil) != (m.Labels == nil) {
		return fmt.Errorf("X nil %v, labels nil %v", m.X == nil, m.Labels == nil)
	}
	if m.X == nil {
		if m.RequireData() == nil {
			return fmt.Errorf("RequireData accepted a model without data")
		}
		return nil
	}
	if m.RequireData() != nil {
		return fmt.Errorf("RequireData refused a model with data")
	}
	n, d := m.X.Dims()
	if _, c := m.Weights[0].Dims(); c != d || len(m.Labels) != n {
		return fmt.Errorf("X %d×%d, W1 columns %d, %d labels", n, d, c, len(m.Labels))
	}
	if err := finite("X", m.X.RawMatrix().Data); err != nil {
		return err
	}
	for i, y := range m.Labels {
		if y < 0 || y >= C {
			return fmt.Errorf("y[%d] = %d, C = %d", i, y, C)
		}
	}
	return nil
}
