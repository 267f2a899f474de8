package modelfile

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/internal/membudget"
)

// base is a valid two-layer model with data: W1 3×2, b1, W2 3×3, X 4×2,
// y (C = 3).
func base() []tArray {
	return []tArray{
		{name: "W1", kind: 'f', size: 8, shape: []int{3, 2}, vals: []float64{1, 2, 3, 4, 5, 6}},
		{name: "b1", kind: 'f', size: 4, shape: []int{3}, vals: []float64{1, 2, 3}},
		{name: "W2", kind: 'f', size: 8, shape: []int{3, 3}, vals: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{name: "X", kind: 'f', size: 8, shape: []int{4, 2}, vals: []float64{1, 2, 3, 4, 5, 6, 7, 8}},
		{name: "y", kind: 'i', size: 8, shape: []int{4}, vals: []float64{0, 1, 2, 0}},
	}
}

// with returns base() changed by f.
func with(f func(a []tArray) []tArray) []tArray { return f(base()) }

func set(name string, g func(*tArray)) func([]tArray) []tArray {
	return func(a []tArray) []tArray {
		for i := range a {
			if a[i].name == name {
				g(&a[i])
			}
		}
		return a
	}
}

func drop(name string) func([]tArray) []tArray {
	return func(a []tArray) []tArray {
		var out []tArray
		for _, x := range a {
			if x.name != name {
				out = append(out, x)
			}
		}
		return out
	}
}

func add(x tArray) func([]tArray) []tArray {
	return func(a []tArray) []tArray { return append(a, x) }
}

func rename(from, to string) func([]tArray) []tArray {
	return set(from, func(a *tArray) { a.name = to })
}

var extra = tArray{name: "extra", kind: 'f', size: 8, shape: []int{1}, vals: []float64{0}}

// TestContentErrors: every check on names, dtypes, shapes and values, in
// both formats (npz stored and deflated, safetensors), with a message
// naming the offending array.
func TestContentErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name   string
		arrays []tArray
		want   []string
	}{
		{"unknown name", with(add(tArray{name: "foo", kind: 'f', size: 8, shape: []int{1}, vals: []float64{0}})), []string{`unexpected arrays "foo"`, "W1…WL"}},
		{"positional savez", with(rename("X", "arr_0")), []string{`"arr_0"`, "np.savez(f, W1="}},
		{"several unknown", with(func(a []tArray) []tArray { return add(extra)(rename("b1", "bias")(a)) }), []string{`unexpected arrays "bias", "extra"`}},
		{"W without index", with(rename("W2", "W")), []string{`"W" has no layer index`}},
		{"W0", with(rename("W2", "W0")), []string{`"W0": layers are numbered from 1`}},
		{"Wx", with(rename("W2", "Wx")), []string{`"Wx": the layer index must be a number`}},
		{"b_1", with(rename("b1", "b_1")), []string{`"b_1": the layer index must be a number`}},
		{"W01", with(rename("W2", "W01")), []string{`"W01": write the layer index without leading zeros`}},
		{"W9", with(rename("W2", "W9")), []string{`"W9": at most 8 layers`}},
		{"lower-case x", with(rename("X", "x")), []string{`"x": the data is named X`}},
		{"gap", with(rename("W2", "W3")), []string{"W2 is missing but W3 is present"}},
		{"bias beyond L", with(rename("b1", "b3")), []string{"b3 has no W3"}},
		{"no weights", with(func(a []tArray) []tArray { return drop("W2")(drop("W1")(drop("b1")(a))) }), []string{"no weight arrays"}},
		{"X without y", with(drop("y")), []string{"has X but no y"}},
		{"y without X", with(drop("X")), []string{"has y but no X"}},
		{"W rank 1", with(set("W1", func(a *tArray) { a.shape = []int{6} })), []string{"W1 has shape (6,): it must be 2-D"}},
		{"W rank 3", with(set("W1", func(a *tArray) { a.shape = []int{3, 2, 1} })), []string{"W1 has shape (3, 2, 1): it must be 2-D"}},
		{"b rank 2", with(set("b1", func(a *tArray) { a.shape = []int{3, 1} })), []string{"b1 has shape (3, 1): it must be 1-D"}},
		{"y rank 2", with(set("y", func(a *tArray) { a.shape = []int{4, 1} })), []string{"y has shape (4, 1): it must be 1-D"}},
		{"empty", with(set("X", func(a *tArray) { a.shape = []int{0, 2}; a.vals = nil })), []string{"X has shape (0, 2): it is empty"}},
		{"int weights", with(set("W2", func(a *tArray) { a.kind = 'i' })), []string{"W2 has dtype int64: W, b and X must be float32 or float64"}},
		{"float labels", with(set("y", func(a *tArray) { a.kind = 'f' })), []string{"y has dtype float64: labels must be an integer dtype", "astype"}},
		{"W2 columns", with(set("W2", func(a *tArray) { a.shape = []int{2, 4}; a.vals = make([]float64, 8) })), []string{"W2 has shape (2, 4) but W1 has 3 rows: W2 must have 3 columns"}},
		{"b length", with(set("b1", func(a *tArray) { a.shape = []int{2}; a.vals = a.vals[:2] })), []string{"b1 has length 2 but W1 has 3 rows"}},
		{"X columns", with(set("X", func(a *tArray) { a.shape = []int{2, 4} })), []string{"X has shape (2, 4) but W1 has 2 columns"}},
		{"y length", with(set("y", func(a *tArray) { a.shape = []int{3}; a.vals = a.vals[:3] })), []string{"y has 3 labels but X has 4 rows"}},
		{"C = 1", with(set("W2", func(a *tArray) { a.shape = []int{1, 3}; a.vals = a.vals[:3] })), []string{"W2 has shape (1, 3)", "C ≥ 2"}},
		{"label = C", with(set("y", func(a *tArray) { a.vals[1] = 3 })), []string{"y[1] = 3 is not a class label 0…2 (C = 3, the rows of W2)"}},
		{"label < 0", with(set("y", func(a *tArray) { a.vals[2] = -1 })), []string{"y[2] = -1 is not a class label"}},
		{"uint64 label", with(set("y", func(a *tArray) { a.kind = 'u'; a.vals[3] = -1 })), []string{"y[3] = 18446744073709551615 is not a class label"}},
		{"NaN in W2", with(set("W2", func(a *tArray) { a.vals[5] = nan })), []string{"W2[1,2] is NaN"}},
		{"Inf in b1", with(set("b1", func(a *tArray) { a.vals[2] = -inf })), []string{"b1[2] is -Inf"}},
		{"Inf in X", with(set("X", func(a *tArray) { a.vals[7] = inf })), []string{"X[3,1] is +Inf"}},
		{"NaN float32", with(set("b1", func(a *tArray) { a.vals[0] = nan })), []string{"b1[0] is NaN"}},
		{"nine layers", nineLayers(), []string{`"W9": at most 8 layers`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i, f := range files(t, c.arrays) {
				_, err := ReadFrom(bytes.NewReader(f), int64(len(f)), 0)
				wantError(t, []string{"npz stored", "npz deflated", "safetensors"}[i], err, c.want...)
			}
		})
	}
}

