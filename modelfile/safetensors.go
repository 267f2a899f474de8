package modelfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/hessblock/hessblock/internal/membudget"
)

// maxSafetensorsHeader is the largest JSON header read, the limit of the
// reference implementation (huggingface/safetensors).
const maxSafetensorsHeader = 100_000_000

// ReadSafetensors reads a model from a safetensors file of size bytes.
// maxBytes bounds the header and the decoded arrays together (≤ 0: the
// process budget, membudget.Limit()); over it the error is a
// *membudget.Error and nothing large has been allocated.
func ReadSafetensors(r io.ReaderAt, size, maxBytes int64) (*Model, error) {
	m, err := readSafetensors(r, size, maxBytes)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return m, nil
}

// stTensor is one tensor entry of the JSON header.
type stTensor struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64
}

func readSafetensors(r io.ReaderAt, size, maxBytes int64) (*Model, error) {
	var pre [8]byte
	if size < 8 {
		return nil, fmt.Errorf("the file has %d bytes, too short for the 8-byte header length", size)
	}
	if err := readFullAt(r, pre[:], 0); err != nil {
		return nil, fmt.Errorf("reading the header length: %v", err)
	}
	hlen := binary.LittleEndian.Uint64(pre[:])
	switch {
	case hlen > uint64(size-8):
		return nil, fmt.Errorf("the header length %d does not fit the file (%d bytes after the length)", hlen, size-8)
	case hlen > maxSafetensorsHeader:
		return nil, fmt.Errorf("the header length %d is over the limit of %d bytes", hlen, maxSafetensorsHeader)
	case hlen < 2:
		return nil, fmt.Errorf("the header length %d is too short for a JSON object", hlen)
	}
	// The header is the one thing read before the arrays are sized.
	if err := membudget.Check("the safetensors header", int64(hlen), budget(maxBytes), ""); err != nil {
		return nil, err
	}
	head := make([]byte, hlen)
	if err := readFullAt(r, head, 8); err != nil {
		return nil, fmt.Errorf("reading the header: %v", err)
	}
	tensors, meta, err := parseSafetensorsHeader(head)
	if err != nil {
		return nil, fmt.Errorf("header: %v", err)
	}
	base := 8 + int64(hlen)
	if err := checkOffsets(tensors, size-base); err != nil {
		return nil, err
	}
	var arrays []*array
	for _, t := range tensors {
		t := t
		a := &array{name: t.name, dt: safetensorsDtype(t.dtype), shape: t.shape}
		a.open = func() (io.ReadCloser, error) {
			return io.NopCloser(io.NewSectionReader(r, base+t.begin, t.end-t.begin)), nil
		}
		arrays = append(arrays, a)
	}
	return decodeModel(FormatSafetensors, arrays, meta, maxBytes)
}

// readFullAt fills p from r at off. io.ReaderAt may report io.EOF along
// with a full read at the end of the input: that is success.
func readFullAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// checkOffsets checks each tensor's byte range against its dtype and
// shape, and that the ranges tile the data buffer (n bytes) exactly: in
// range, no overlaps, no holes (the format requires a fully indexed
// buffer).
func checkOffsets(ts []*stTensor, n int64) error {
	for _, t := range ts {
		if t.begin > t.end {
			return fmt.Errorf("%s: data_offsets [%d, %d] run backwards", t.name, t.begin, t.end)
		}
		if t.end > n {
			return fmt.Errorf("%s: data_offsets [%d, %d] are beyond the data buffer of %d bytes (file truncated?)", t.name, t.begin, t.end, n)
		}
		elems, err := elements(t.name, t.shape)
		if err != nil {
			return err
		}
		if sz := safetensorsDtype(t.dtype).size; sz > 0 && int64(elems)*int64(sz) != t.end-t.begin {
			return fmt.Errorf("%s: data_offsets [%d, %d] hold %d bytes but shape %s of %s needs %d", t.name, t.begin, t.end, t.end-t.begin, shapeString(t.shape), t.dtype, int64(elems)*int64(sz))
		}
	}
	sorted := append([]*stTensor(nil), ts...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].begin != sorted[j].begin {
			return sorted[i].begin < sorted[j].begin
		}
		return sorted[i].end < sorted[j].end
	})
	var at int64
	var prev *stTensor
	for _, t := range sorted {
		switch {
		case t.begin < at:
			return fmt.Errorf("%s: data_offsets [%d, %d] overlap %s [%d, %d]", t.name, t.begin, t.end, prev.name, prev.begin, prev.end)
		case t.begin > at:
			return fmt.Errorf("%s: data_offsets [%d, %d] leave bytes %d…%d of the data buffer unused", t.name, t.begin, t.end, at, t.begin-1)
		}
		at, prev = t.end, t
	}
	if at != n {
		return fmt.Errorf("the data buffer has %d bytes but the tensors cover %d", n, at)
	}
	return nil
}

