package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// writeGz writes gzip(raw) to a fresh file and returns its path.
func writeGz(t testing.TB, raw []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.gz")
	if err := os.WriteFile(p, gzBytes(t, raw), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// idxHeader returns big-endian words followed by payload bytes.
func idxHeader(payload int, words ...uint32) []byte {
	var b bytes.Buffer
	for _, w := range words {
		binary.Write(&b, binary.BigEndian, w)
	}
	for i := 0; i < payload; i++ {
		b.WriteByte(byte(i % 10)) // valid labels, arbitrary pixels
	}
	return b.Bytes()
}

// TestIDXHeaderCountsBoundMemory checks that a header claiming the largest
// accepted count (2^22 items, ≈ 3.3 GB of pixels) over a short payload is
// reported as truncated after allocating in proportion to the payload, not
// to the claim.
func TestIDXHeaderCountsBoundMemory(t *testing.T) {
	cases := []struct {
		name string
		raw  []byte
		read func(string) error
	}{
		{"images", idxHeader(784*3, idxMagicImages, idxMaxItems, 28, 28), func(p string) error { _, _, err := readIDXImages(p); return err }},
		{"labels", idxHeader(5, idxMagicLabels, idxMaxItems), func(p string) error { _, err := readIDXLabels(p); return err }},
	}
	for _, c := range cases {
		p := writeGz(t, c.raw)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := c.read(p)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("%s: err = %v, want a truncation error", c.name, err)
		}
		// gzip reader state plus the 1 MiB initial buffer; the claim is 3.3 GB.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Errorf("%s: reading a truncated file claiming %d items allocated %d bytes", c.name, idxMaxItems, alloc)
		}
	}
}

// TestIDXMutatedHeaders feeds headers with wrong magic numbers, counts and
// dimensions: each must give an error (never a panic), and a consistent
// file must load.
func TestIDXMutatedHeaders(t *testing.T) {
	img := func(p string) error { _, _, err := readIDXImages(p); return err }
	lbl := func(p string) error { _, err := readIDXLabels(p); return err }
	cases := []struct {
		name string
		raw  []byte
		read func(string) error
		ok   bool
	}{
		{"images ok", idxHeader(2*784, idxMagicImages, 2, 28, 28), img, true},
		{"images zero count", idxHeader(0, idxMagicImages, 0, 28, 28), img, true}, // rejected later by loadMNISTSplit
		{"images count too big", idxHeader(0, idxMagicImages, idxMaxItems+1, 28, 28), img, false},
		{"images count 2^32−1", idxHeader(0, idxMagicImages, 1<<32-1, 28, 28), img, false},
		{"images count > data", idxHeader(784, idxMagicImages, 2, 28, 28), img, false},
		{"images count < data", idxHeader(3*784, idxMagicImages, 2, 28, 28), img, false},
		{"images rows 0", idxHeader(0, idxMagicImages, 2, 0, 28), img, false},
		{"images dims huge", idxHeader(0, idxMagicImages, 2, 1<<31, 1<<31), img, false},
		{"images labels magic", idxHeader(2*784, idxMagicLabels, 2, 28, 28), img, false},
		{"images magic 0", idxHeader(2*784, 0, 2, 28, 28), img, false},
		{"images short header", idxHeader(0, idxMagicImages, 2), img, false},
		{"images magic only", idxHeader(0, idxMagicImages), img, false},
		{"images empty", nil, img, false},
		{"labels ok", idxHeader(3, idxMagicLabels, 3), lbl, true},
		{"labels count too big", idxHeader(3, idxMagicLabels, idxMaxItems+1), lbl, false},
		{"labels count 2^32−1", idxHeader(3, idxMagicLabels, 1<<32-1), lbl, false},
		{"labels images magic", idxHeader(3, idxMagicImages, 3), lbl, false},
		{"labels short", idxHeader(2, idxMagicLabels, 3), lbl, false},
		{"labels trailing", idxHeader(4, idxMagicLabels, 3), lbl, false},
		{"labels out of range", append(idxHeader(2, idxMagicLabels, 3), 10), lbl, false},
	}
	for _, c := range cases {
		err := c.read(writeGz(t, c.raw))
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok = %v", c.name, err, c.ok)
		}
	}
	// Not gzip at all.
	p := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(p, idxHeader(3, idxMagicLabels, 3), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readIDXLabels(p); err == nil {
		t.Error("plain (non-gzip) file accepted")
	}
}

// gzBytes returns gzip(raw).
func gzBytes(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readIDXBytes runs the file reader's pipeline (gzip, magic, decode) on an
// in-memory file: creating a file per input made the fuzzers file-system
// bound (a few executions per second).
func readIDXBytes(t testing.TB, raw []byte, magic uint32, kind string, decode func(io.Reader) error) error {
	zr, closer, err := openIDXReader(bytes.NewReader(gzBytes(t, raw)), "fuzz", magic, kind)
	if err != nil {
		return err
	}
	defer closer()
	return decode(zr)
}

// FuzzIDXLabels and FuzzIDXImages check that any decompressed content
// gives either data consistent with its header or an error, never a panic.
func FuzzIDXLabels(f *testing.F) {
	f.Add(idxHeader(3, idxMagicLabels, 3))
	f.Add(idxHeader(0, idxMagicLabels, 0))
	f.Add(idxHeader(3, idxMagicLabels, idxMaxItems))
	f.Add([]byte{0, 0, 8})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var labels []uint8
		err := readIDXBytes(t, raw, idxMagicLabels, "labels", func(r io.Reader) (err error) {
			labels, err = decodeIDXLabels(r, "fuzz")
			return err
		})
		if err != nil {
			return
		}
		if want := binary.BigEndian.Uint32(raw[4:8]); uint32(len(labels)) != want || len(raw) != 8+len(labels) {
			t.Fatalf("accepted %d labels from a %d-byte file claiming %d", len(labels), len(raw), want)
		}
		for _, y := range labels {
			if y >= mnistClasses {
				t.Fatalf("label %d accepted", y)
			}
		}
	})
}

func FuzzIDXImages(f *testing.F) {
	f.Add(idxHeader(784, idxMagicImages, 1, 28, 28))
	f.Add(idxHeader(784, idxMagicImages, 1, 28, 27))
	f.Add(idxHeader(10, idxMagicImages, idxMaxItems, 28, 28))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var pixels []uint8
		var n int
		err := readIDXBytes(t, raw, idxMagicImages, "images", func(r io.Reader) (err error) {
			pixels, n, err = decodeIDXImages(r, "fuzz")
			return err
		})
		if err != nil {
			return
		}
		if len(pixels) != n*mnistPixels || len(raw) != 16+len(pixels) {
			t.Fatalf("accepted %d images (%d bytes) from a %d-byte file", n, len(pixels), len(raw))
		}
	})
}
