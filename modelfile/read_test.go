package modelfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"
)

// roundTripSpecs covers L = 1…4, float32 and float64, biases present and
// absent per layer, with and without data, C- and Fortran-order.
func roundTripSpecs() []spec {
	var specs []spec
	seed := uint64(1)
	for L := 1; L <= 4; L++ {
		for _, size := range []int{4, 8} {
			for _, fortran := range []bool{false, true} {
				widths := []int{5}
				biases := make([]bool, L)
				for l := 0; l < L; l++ {
					widths = append(widths, 2+(l*3+L)%5)
					biases[l] = (l+L+size)%2 == 0 // alternate, a different pattern per L
				}
				n := 0
				if fortran {
					n = 7
				}
				specs = append(specs, spec{widths: widths, biases: biases, n: n, size: size, fortran: fortran, seed: seed})
				seed++
			}
		}
	}
	return specs
}

func TestRoundTripNPZ(t *testing.T) {
	for _, s := range roundTripSpecs() {
		for _, method := range []uint16{zip.Store, zip.Deflate} {
			t.Run(fmt.Sprintf("%v/method%d", s, method), func(t *testing.T) {
				arrays := s.arrays()
				b := writeNPZ(t, arrays, method)
				m, err := ReadNPZ(bytes.NewReader(b), int64(len(b)), 1<<30)
				if err != nil {
					t.Fatal(err)
				}
				checkAgainst(t, m, arrays)
				if m.Format != FormatNPZ || m.Depth() != len(s.widths)-1 || m.Metadata != nil {
					t.Errorf("format %q depth %d metadata %v", m.Format, m.Depth(), m.Metadata)
				}
				if !reflect.DeepEqual(m.Widths(), s.widths) {
					t.Errorf("widths %v, want %v", m.Widths(), s.widths)
				}
			})
		}
	}
}

func TestRoundTripSafetensors(t *testing.T) {
	for _, s := range roundTripSpecs() {
		if s.fortran {
			s.fortran = false // safetensors is row-major only
		}
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			arrays := s.arrays()
			meta := map[string]string{"activation": "tanh", "loss": "ce", "note": "ünïcode"}
			b := writeSafetensors(t, arrays, meta)
			m, err := ReadSafetensors(bytes.NewReader(b), int64(len(b)), 1<<30)
			if err != nil {
				t.Fatal(err)
			}
			checkAgainst(t, m, arrays)
			if m.Format != FormatSafetensors || !reflect.DeepEqual(m.Metadata, meta) {
				t.Errorf("format %q metadata %v", m.Format, m.Metadata)
			}
			if m.Classes() != s.widths[len(s.widths)-1] {
				t.Errorf("C = %d, want %d", m.Classes(), s.widths[len(s.widths)-1])
			}
		})
	}
}

// TestAllLabelDtypes reads y in every accepted integer dtype, in both
// formats, with labels at both ends of 0…C−1.
func TestAllLabelDtypes(t *testing.T) {
	for _, kind := range []byte{'i', 'u'} {
		for _, size := range []int{1, 2, 4, 8} {
			arrays := []tArray{
				{name: "W1", kind: 'f', size: 8, shape: []int{3, 2}, vals: []float64{1, 2, 3, 4, 5, 6}},
				{name: "X", kind: 'f', size: 4, shape: []int{4, 2}, vals: []float64{1, 2, 3, 4, 5, 6, 7, 8}},
				{name: "y", kind: kind, size: size, shape: []int{4}, vals: []float64{0, 2, 1, 2}},
			}
			for _, f := range files(t, arrays) {
				m, err := ReadFrom(bytes.NewReader(f), int64(len(f)), 0)
				if err != nil {
					t.Fatalf("%c%d: %v", kind, size, err)
				}
				checkAgainst(t, m, arrays)
			}
		}
	}
}

// files encodes arrays as npz (stored), npz (deflated) and safetensors.
func files(t *testing.T, arrays []tArray) [][]byte {
	return [][]byte{writeNPZ(t, arrays, zip.Store), writeNPZ(t, arrays, zip.Deflate), writeSafetensors(t, arrays, nil)}
}

// TestNpyioWriter reads an archive written by codeberg.org/sbinet/npyio,
// an npy encoder that shares no code with these tests.
func TestNpyioWriter(t *testing.T) {
	W1 := mat.NewDense(3, 2, []float64{1, -2, 3, -4, 5, -6})
	W2 := mat.NewDense(2, 3, []float64{0.5, 0.25, 0.125, -1, -2, -3})
	X := mat.NewDense(2, 2, []float64{1, 0, 0, 1})
	var b bytes.Buffer
	w := npz.NewWriter(&b)
	for name, v := range map[string]any{"W1.npy": W1, "b1.npy": []float32{1, 2, 3}, "W2.npy": W2, "X.npy": X, "y.npy": []int64{1, 0}} {
		if err := w.Write(name, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := ReadNPZ(bytes.NewReader(b.Bytes()), int64(b.Len()), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(m.Weights[0], W1) || !mat.Equal(m.Weights[1], W2) || !mat.Equal(m.X, X) {
		t.Errorf("weights or X differ: %v %v %v", m.Weights[0], m.Weights[1], m.X)
	}
	if !reflect.DeepEqual(m.Biases, [][]float64{{1, 2, 3}, nil}) || !reflect.DeepEqual(m.Labels, []int{1, 0}) {
		t.Errorf("biases %v labels %v", m.Biases, m.Labels)
	}
}

// TestReadDetectsFormat reads the same model from files with misleading
// extensions: the content decides.
func TestReadDetectsFormat(t *testing.T) {
	arrays := spec{widths: []int{3, 4, 2}, biases: []bool{true, false}, n: 5, size: 8, seed: 9}.arrays()
	dir := t.TempDir()
	for name, b := range map[string][]byte{
		"a.safetensors": writeNPZ(t, arrays, zip.Deflate),
		"b.npz":         writeSafetensors(t, arrays, nil),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := Read(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainst(t, m, arrays)
	}
	if _, err := Read(filepath.Join(dir, "missing.npz"), 0); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestRequireData: a file without X and y reads, and RequireData says
// what to do.
func TestRequireData(t *testing.T) {
	arrays := spec{widths: []int{3, 2}, biases: []bool{true}, size: 4, seed: 3}.arrays()
	b := writeSafetensors(t, arrays, nil)
	m, err := ReadSafetensors(bytes.NewReader(b), int64(len(b)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.X != nil || m.Labels != nil {
		t.Fatal("data from nowhere")
	}
	if err := m.RequireData(); !errors.Is(err, ErrNoData) || err.Error() != "file has no X/y; supply data with -data … or add X and y" {
		t.Errorf("RequireData: %v", err)
	}
}