// safetensorsDtype maps a safetensors dtype string to a dtype (all
// little-endian). Unknown strings get size 0 and are refused by name.
func safetensorsDtype(s string) dtype {
	t := dtype{order: binary.LittleEndian, name: s, kind: '?'}
	switch s {
	case "F64":
		t.kind, t.size = 'f', 8
	case "F32":
		t.kind, t.size = 'f', 4
	case "F16":
		t.kind, t.size = 'f', 2
	case "BF16":
		t.size = 2
	case "I8", "I16", "I32", "I64":
		t.kind = 'i'
	case "U8", "U16", "U32", "U64":
		t.kind = 'u'
	case "BOOL":
		t.kind, t.size = 'b', 1
	case "C64":
		t.kind, t.size = 'c', 8
	case "F8_E4M3", "F8_E5M2":
		t.kind, t.size = '?', 1
	}
	if t.kind == 'i' || t.kind == 'u' {
		bits, _ := strconv.Atoi(s[1:])
		t.size = bits / 8
	}
	if t.kind != '?' {
		t.name = kindName(t.kind, t.size)
	}
	return t
}

// parseSafetensorsHeader decodes the JSON header strictly: an object
// (optionally followed by the spaces writers pad with) mapping tensor
// names to {"dtype", "shape", "data_offsets"} and the optional
// "__metadata__" to an object of strings; no key repeated, no other keys.
func parseSafetensorsHeader(head []byte) ([]*stTensor, map[string]string, error) {
	if head[0] != '{' {
		return nil, nil, errors.New("does not start with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(head))
	dec.UseNumber()
	var tensors []*stTensor
	var meta map[string]string
	err := object(dec, func(key string) error {
		if key == "__metadata__" {
			meta = map[string]string{}
			err := object(dec, func(k string) error {
				v, err := dec.Token()
				if err != nil {
					return err
				}
				s, ok := v.(string)
				if !ok {
					return fmt.Errorf("%q is not a string", k)
				}
				meta[k] = s
				return nil
			})
			if err != nil {
				return fmt.Errorf("__metadata__: %w", err)
			}
			return nil
		}
		t := &stTensor{name: key}
		tensors = append(tensors, t)
		var haveDtype, haveShape, haveOffsets bool
		err := object(dec, func(k string) error {
			switch k {
			case "dtype":
				v, err := dec.Token()
				s, ok := v.(string)
				if err != nil || !ok {
					return errors.New("dtype is not a string")
				}
				t.dtype, haveDtype = s, true
			case "shape":
				v, err := ints(dec, "shape", -1)
				if err != nil {
					return err
				}
				t.shape, haveShape = make([]int, len(v)), true
				for i, x := range v {
					t.shape[i] = int(x)
				}
			case "data_offsets":
				v, err := ints(dec, "data_offsets", 2)
				if err != nil {
					return err
				}
				t.begin, t.end, haveOffsets = v[0], v[1], true
			default:
				return fmt.Errorf("unknown field %q", k)
			}
			return nil
		})
		if err == nil && (!haveDtype || !haveShape || !haveOffsets) {
			err = errors.New("needs dtype, shape and data_offsets")
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		return nil
	})
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(bytes.Trim(head[dec.InputOffset():], " ")) != 0 {
		return nil, nil, errors.New("text after the JSON object")
	}
	return tensors, meta, nil
}

// object reads one JSON object from dec, calling field for each key with
// dec positioned at its value; a repeated key is an error.
func object(dec *json.Decoder, field func(key string) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected an object, got %v", tok)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("expected a key, got %v", tok)
		}
		if seen[key] {
			return fmt.Errorf("key %q repeated", key)
		}
		seen[key] = true
		if err := field(key); err != nil {
			return err
		}
	}
	_, err = dec.Token() // the closing '}'
	return err
}

// ints reads a JSON array of non-negative integers (exactly n if n ≥ 0,
// at most 32 otherwise).
func ints(dec *json.Decoder, what string, n int) ([]int64, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("%s is not an array", what)
	}
	var v []int64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%s holds %v, not an integer", what, tok)
		}
		x, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil || x < 0 || x > maxElements {
			return nil, fmt.Errorf("%s holds %s, not an integer 0…2^52", what, num)
		}
		if v = append(v, x); len(v) > 32 {
			return nil, fmt.Errorf("%s has more than 32 entries", what)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if n >= 0 && len(v) != n {
		return nil, fmt.Errorf("%s has %d entries, not %d", what, len(v), n)
	}
	return v, nil
}
