package modelfile

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxZipEntries bounds the entries of an npz archive read; a model file
// has at most 2·MaxLayers + 2.
const maxZipEntries = 1000

// ReadNPZ reads a model from an .npz archive (numpy's np.savez or
// np.savez_compressed) of size bytes. maxBytes bounds the decoded arrays
// (≤ 0: the process budget, membudget.Limit()); over it the error is a
// *membudget.Error and nothing large has been allocated.
func ReadNPZ(r io.ReaderAt, size, maxBytes int64) (*Model, error) {
	m, err := readNPZ(r, size, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("npz: %w", err)
	}
	return m, nil
}

func readNPZ(r io.ReaderAt, size, maxBytes int64) (*Model, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a valid zip archive: %v", err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, fmt.Errorf("%d zip entries; %s", len(zr.File), expectedNames)
	}
	var arrays []*array
	seen := map[string]bool{}
	for _, f := range zr.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok || f.FileInfo().IsDir() {
			return nil, fmt.Errorf("zip entry %q is not an array (npz entries are NAME.npy); %s", f.Name, expectedNames)
		}
		if seen[name] {
			return nil, fmt.Errorf("%s appears twice in the archive", name)
		}
		seen[name] = true
		a, err := npzArray(f, name)
		if err != nil {
			return nil, err
		}
		arrays = append(arrays, a)
	}
	return decodeModel(FormatNPZ, arrays, nil, maxBytes)
}

// npzArray reads the header of one entry and checks that the entry's
// declared size holds exactly the header and the data.
func npzArray(f *zip.File, name string) (*array, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: corrupt zip entry: %v", name, err)
	}
	h, err := readNPYHeader(rc, name)
	rc.Close()
	if err != nil {
		return nil, err
	}
	n, _ := elements(name, h.shape) // checked by readNPYHeader
	// Only for dtypes that could be read: a refused dtype is named as such
	// later, not reported as a size mismatch.
	want := h.length + int64(n)*int64(h.dt.size)
	if got := f.UncompressedSize64; (h.dt.isFloat() || h.dt.isInt()) && got != uint64(want) {
		if got < uint64(want) {
			return nil, fmt.Errorf("%s: data truncated: shape %s of %s needs %d bytes, the entry holds %d", name, shapeString(h.shape), h.dt.name, want, got)
		}
		return nil, fmt.Errorf("%s: %d bytes after the data of shape %s of %s", name, got-uint64(want), shapeString(h.shape), h.dt.name)
	}
	a := &array{name: name, dt: h.dt, shape: h.shape, fortran: h.fortran}
	a.open = func() (io.ReadCloser, error) {
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: corrupt zip entry: %v", name, err)
		}
		if _, err := io.CopyN(io.Discard, rc, h.length); err != nil {
			rc.Close()
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return &npzData{ReadCloser: rc, name: name}, nil
	}
	return a, nil
}

// npzData checks at Close that the entry ends with the data: reading to
// the end is also what makes archive/zip verify the size and CRC-32.
type npzData struct {
	io.ReadCloser
	name string
}

func (d *npzData) Close() error {
	var b [1]byte
	n, err := io.ReadFull(d.ReadCloser, b[:])
	d.ReadCloser.Close()
	switch {
	case n > 0:
		return fmt.Errorf("%s: bytes after the data", d.name)
	case errors.Is(err, io.EOF):
		return nil
	case errors.Is(err, zip.ErrChecksum):
		return fmt.Errorf("%s: corrupt (CRC-32 mismatch)", d.name)
	}
	return fmt.Errorf("%s: %v", d.name, err)
}
