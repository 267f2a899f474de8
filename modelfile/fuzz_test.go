package modelfile

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// fuzzBudget keeps each fuzzed input's decoded arrays small: a declared
// size over it must be refused before allocation, which is itself a
// property under test.
const fuzzBudget = 4 << 20

// fuzzSeeds are valid files of every shape of interest and broken ones:
// both formats, float32/float64, C- and Fortran-order, with and without
// biases and data.
func fuzzSeeds(t testing.TB, npz bool) map[string][]byte {
	seeds := map[string][]byte{}
	specs := []spec{
		{widths: []int{3, 2}, biases: []bool{true}, size: 4, seed: 1},
		{widths: []int{2, 3, 2}, biases: []bool{false, true}, n: 3, size: 8, seed: 2},
		{widths: []int{2, 2, 2, 3}, biases: []bool{true, false, true}, n: 2, size: 4, fortran: npz, seed: 3},
	}
	for i, s := range specs {
		a := s.arrays()
		if npz {
			seeds[fmt.Sprintf("valid-store-%d", i)] = writeNPZ(t, a, zip.Store)
			seeds[fmt.Sprintf("valid-deflate-%d", i)] = writeNPZ(t, a, zip.Deflate)
		} else {
			seeds[fmt.Sprintf("valid-%d", i)] = writeSafetensors(t, a, map[string]string{"activation": "relu"})
		}
	}
	bad := with(set("y", func(a *tArray) { a.vals[1] = 7 }))
	nan := with(set("W2", func(a *tArray) { a.vals[0] = math.Inf(1) }))
	gap := with(rename("W2", "W3"))
	if npz {
		v := seeds["valid-store-1"]
		seeds["truncated"] = v[:len(v)*2/3]
		seeds["label-out-of-range"] = writeNPZ(t, bad, zip.Store)
		seeds["inf"] = writeNPZ(t, nan, zip.Deflate)
		seeds["gap"] = writeNPZ(t, gap, zip.Store)
	} else {
		v := seeds["valid-1"]
		seeds["truncated"] = v[:len(v)-5]
		seeds["label-out-of-range"] = writeSafetensors(t, bad, nil)
		seeds["inf"] = writeSafetensors(t, nan, nil)
		seeds["gap"] = writeSafetensors(t, gap, nil)
		seeds["overlap"] = stFile(`{"W1":{"dtype":"F64","shape":[2,1],"data_offsets":[0,16]},"W2":{"dtype":"F64","shape":[2,2],"data_offsets":[8,40]}}`, make([]byte, 40))
	}
	return seeds
}

// TestWriteFuzzSeeds writes fuzzSeeds into testdata/fuzz (with -update)
// and otherwise checks that the committed seeds are current.
func TestWriteFuzzSeeds(t *testing.T) {
	for target, npz := range map[string]bool{"FuzzReadNPZ": true, "FuzzReadSafetensors": false} {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, b := range fuzzSeeds(t, npz) {
			p := filepath.Join(dir, "seed-"+name)
			want := []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
			if *update {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(p)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is missing or stale (err %v): rerun with -update", p, err)
			}
		}
	}
}

func FuzzReadNPZ(f *testing.F) {
	for _, b := range fuzzSeeds(f, true) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadNPZ(bytes.NewReader(b), int64(len(b)), fuzzBudget)
		checkFuzzed(t, m, err, "npz: ")
	})
}

func FuzzReadSafetensors(f *testing.F) {
	for _, b := range fuzzSeeds(f, false) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadSafetensors(bytes.NewReader(b), int64(len(b)), fuzzBudget)
		checkFuzzed(t, m, err, "safetensors: ")
	})
}

// checkFuzzed: an error comes alone and says which format; an accepted
// model satisfies every invariant and survives a round trip through the
// other format unchanged.
func checkFuzzed(t *testing.T, m *Model, err error, prefix string) {
	if err != nil {
		if m != nil {
			t.Fatalf("model and error %v", err)
		}
		if s := err.Error(); len(s) < len(prefix) || s[:len(prefix)] != prefix {
			t.Fatalf("error without the format prefix: %v", err)
		}
		return
	}
	if err := invariants(m); err != nil {
		t.Fatalf("accepted model breaks an invariant: %v", err)
	}
	arrays := modelArrays(m)
	b := writeNPZ(t, arrays, zip.Store)
	if prefix == "npz: " {
		b = writeSafetensors(t, arrays, m.Metadata)
	}
	m2, err := ReadFrom(bytes.NewReader(b), int64(len(b)), 0)
	if err != nil {
		t.Fatalf("re-encoded model refused: %v", err)
	}
	checkAgainst(t, m2, arrays)
}

// modelArrays turns a model back into float64 / int64 test arrays.
func modelArrays(m *Model) []tArray {
	var a []tArray
	for l, w := range m.Weights {
		r, c := w.Dims()
		a = append(a, tArray{name: fmt.Sprint("W", l+1), kind: 'f', size: 8, shape: []int{r, c}, vals: w.RawMatrix().Data})
		if b := m.Biases[l]; b != nil {
			a = append(a, tArray{name: fmt.Sprint("b", l+1), kind: 'f', size: 8, shape: []int{len(b)}, vals: b})
		}
	}
	if m.X != nil {
		r, c := m.X.Dims()
		a = append(a, tArray{name: "X", kind: 'f', size: 8, shape: []int{r, c}, vals: m.X.RawMatrix().Data})
		y := make([]float64, len(m.Labels))
		for i, v := range m.Labels {
			y[i] = float64(v)
		}
		a = append(a, tArray{name: "y", kind: 'i', size: 8, shape: []int{len(y)}, vals: y})
	}
	return a
}

// FuzzNPYEntries fuzzes the .npy entries inside a well-formed archive
// (valid CRCs), which FuzzReadNPZ's mutations rarely keep: this reaches
// the header parser, the shape and dtype checks and the decoders. An
// empty entry is left out of the archive.
func FuzzNPYEntries(f *testing.F) {
	a := base()
	f.Add(a[0].npyFile(), a[1].npyFile(), a[2].npyFile(), a[3].npyFile(), a[4].npyFile())
	f.Add(a[0].npyFile(), []byte{}, []byte{}, []byte{}, []byte{})
	fo := with(set("X", func(x *tArray) { x.fortran = true }))
	f.Add(fo[0].npyFile(), fo[1].npyFile(), fo[2].npyFile(), fo[3].npyFile(), fo[4].npyFile())
	f.Fuzz(func(t *testing.T, w1, b1, w2, x, y []byte) {
		var names []string
		var data [][]byte
		for i, d := range [][]byte{w1, b1, w2, x, y} {
			if len(d) > 0 {
				names = append(names, []string{"W1", "b1", "W2", "X", "y"}[i]+".npy")
				data = append(data, d)
			}
		}
		b := zipRaw(t, names, data)
		m, err := ReadNPZ(bytes.NewReader(b), int64(len(b)), fuzzBudget)
		checkFuzzed(t, m, err, "npz: ")
	})
}
