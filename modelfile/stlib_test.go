package modelfile

import (
	"archive/zip"
	"bytes"
	"io"
	"reflect"
	"strings"
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

// eofReaderAt reports io.EOF with a full read that reaches the end, as
// io.ReaderAt allows.
type eofReaderAt struct{ b []byte }

func (r eofReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(r.b)) {
		return 0, io.EOF
	}
	n := copy(p, r.b[off:])
	if off+int64(n) == int64(len(r.b)) {
		return n, io.EOF
	}
	return n, nil
}

// TestReaderAtEOF: a full read reported with io.EOF is a full read, for
// the header of a file without data (which ends with its header) and for
// the last tensor.
func TestReaderAtEOF(t *testing.T) {
	for _, f := range [][]byte{
		stFile(`{"__metadata__":{"loss":"ce"}}`, nil),
		writeSafetensors(t, base(), nil),
	} {
		_, err := ReadSafetensors(eofReaderAt{f}, int64(len(f)), 0)
		if err != nil && !strings.Contains(err.Error(), "no weight arrays") {
			t.Errorf("%v", err)
		}
		if len(f) > 100 && err != nil {
			t.Errorf("valid file refused: %v", err)
		}
	}
	f := writeNPZ(t, base(), zip.Deflate)
	if _, err := ReadNPZ(eofReaderAt{f}, int64(len(f)), 0); err != nil {
		t.Errorf("npz: %v", err)
	}
}
