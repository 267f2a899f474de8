// Package loadtest writes model files for tests: the arrays of a
// modelfile.Model as safetensors (with __metadata__) or as an .npz, the
// formats numpy and PyTorch users hand to `hessblock inspect -load`.
package loadtest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"gonum.org/v1/gonum/mat"
)

// Array is one named array: float64 values, or int64 labels when Ints is
// set.
type Array struct {
	Name   string
	Shape  []int
	Floats []float64
	Ints   []int
}

// Arrays returns the arrays of a network and its data, named as modelfile
// reads them; biases[l] nil means layer l+1 has none, x nil no data.
func Arrays(weights []*mat.Dense, biases [][]float64, x *mat.Dense, labels []int) []Array {
	var out []Array
	for l, w := range weights {
		r, c := w.Dims()
		out = append(out, Array{Name: fmt.Sprintf("W%d", l+1), Shape: []int{r, c}, Floats: mat.DenseCopyOf(w).RawMatrix().Data})
		if l < len(biases) && biases[l] != nil {
			out = append(out, Array{Name: fmt.Sprintf("b%d", l+1), Shape: []int{len(biases[l])}, Floats: biases[l]})
		}
	}
	if x != nil {
		r, c := x.Dims()
		out = append(out, Array{Name: "X", Shape: []int{r, c}, Floats: mat.DenseCopyOf(x).RawMatrix().Data},
			Array{Name: "y", Shape: []int{len(labels)}, Ints: labels})
	}
	return out
}

func (a Array) data() []byte {
	var b bytes.Buffer
	if a.Ints != nil {
		for _, v := range a.Ints {
			binary.Write(&b, binary.LittleEndian, int64(v))
		}
		return b.Bytes()
	}
	for _, v := range a.Floats {
		binary.Write(&b, binary.LittleEndian, math.Float64bits(v))
	}
	return b.Bytes()
}

// Safetensors encodes arrays (F64, labels I64) with the metadata.
func Safetensors(arrays []Array, meta map[string]string) []byte {
	head := map[string]any{}
	if meta != nil {
		head["__metadata__"] = meta
	}
	var data bytes.Buffer
	for _, a := range arrays {
		dt := "F64"
		if a.Ints != nil {
			dt = "I64"
		}
		start := data.Len()
		data.Write(a.data())
		head[a.Name] = map[string]any{"dtype": dt, "shape": a.Shape, "data_offsets": []int{start, data.Len()}}
	}
	h, _ := json.Marshal(head)
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, uint64(len(h)))
	out.Write(h)
	out.Write(data.Bytes())
	return out.Bytes()
}

// NPZ encodes arrays as np.savez does ('<f8', labels '<i8').
func NPZ(arrays []Array) []byte {
	var out bytes.Buffer
	z := zip.NewWriter(&out)
	for _, a := range arrays {
		w, _ := z.CreateHeader(&zip.FileHeader{Name: a.Name + ".npy", Method: zip.Store})
		descr := "<f8"
		if a.Ints != nil {
			descr = "<i8"
		}
		shape := ""
		for _, s := range a.Shape {
			shape += fmt.Sprintf("%d, ", s)
		}
		if len(a.Shape) > 1 {
			shape = shape[:len(shape)-2]
		}
		dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
		for (10+len(dict)+1)%64 != 0 {
			dict += " "
		}
		dict += "\n"
		w.Write([]byte("\x93NUMPY\x01\x00"))
		binary.Write(w, binary.LittleEndian, uint16(len(dict)))
		w.Write([]byte(dict))
		w.Write(a.data())
	}
	z.Close()
	return out.Bytes()
}

// WriteFile writes b to path, for the tests' temporary directories.
func WriteFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }
