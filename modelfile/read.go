package modelfile

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// Read reads the model file at path, an .npz archive or a safetensors
// file, told apart by content (the extension is not consulted). maxBytes
// bounds the decoded arrays (≤ 0: the process budget, membudget.Limit()).
func Read(path string, maxBytes int64) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	m, err := ReadFrom(f, st.Size(), maxBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ReadFrom reads a model from r (size bytes) in either format, detected
// by content: a zip archive is read as npz, a file that starts with a
// plausible safetensors header length followed by '{' as safetensors.
func ReadFrom(r io.ReaderAt, size, maxBytes int64) (*Model, error) {
	var head [9]byte
	n, _ := r.ReadAt(head[:], 0)
	b := head[:n]
	switch {
	case n >= 4 && (string(b[:4]) == "PK\x03\x04" || string(b[:4]) == "PK\x05\x06"):
		return ReadNPZ(r, size, maxBytes)
	case n >= 6 && string(b[:6]) == npyMagic:
		return nil, fmt.Errorf("a single .npy array, not a model file: save the arrays together with np.savez(f, W1=…, b1=…, X=…, y=…)")
	case n == 9 && b[8] == '{' && binary.LittleEndian.Uint64(b[:8]) <= uint64(size-8):
		return ReadSafetensors(r, size, maxBytes)
	}
	return nil, fmt.Errorf("neither an .npz archive nor a safetensors file")
}