func nineLayers() []tArray {
	var a []tArray
	for l := 1; l <= 9; l++ {
		a = append(a, tArray{name: "W" + string(rune('0'+l)), kind: 'f', size: 8, shape: []int{2, 2}, vals: []float64{1, 2, 3, 4}})
	}
	return a
}

func wantError(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %q", what, want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not contain %q", what, err, w)
		}
	}
}

// TestRefusedDtypes: float16, complex, bool and strings are refused by
// name in each format's own spelling.
func TestRefusedDtypes(t *testing.T) {
	for _, c := range []struct{ descr, st, name string }{
		{"<f2", "F16", "float16"},
		{"<c16", "C64", "complex"},
		{"|b1", "BOOL", "bool"},
		{"<U3", "", "<U3"},
		{"|O", "", "|O"},
		{"", "BF16", "BF16"},
		{"", "F8_E4M3", "F8_E4M3"},
		{"<f16", "", "float128"},
	} {
		arrays := with(set("W2", func(a *tArray) { a.descr, a.st, a.raw = c.descr, c.st, []byte{} }))
		if c.descr != "" {
			f := writeNPZ(t, arrays, zip.Store)
			_, err := ReadNPZ(bytes.NewReader(f), int64(len(f)), 0)
			wantError(t, c.descr, err, "W2 has dtype "+c.name, "float32 or float64")
		}
		if c.st != "" {
			// A tensor of an unknown dtype has no byte size: give it none.
			arrays := with(set("W2", func(a *tArray) { a.st, a.shape, a.raw = c.st, []int{3, 3}, make([]byte, 9*sizeOf(c.st)) }))
			f := writeSafetensors(t, arrays, nil)
			_, err := ReadSafetensors(bytes.NewReader(f), int64(len(f)), 0)
			wantError(t, c.st, err, "W2 has dtype "+c.name, "float32 or float64")
		}
	}
}

