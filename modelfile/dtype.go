package modelfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// dtype is an element type as a file declares it. Only kind 'f' with size
// 4 or 8 (weights, biases, X) and kinds 'i' and 'u' with sizes 1, 2, 4, 8
// (labels) are ever decoded; the others exist to name what was refused.
type dtype struct {
	kind  byte // 'f' float, 'i' signed, 'u' unsigned, 'b' bool, 'c' complex, '?' other
	size  int  // bytes per element
	order binary.ByteOrder
	name  string // numpy-style name for messages: float32, int64, bool, …
}

func (t dtype) isFloat() bool { return t.kind == 'f' && (t.size == 4 || t.size == 8) }

func (t dtype) isInt() bool {
	return (t.kind == 'i' || t.kind == 'u') && (t.size == 1 || t.size == 2 || t.size == 4 || t.size == 8)
}

// acceptedFloats and acceptedInts are the dtype lists the messages quote.
const (
	acceptedFloats = "float32 or float64"
	acceptedInts   = "an integer dtype (int8, int16, int32, int64, uint8, uint16, uint32, uint64)"
)

// kindName gives the numpy-style name of a kind and size.
func kindName(kind byte, size int) string {
	switch kind {
	case 'f':
		return fmt.Sprintf("float%d", 8*size)
	case 'i':
		return fmt.Sprintf("int%d", 8*size)
	case 'u':
		return fmt.Sprintf("uint%d", 8*size)
	case 'c':
		return fmt.Sprintf("complex%d", 8*size)
	case 'b':
		return "bool"
	}
	return "unknown"
}

// chunkBytes is the size of the one buffer array data is streamed
// through: large enough that the per-call overhead vanishes, small enough
// to be negligible next to any array worth a memory check.
const chunkBytes = 1 << 16

// target says where element k of the stream goes and how to name it.
type target struct {
	name       string // array name, for messages
	rows, cols int    // a 1-D array has rows = n, cols = 1
	fortran    bool   // the stream is column-major
}

// index maps the stream position k to the row-major destination index.
func (t target) index(k int) int {
	if !t.fortran || t.cols == 1 || t.rows == 1 {
		return k
	}
	return (k%t.rows)*t.cols + k/t.rows
}

// pos names destination index i for messages: [i] or [r,c].
func (t target) pos(i int) string {
	if t.cols == 1 {
		return fmt.Sprintf("[%d]", i)
	}
	return fmt.Sprintf("[%d,%d]", i/t.cols, i%t.cols)
}

// fillChunks reads exactly n elements of size bytes from r through buf
// and calls put(k0, b) for each chunk b holding elements k0, k0+1, ….
func fillChunks(r io.Reader, name string, n, size int, buf []byte, put func(k0 int, b []byte) error) error {
	per := len(buf) / size
	for k0 := 0; k0 < n; k0 += per {
		m := min(per, n-k0)
		b := buf[:m*size]
		if _, err := io.ReadFull(r, b); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return fmt.Errorf("%s: data truncated: the file ends within element %d of %d", name, k0+1, n)
			}
			return fmt.Errorf("%s: reading data: %w", name, err)
		}
		if err := put(k0, b); err != nil {
			return err
		}
	}
	return nil
}

// decodeFloats streams the elements of a float32 or float64 array into
// dst (len = rows·cols, row-major), refusing NaN and ±Inf.
func decodeFloats(r io.Reader, t dtype, tg target, dst []float64, buf []byte) error {
	fast := t.order == binary.LittleEndian && (!tg.fortran || tg.rows == 1 || tg.cols == 1)
	return fillChunks(r, tg.name, len(dst), t.size, buf, func(k0 int, b []byte) error {
		if fast {
			// The common case, in a loop the compiler can keep tight:
			// v−v ≠ 0 exactly for NaN and ±Inf.
			d := dst[k0 : k0+len(b)/t.size]
			bad := false
			if t.size == 4 {
				for j := range d {
					v := float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:])))
					bad = bad || v-v != 0
					d[j] = v
				}
			} else {
				for j := range d {
					v := math.Float64frombits(binary.LittleEndian.Uint64(b[8*j:]))
					bad = bad || v-v != 0
					d[j] = v
				}
			}
			if !bad {
				return nil
			}
			for j, v := range d {
				if v-v != 0 {
					return fmt.Errorf("%s%s is %v: the file must hold finite numbers only", tg.name, tg.pos(k0+j), v)
				}
			}
		}
		for j := 0; j*t.size < len(b); j++ {
			var v float64
			if t.size == 4 {
				v = float64(math.Float32frombits(t.order.Uint32(b[4*j:])))
			} else {
				v = math.Float64frombits(t.order.Uint64(b[8*j:]))
			}
			i := tg.index(k0 + j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s%s is %v: the file must hold finite numbers only", tg.name, tg.pos(i), v)
			}
			dst[i] = v
		}
		return nil
	})
}

// decodeLabels streams integer labels into dst, refusing any outside
// 0…classes−1 (why names where classes comes from).
func decodeLabels(r io.Reader, t dtype, tg target, dst []int, classes int, why string, buf []byte) error {
	return fillChunks(r, tg.name, len(dst), t.size, buf, func(k0 int, b []byte) error {
		for j := 0; j*t.size < len(b); j++ {
			e := b[j*t.size:]
			var v int64
			var big bool // an unsigned value beyond int64
			switch t.size {
			case 1:
				v = int64(e[0])
				if t.kind == 'i' {
					v = int64(int8(e[0]))
				}
			case 2:
				u := t.order.Uint16(e)
				v = int64(u)
				if t.kind == 'i' {
					v = int64(int16(u))
				}
			case 4:
				u := t.order.Uint32(e)
				v = int64(u)
				if t.kind == 'i' {
					v = int64(int32(u))
				}
			case 8:
				u := t.order.Uint64(e)
				v = int64(u)
				big = t.kind == 'u' && u > math.MaxInt64
			}
			i := k0 + j
			if big || v < 0 || v >= int64(classes) {
				s := fmt.Sprint(v)
				if big {
					s = fmt.Sprint(t.order.Uint64(e))
				}
				return fmt.Errorf("%s[%d] = %s is not a class label 0…%d (%s)", tg.name, i, s, classes-1, why)
			}
			dst[i] = int(v)
		}
		return nil
	})
}
