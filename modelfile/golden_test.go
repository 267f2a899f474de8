package modelfile

import (
	"archive/zip"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
)

var update = flag.Bool("update", false, "rewrite testdata/model.npz and testdata/model.safetensors")

// TestNumpyFortranOrder reads a .npy written by numpy itself (from
// npyio's testdata, see testdata/README.md): arange(6, dtype=float32)
// reshaped 2×3 in Fortran order is [[0, 2, 4], [1, 3, 5]], a check of the
// column-major mapping that shares nothing with the tests' own writer.
func TestNumpyFortranOrder(t *testing.T) {
	m, err := Read(filepath.Join("testdata", "numpy_W1_forder.npz"), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := mat.NewDense(2, 3, []float64{0, 2, 4, 1, 3, 5})
	if !mat.Equal(m.Weights[0], want) {
		t.Errorf("W1 = %v, want %v", mat.Formatted(m.Weights[0]), mat.Formatted(want))
	}
	if m.X != nil || m.Biases[0] != nil || m.Classes() != 2 {
		t.Errorf("unexpected contents: %+v", m)
	}
}

// TestNumpyPositional: numpy's np.savez(f, arr0=…, arr1=…) is refused
// with both names listed.
func TestNumpyPositional(t *testing.T) {
	_, err := Read(filepath.Join("testdata", "numpy_savez_positional.npz"), 0)
	wantError(t, "numpy npz", err, `unexpected arrays "arr1", "arr0"`)
}

// exampleModel is the model in testdata/model.{npz,safetensors}: a
// 4 → 3 → 2 ReLU network (b2 absent) and 5 samples.
func exampleModel() []tArray {
	return []tArray{
		{name: "W1", kind: 'f', size: 4, shape: []int{3, 4}, vals: []float64{0.5, -0.25, 0, 1, 1, 1, -1, 0.5, 0, 0.125, 2, -2}},
		{name: "b1", kind: 'f', size: 4, shape: []int{3}, vals: []float64{0.375, 0, -0.75}},
		{name: "W2", kind: 'f', size: 4, shape: []int{2, 3}, vals: []float64{1, -1, 0.5, -0.5, 2, 0}},
		{name: "X", kind: 'f', size: 4, shape: []int{5, 4}, vals: []float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1}},
		{name: "y", kind: 'u', size: 1, shape: []int{5}, vals: []float64{0, 1, 1, 0, 1}},
	}
}

// TestCommittedModels reads the committed example files (rewritten with
// -update) and compares them with exampleModel.
func TestCommittedModels(t *testing.T) {
	files := map[string][]byte{
		"model.npz":         writeNPZ(t, exampleModel(), zip.Deflate),
		"model.safetensors": writeSafetensors(t, exampleModel(), map[string]string{"activation": "relu", "loss": "ce"}),
	}
	for name, b := range files {
		p := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		m, err := Read(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainst(t, m, exampleModel())
	}
}

// TestPythonZip reads archives written the way np.savez and
// np.savez_compressed write them (Python's zipfile, each entry opened
// with force_zip64=True, stored or deflated; see testdata/README.md),
// holding the .npy entries of testdata/model.npz.
func TestPythonZip(t *testing.T) {
	for _, name := range []string{"py_savez_zip64.npz", "py_savez_compressed_zip64.npz"} {
		m, err := Read(filepath.Join("testdata", name), 0)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainst(t, m, exampleModel())
	}
}
