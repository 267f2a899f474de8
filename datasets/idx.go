package datasets

// The IDX file format of MNIST: gzip-wrapped, a magic number, item counts
// and raw bytes. Every read is checked, so a truncated or corrupt file is
// an error, never short data.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// openIDX opens a gzip-compressed IDX file and checks its magic number,
// returning the reader positioned after the magic and a closer.
func openIDX(path string, wantMagic uint32, kind string) (*gzip.Reader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("datasets: MNIST: %w", err)
	}
	zr, closeZ, err := openIDXReader(f, path, wantMagic, kind)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return zr, func() { closeZ(); f.Close() }, nil
}

// openIDXReader is openIDX on an open stream; path only names it in errors.
func openIDXReader(f io.Reader, path string, wantMagic uint32, kind string) (*gzip.Reader, func(), error) {
	zr, err := gzip.NewReader(f)
	if errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("datasets: MNIST %s file %s is empty", kind, path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("datasets: MNIST %s file %s: not a valid gzip stream: %v", kind, path, err)
	}
	closer := func() { zr.Close() }
	var magic [4]byte
	if err := readFull(zr, magic[:], path, kind, "magic number"); err != nil {
		closer()
		return nil, nil, err
	}
	if got := binary.BigEndian.Uint32(magic[:]); got != wantMagic {
		closer()
		return nil, nil, fmt.Errorf("datasets: MNIST %s file %s: bad magic number 0x%08x, want 0x%08x (corrupt file or wrong file)",
			kind, path, got, wantMagic)
	}
	return zr, closer, nil
}

// readFull reads exactly len(buf) bytes, turning a short read into a
// "truncated" error and a gzip failure into a "corrupt" error.
func readFull(r io.Reader, buf []byte, path, kind, what string) error {
	n, err := io.ReadFull(r, buf)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("datasets: MNIST %s file %s is truncated: %s needs %d bytes, only %d present",
			kind, path, what, len(buf), n)
	default:
		return fmt.Errorf("datasets: MNIST %s file %s is corrupt: reading %s: %v", kind, path, what, err)
	}
}

// readNChunk is the initial allocation of readN; the buffer then grows
// with the data actually read.
const readNChunk = 1 << 20

// readN reads exactly n bytes like readFull, but allocates in proportion to
// the bytes actually present rather than to n: n comes from a header that
// may be corrupt (up to idxMaxItems·784 ≈ 3.3 GB), and a short file must not
// cost that much memory before it is found to be truncated.
func readN(r io.Reader, n int, path, kind, what string) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(min(n, readNChunk))
	got, err := io.CopyN(&buf, r, int64(n))
	switch {
	case err == nil:
		b := buf.Bytes()
		if cap(b) > len(b)+len(b)/4 { // the cache keeps it: drop the growth slack
			b = bytes.Clone(b)
		}
		return b, nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("datasets: MNIST %s file %s is truncated: %s needs %d bytes, only %d present",
			kind, path, what, n, got)
	default:
		return nil, fmt.Errorf("datasets: MNIST %s file %s is corrupt: reading %s: %v", kind, path, what, err)
	}
}

// expectEOF checks that the stream ends here and that its gzip checksum and
// length are valid (they are verified when the reader reaches the end).
func expectEOF(r io.Reader, path, kind string) error {
	var b [1]byte
	n, err := io.ReadFull(r, b[:])
	if n > 0 {
		return fmt.Errorf("datasets: MNIST %s file %s is corrupt: trailing data after the last item", kind, path)
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("datasets: MNIST %s file %s is truncated: the gzip stream ends before its trailer", kind, path)
	}
	return fmt.Errorf("datasets: MNIST %s file %s is corrupt: %v", kind, path, err)
}

func readIDXImages(path string) (pixels []uint8, n int, err error) {
	zr, closer, err := openIDX(path, idxMagicImages, "images")
	if err != nil {
		return nil, 0, err
	}
	defer closer()
	return decodeIDXImages(zr, path)
}

// decodeIDXImages reads the images from the decompressed stream after the
// magic number; path only names the file in errors.
func decodeIDXImages(zr io.Reader, path string) (pixels []uint8, n int, err error) {
	const kind = "images"
	var hdr [12]byte
	if err := readFull(zr, hdr[:], path, kind, "header"); err != nil {
		return nil, 0, err
	}
	count := binary.BigEndian.Uint32(hdr[0:])
	rows := binary.BigEndian.Uint32(hdr[4:])
	cols := binary.BigEndian.Uint32(hdr[8:])
	if rows != mnistRows || cols != mnistCols {
		return nil, 0, fmt.Errorf("datasets: MNIST images file %s: images are %d×%d, want %d×%d",
			path, rows, cols, mnistRows, mnistCols)
	}
	if count > idxMaxItems {
		return nil, 0, fmt.Errorf("datasets: MNIST images file %s: header claims %d images (more than %d): corrupt header",
			path, count, idxMaxItems)
	}
	pixels, err = readN(zr, int(count)*mnistPixels, path, kind, fmt.Sprintf("pixel data of %d images", count))
	if err != nil {
		return nil, 0, err
	}
	if err := expectEOF(zr, path, kind); err != nil {
		return nil, 0, err
	}
	return pixels, int(count), nil
}

func readIDXLabels(path string) ([]uint8, error) {
	zr, closer, err := openIDX(path, idxMagicLabels, "labels")
	if err != nil {
		return nil, err
	}
	defer closer()
	return decodeIDXLabels(zr, path)
}

// decodeIDXLabels reads the labels from the decompressed stream after the
// magic number; path only names the file in errors.
func decodeIDXLabels(zr io.Reader, path string) ([]uint8, error) {
	const kind = "labels"
	var hdr [4]byte
	if err := readFull(zr, hdr[:], path, kind, "header"); err != nil {
		return nil, err
	}
	count := binary.BigEndian.Uint32(hdr[:])
	if count > idxMaxItems {
		return nil, fmt.Errorf("datasets: MNIST labels file %s: header claims %d labels (more than %d): corrupt header",
			path, count, idxMaxItems)
	}
	labels, err := readN(zr, int(count), path, kind, fmt.Sprintf("%d labels", count))
	if err != nil {
		return nil, err
	}
	for i, y := range labels {
		if y >= mnistClasses {
			return nil, fmt.Errorf("datasets: MNIST labels file %s is corrupt: label %d of item %d outside 0..9", path, y, i)
		}
	}
	if err := expectEOF(zr, path, kind); err != nil {
		return nil, err
	}
	return labels, nil
}

// ---- locating the files ----
