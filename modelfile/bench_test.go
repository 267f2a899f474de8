package modelfile

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// large describes a generated model: W1 h×d, b1, W2 C×h, X n×d (float32),
// y n (int64).
type large struct{ n, d, h, C int }

func (g large) arrays() []struct {
	name  string
	shape []int
	f32   bool
} {
	return []struct {
		name  string
		shape []int
		f32   bool
	}{
		{"W1", []int{g.h, g.d}, true}, {"b1", []int{g.h}, true}, {"W2", []int{g.C, g.h}, true},
		{"X", []int{g.n, g.d}, true}, {"y", []int{g.n}, false},
	}
}

// decoded is the size of the model in memory: 8 bytes per element.
func (g large) decoded() int64 {
	return 8 * int64(g.h*g.d+g.h+g.C*g.h+g.n*g.d+g.n)
}

// streamData writes the elements of an array without holding them:
// float32 values i mod 1000 / 7, labels i mod C.
func (g large) streamData(w io.Writer, elems int, f32 bool) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var b [8]byte
	for i := 0; i < elems; i++ {
		if f32 {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(float32(i%1000)/7))
			bw.Write(b[:4])
		} else {
			binary.LittleEndian.PutUint64(b[:], uint64(i%g.C))
			bw.Write(b[:])
		}
	}
	return bw.Flush()
}

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

// write generates the model file at path in the given format, streaming.
func (g large) write(path, format string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if format == FormatNPZ {
		zw := zip.NewWriter(f)
		for _, a := range g.arrays() {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: a.name + ".npy", Method: zip.Store})
			if err != nil {
				return err
			}
			t := tArray{kind: 'i', size: 8, shape: a.shape, raw: []byte{}}
			if a.f32 {
				t.kind, t.size = 'f', 4
			}
			if _, err := w.Write(t.npyFile()); err != nil {
				return err
			}
			if err := g.streamData(w, prod(a.shape), a.f32); err != nil {
				return err
			}
		}
		if err := zw.Close(); err != nil {
			return err
		}
		return f.Close()
	}
	head := map[string]any{}
	off := 0
	for _, a := range g.arrays() {
		dt, size := "I64", 8
		if a.f32 {
			dt, size = "F32", 4
		}
		n := prod(a.shape) * size
		head[a.name] = map[string]any{"dtype": dt, "shape": a.shape, "data_offsets": []int{off, off + n}}
		off += n
	}
	h, err := json.Marshal(head)
	if err != nil {
		return err
	}
	binary.Write(f, binary.LittleEndian, uint64(len(h)))
	f.Write(h)
	// json.Marshal sorts the keys, but offsets follow g.arrays order.
	for _, a := range g.arrays() {
		if err := g.streamData(f, prod(a.shape), a.f32); err != nil {
			return err
		}
	}
	return f.Close()
}

// TestStreamingAllocation: reading allocates the decoded size plus a
// small constant, in both formats (the no-second-copy rule). A 12 MB
// file; the bound is decoded + 1 MiB.
func TestStreamingAllocation(t *testing.T) {
	g := large{n: 3000, d: 1000, h: 64, C: 10}
	for _, format := range []string{FormatNPZ, FormatSafetensors} {
		p := filepath.Join(t.TempDir(), "m."+format)
		if err := g.write(p, format); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := Read(p, 0)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		// X[r,c] is element r·d + c of its stream: float32((r·d+c) mod 1000)/7.
		if got, want := m.X.At(1001, 999), float64(float32(999)/7); got != want {
			t.Errorf("%s: X[1001,999] = %v", format, got)
		}
		alloc := int64(after.TotalAlloc - before.TotalAlloc)
		t.Logf("%s: allocated %d bytes for %d decoded", format, alloc, g.decoded())
		if alloc < g.decoded() || alloc > g.decoded()+1<<20 {
			t.Errorf("%s: allocated %d bytes, decoded size %d", format, alloc, g.decoded())
		}
	}
}

// BenchmarkReadLarge loads a generated ~200 MB float32 file (X 50 000 ×
// 1000) in each format; B/op should be about decoded-B/op (400 MB).
func BenchmarkReadLarge(b *testing.B) {
	g := large{n: 50000, d: 1000, h: 256, C: 10}
	for _, format := range []string{FormatNPZ, FormatSafetensors} {
		b.Run(format, func(b *testing.B) {
			p := filepath.Join(b.TempDir(), "m."+format)
			if err := g.write(p, format); err != nil {
				b.Fatal(err)
			}
			st, err := os.Stat(p)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(st.Size())
			b.ResetTimer()
			for range b.N {
				if _, err := Read(p, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(g.decoded()), "decoded-B/op")
			b.ReportMetric(float64(st.Size()), "file-B")
		})
	}
}