func sizeOf(st string) int {
	switch st {
	case "C64":
		return 8
	case "F16", "BF16":
		return 2
	}
	return 1
}

// TestBigEndianAndVersions: '>f8' data and .npy format 2.0 headers read.
func TestBigEndianAndVersions(t *testing.T) {
	W := []float64{1.5, -2, 3, 4}
	be := make([]byte, 32)
	for i, v := range W {
		binary.BigEndian.PutUint64(be[8*i:], math.Float64bits(v))
	}
	h := "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }\n"
	v2 := append([]byte(npyMagic+"\x02\x00"), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(v2[8:], uint32(len(h)))
	v2 = append(append(v2, h...), be...)
	f := zipRaw(t, []string{"W1.npy"}, [][]byte{v2})
	m, err := ReadNPZ(bytes.NewReader(f), int64(len(f)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Weights[0].RawMatrix().Data; !slices.Equal(got, W) {
		t.Errorf("W1 = %v, want %v", got, W)
	}
}

// zipRaw stores the given entries as they are.
func zipRaw(t testing.TB, names []string, data [][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data[i])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestNPZCorrupt: broken archives and broken .npy entries.
func TestNPZCorrupt(t *testing.T) {
	good := base()
	w1 := good[0].npyFile()
	valid := writeNPZ(t, good, zip.Store)
	header := func(h string) []byte {
		b := []byte(npyMagic + "\x01\x00\x00\x00")
		binary.LittleEndian.PutUint16(b[8:], uint16(len(h)))
		return append(b, h...)
	}
	flipped := bytes.Clone(valid)
	i := bytes.Index(flipped, w1) + len(w1) - 3 // inside W1's data
	flipped[i] ^= 0x40
	cases := []struct {
		name string
		file []byte
		want []string
	}{
		{"truncated archive", valid[:len(valid)/2], []string{"npz: not a valid zip archive"}},
		{"flipped data byte", flipped, []string{"W1: corrupt (CRC-32 mismatch)"}},
		{"not .npy", zipRaw(t, []string{"notes.txt"}, [][]byte{[]byte("hi")}), []string{`zip entry "notes.txt" is not an array`}},
		{"directory", zipRaw(t, []string{"W1.npy/"}, [][]byte{nil}), []string{`zip entry "W1.npy/" is not an array`}},
		{"twice", zipRaw(t, []string{"W1.npy", "W1.npy"}, [][]byte{w1, w1}), []string{"W1 appears twice"}},
		{"bad magic", zipRaw(t, []string{"W1.npy"}, [][]byte{[]byte("hello world, no magic")}), []string{"W1: not a .npy array"}},
		{"empty entry", zipRaw(t, []string{"W1.npy"}, [][]byte{{}}), []string{"W1: not a .npy array: truncated"}},
		{"version 4", zipRaw(t, []string{"W1.npy"}, [][]byte{append([]byte(npyMagic+"\x04\x00"), w1[8:]...)}), []string{"W1: .npy format version 4.0"}},
		{"header cut", zipRaw(t, []string{"W1.npy"}, [][]byte{w1[:40]}), []string{"W1: .npy header", "truncated"}},
		{"data cut", zipRaw(t, []string{"W1.npy"}, [][]byte{w1[:len(w1)-1]}), []string{"W1: data truncated", "needs 176 bytes, the entry holds 175"}},
		{"trailing bytes", zipRaw(t, []string{"W1.npy"}, [][]byte{append(bytes.Clone(w1), 0)}), []string{"W1: 1 bytes after the data"}},
		{"not a dict", zipRaw(t, []string{"W1.npy"}, [][]byte{header("['<f8']")}), []string{"W1: .npy header", "not a dict"}},
		{"missing key", zipRaw(t, []string{"W1.npy"}, [][]byte{header("{'descr': '<f8', 'shape': (1,)}")}), []string{"W1: .npy header", "needs the keys"}},
		{"repeated key", zipRaw(t, []string{"W1.npy"}, [][]byte{header("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}")}), []string{`key "descr" repeated`}},
		{"unknown key", zipRaw(t, []string{"W1.npy"}, [][]byte{header("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}")}), []string{`unknown key "x"`}},
		{"negative dim", zipRaw(t, []string{"W1.npy"}, [][]byte{header("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2)}")}), []string{"W1: .npy header", "dimension"}},
		{"huge dim", zipRaw(t, []string{"W1.npy"}, [][]byte{header("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 2)}")}), []string{"W1: .npy header", "dimension"}},
		{"overflowing shape", zipRaw(t, []string{"W1.npy"}, [][]byte{header("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}")}), []string{"W1 has shape (4294967296, 4294967296): more than 2^52 elements"}},
		{"structured", zipRaw(t, []string{"W1.npy"}, [][]byte{header("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,)}")}), []string{"W1: .npy header", "structured dtypes are not supported"}},
		{"fortran not bool", zipRaw(t, []string{"W1.npy"}, [][]byte{header("{'descr': '<f8', 'fortran_order': 1, 'shape': (1,)}")}), []string{"W1: .npy header", "fortran_order"}},
		{"text after dict", zipRaw(t, []string{"W1.npy"}, [][]byte{header("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} x")}), []string{"W1: .npy header", "text after the dict"}},
		{"header too long", zipRaw(t, []string{"W1.npy"}, [][]byte{append([]byte(npyMagic+"\x02\x00"), 0xff, 0xff, 0xff, 0x7f)}), []string{"W1: .npy header length 2147483647 is over the limit"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadNPZ(bytes.NewReader(c.file), int64(len(c.file)), 0)
			wantError(t, "npz", err, c.want...)
		})
	}
}

// stFile builds a safetensors file from a raw header and data buffer.
func stFile(header string, data []byte) []byte {
	b := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	return append(append(b, header...), data...)
}

// TestSafetensorsCorrupt: broken headers and offsets.
func TestSafetensorsCorrupt(t *testing.T) {
	valid := writeSafetensors(t, base(), nil)
	d16 := make([]byte, 16)
	w := func(off string) string { return `{"W1":{"dtype":"F64","shape":[1,2],"data_offsets":` + off + `}}` }
	two := `{"W1":{"dtype":"F64","shape":[2,1],"data_offsets":[0,16]},"W2":{"dtype":"F64","shape":[2,2],"data_offsets":[8,40]}}`
	cases := []struct {
		name string
		file []byte
		want []string
	}{
		{"too short", []byte{1, 0, 0}, []string{"too short for the 8-byte header length"}},
		{"length beyond file", stFile(w("[0,16]"), d16)[:20], []string{"header length 58 does not fit the file (12 bytes after the length)"}},
		{"truncated data", valid[:len(valid)-3], []string{"y: data_offsets", "beyond the data buffer", "truncated?"}},
		{"not an object", stFile(`["W1"]`, nil), []string{"header: does not start with '{'"}},
		{"bad JSON", stFile(`{"W1":{"dtype":"F64",`, nil), []string{"header: not valid JSON"}},
		{"tensor not an object", stFile(`{"W1":[1]}`, nil), []string{"header: W1: expected an object"}},
		{"text after", stFile(w("[0,16]")+"xx", d16), []string{"header: text after the JSON object"}},
		{"repeated tensor", stFile(`{"W1":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"W1":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}`, d16), []string{`key "W1" repeated`}},
		{"unknown field", stFile(`{"W1":{"dtype":"F64","shape":[1,2],"data_offsets":[0,16],"x":1}}`, d16), []string{`W1: unknown field "x"`}},
		{"missing field", stFile(`{"W1":{"dtype":"F64","shape":[1,2]}}`, d16), []string{"W1: needs dtype, shape and data_offsets"}},
		{"string shape", stFile(`{"W1":{"dtype":"F64","shape":["1",2],"data_offsets":[0,16]}}`, d16), []string{"W1: shape holds 1, not an integer"}},
		{"float shape", stFile(`{"W1":{"dtype":"F64","shape":[1.0,2],"data_offsets":[0,16]}}`, d16), []string{"W1: shape holds 1.0"}},
		{"negative shape", stFile(`{"W1":{"dtype":"F64","shape":[-1,2],"data_offsets":[0,16]}}`, d16), []string{"W1: shape holds -1"}},
		{"three offsets", stFile(w("[0,8,16]"), d16), []string{"W1: data_offsets has 3 entries, not 2"}},
		{"backwards", stFile(w("[16,0]"), d16), []string{"W1: data_offsets [16, 0] run backwards"}},
		{"out of range", stFile(w("[8,24]"), d16), []string{"W1: data_offsets [8, 24] are beyond the data buffer of 16 bytes"}},
		{"size mismatch", stFile(w("[0,8]"), d16[:8]), []string{"W1: data_offsets [0, 8] hold 8 bytes but shape (1, 2) of F64 needs 16"}},
		{"overlap", stFile(two, make([]byte, 40)), []string{"W2: data_offsets [8, 40] overlap W1 [0, 16]"}},
		{"hole", stFile(w("[8,24]"), make([]byte, 24)), []string{"W1: data_offsets [8, 24] leave bytes 0…7 of the data buffer unused"}},
		{"uncovered tail", stFile(w("[0,16]"), make([]byte, 24)), []string{"the data buffer has 24 bytes but the tensors cover 16"}},
		{"metadata not string", stFile(`{"__metadata__":{"loss":1},"W1":{"dtype":"F64","shape":[1,2],"data_offsets":[0,16]}}`, d16), []string{`__metadata__: "loss" is not a string`}},
		{"metadata repeated", stFile(`{"__metadata__":{"loss":"ce","loss":"mse"}}`, nil), []string{`key "loss" repeated`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadSafetensors(bytes.NewReader(c.file), int64(len(c.file)), 0)
			wantError(t, "safetensors", err, append(c.want, "safetensors: ")...)
		})
	}
}

// TestReadFromUnknown: neither format, and a lone .npy, are named.
func TestReadFromUnknown(t *testing.T) {
	for _, c := range []struct {
		file []byte
		want string
	}{
		{[]byte("hello, world"), "neither an .npz archive nor a safetensors file"},
		{nil, "neither"},
		{base()[0].npyFile(), "a single .npy array, not a model file"},
	} {
		_, err := ReadFrom(bytes.NewReader(c.file), int64(len(c.file)), 0)
		wantError(t, "ReadFrom", err, c.want)
	}
}

// TestBudgetBeforeAllocation: a small file declaring large arrays (a
// deflated npz of zeros: 18 KB on disk, 48 MB decoded) is refused with a
// *membudget.Error naming the largest array, and the refusal allocates
// next to nothing (the arrays are never made). A valid safetensors file
// over a tiny budget is refused the same way.
func TestBudgetBeforeAllocation(t *testing.T) {
	zeros := tArray{name: "X", kind: 'f', size: 4, shape: []int{2000000, 2}, raw: make([]byte, 2000000*2*4)}
	big := writeNPZ(t, []tArray{base()[0], zeros, {name: "y", kind: 'u', size: 1, shape: []int{2000000}, raw: make([]byte, 2000000)}}, zip.Deflate)
	if len(big) > 1<<17 {
		t.Fatalf("the zeros compressed to %d bytes", len(big))
	}
	for _, c := range []struct {
		name   string
		file   []byte
		budget int64
		want   string
	}{
		{"npz", big, 1 << 20, "largest X (2000000, 2)"},
		{"safetensors", writeSafetensors(t, base(), nil), 1000, "largest W2 (3, 3)"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadFrom(bytes.NewReader(c.file), int64(len(c.file)), c.budget)
		runtime.ReadMemStats(&after)
		if !membudget.IsOver(err) {
			t.Fatalf("%s: %v, want a *membudget.Error", c.name, err)
		}
		wantError(t, c.name, err, c.want)
		if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
			t.Errorf("%s: refusal allocated %d bytes", c.name, d)
		}
	}
	// The same npz within budget reads.
	if _, err := ReadFrom(bytes.NewReader(big), int64(len(big)), 64<<20); err != nil {
		t.Fatal(err)
	}
}

// TestFortranNonFinite: a non-finite value in a Fortran-order array is
// named by its logical (row, column) position, not its stream position.
func TestFortranNonFinite(t *testing.T) {
	arrays := with(set("X", func(a *tArray) { a.fortran = true; a.vals[5] = math.Inf(-1) })) // X[2,1]
	f := writeNPZ(t, arrays, zip.Store)
	_, err := ReadNPZ(bytes.NewReader(f), int64(len(f)), 0)
	wantError(t, "npz", err, "X[2,1] is -Inf")
}
