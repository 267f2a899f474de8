package modelfile

import (
	"bytes"
	"reflect"
	"testing"

	st "github.com/nlpodyssey/safetensors"
)

// TestSafetensorsLibrary checks the reader and the tests' writer against
// github.com/nlpodyssey/safetensors, an implementation that shares no code
// with either: files it serializes (its own layout: by dtype alignment,
// then name) read back exactly, and files the tests write deserialize
// there too.
func TestSafetensorsLibrary(t *testing.T) {
	for _, s := range roundTripSpecs() {
		s.fortran = false
		arrays := s.arrays()
		meta := map[string]string{"activation": "relu", "loss": "mse"}
		views := map[string]st.TensorView{}
		for _, a := range arrays {
			dt, err := st.ParseDType(a.stDtype())
			if err != nil {
				t.Fatal(err)
			}
			shape := make([]uint64, len(a.shape))
			for i, v := range a.shape {
				shape[i] = uint64(v)
			}
			v, err := st.NewTensorView(dt, shape, a.data())
			if err != nil {
				t.Fatal(err)
			}
			views[a.name] = v
		}
		b, err := st.Serialize(views, meta)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ReadSafetensors(bytes.NewReader(b), int64(len(b)), 0)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		checkAgainst(t, m, arrays)
		if !reflect.DeepEqual(m.Metadata, meta) {
			t.Errorf("metadata %v, want %v", m.Metadata, meta)
		}

		ours := writeSafetensors(t, arrays, meta)
		got, err := st.Deserialize(ours)
		if err != nil {
			t.Fatalf("the library refuses the tests' file: %v", err)
		}
		if got.Len() != len(arrays) {
			t.Errorf("the library sees %d tensors, want %d", got.Len(), len(arrays))
		}
	}
}

// TestSafetensorsLibraryAgreesOnOffsets: the library also refuses every
// file TestSafetensorsCorrupt refuses for its offsets (so the tiling rule
// is the format's, not ours).
func TestSafetensorsLibraryAgreesOnOffsets(t *testing.T) {
	w := func(off string) string { return `{"W1":{"dtype":"F64","shape":[1,2],"data_offsets":` + off + `}}` }
	two := `{"W1":{"dtype":"F64","shape":[2,1],"data_offsets":[0,16]},"W2":{"dtype":"F64","shape":[2,2],"data_offsets":[8,40]}}`
	for name, f := range map[string][]byte{
		"backwards":      stFile(w("[16,0]"), make([]byte, 16)),
		"out of range":   stFile(w("[8,24]"), make([]byte, 16)),
		"size mismatch":  stFile(w("[0,8]"), make([]byte, 8)),
		"overlap":        stFile(two, make([]byte, 40)),
		"hole":           stFile(w("[8,24]"), make([]byte, 24)),
		"uncovered tail": stFile(w("[0,16]"), make([]byte, 24)),
	} {
		if _, err := ReadSafetensors(bytes.NewReader(f), int64(len(f)), 0); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := st.Deserialize(f); err == nil {
			t.Errorf("%s: the library accepts it", name)
		}
	}
}
