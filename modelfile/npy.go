package modelfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header length field. numpy's own reader refuses
// headers over 10 000 bytes by default; a real header is about 128.
const maxNPYHeader = 1 << 16

// npyHeader is the decoded header of one .npy array.
type npyHeader struct {
	dt      dtype
	fortran bool
	shape   []int
	length  int64 // bytes from the start of the file to the first element
}

// readNPYHeader reads and checks the header at the start of r. name is
// the array's name, for messages.
func readNPYHeader(r io.Reader, name string) (*npyHeader, error) {
	var pre [10]byte
	if _, err := io.ReadFull(r, pre[:8]); err != nil {
		return nil, fmt.Errorf("%s: not a .npy array: %s", name, eofMessage(err))
	}
	if string(pre[:6]) != npyMagic {
		return nil, fmt.Errorf("%s: not a .npy array (no \\x93NUMPY magic)", name)
	}
	major := pre[6]
	var hlen, start int64
	switch major {
	case 1:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, fmt.Errorf("%s: .npy header: %s", name, eofMessage(err))
		}
		hlen, start = int64(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%s: .npy header: %s", name, eofMessage(err))
		}
		hlen, start = int64(binary.LittleEndian.Uint32(b[:])), 12
	default:
		return nil, fmt.Errorf("%s: .npy format version %d.%d is not supported (1.0, 2.0 and 3.0 are)", name, major, pre[7])
	}
	if hlen > maxNPYHeader {
		return nil, fmt.Errorf("%s: .npy header length %d is over the limit of %d bytes", name, hlen, maxNPYHeader)
	}
	text := make([]byte, hlen)
	if _, err := io.ReadFull(r, text); err != nil {
		return nil, fmt.Errorf("%s: .npy header (%d bytes): %s", name, hlen, eofMessage(err))
	}
	h, err := parseNPYDict(string(text))
	if err != nil {
		if len(text) > 200 {
			text = append(text[:200], "…"...)
		}
		return nil, fmt.Errorf("%s: .npy header %q: %v", name, text, err)
	}
	if _, err := elements(name, h.shape); err != nil {
		return nil, err
	}
	h.length = start + hlen
	return h, nil
}

func eofMessage(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "truncated"
	}
	return err.Error()
}

// parseNPYDict parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }, strictly:
// exactly the three keys, each once.
func parseNPYDict(s string) (*npyHeader, error) {
	p := &pyParser{s: s}
	if !p.eat('{') {
		return nil, errors.New("not a dict")
	}
	h := &npyHeader{}
	seen := map[string]bool{}
	for {
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, fmt.Errorf("key %q repeated", key)
		}
		seen[key] = true
		if !p.eat(':') {
			return nil, fmt.Errorf("no ':' after key %q", key)
		}
		switch key {
		case "descr":
			if p.peek() == '[' {
				return nil, errors.New("structured dtypes are not supported: W, b and X must be " + acceptedFloats + ", y " + acceptedInts)
			}
			d, err := p.str()
			if err != nil {
				return nil, fmt.Errorf("descr: %v", err)
			}
			if h.dt, err = parseDescr(d); err != nil {
				return nil, err
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.fortran = true
			case p.word("False"):
			default:
				return nil, errors.New("fortran_order is neither True nor False")
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return nil, fmt.Errorf("shape: %v", err)
			}
		default:
			return nil, fmt.Errorf("unknown key %q", key)
		}
		if p.eat(',') {
			continue
		}
		if !p.eat('}') {
			return nil, errors.New("expected ',' or '}'")
		}
		break
	}
	if strings.TrimSpace(p.s[p.i:]) != "" {
		return nil, errors.New("text after the dict")
	}
	if len(seen) != 3 {
		return nil, errors.New("needs the keys descr, fortran_order and shape")
	}
	return h, nil
}

// parseDescr maps a numpy type string such as '<f4' to a dtype. Every
// string parses (so that messages can name what was refused) except
// malformed ones.
func parseDescr(d string) (dtype, error) {
	if len(d) < 2 {
		return dtype{}, fmt.Errorf("descr %q is not a type string", d)
	}
	t := dtype{order: binary.LittleEndian, name: d}
	switch d[0] {
	case '<', '|', '=': // '=' is native order; hessblock runs on little-endian machines
	case '>':
		t.order = binary.BigEndian
	default:
		return dtype{}, fmt.Errorf("descr %q has no byte order character", d)
	}
	size, err := strconv.Atoi(d[2:])
	if err != nil || size <= 0 || size > 64 {
		// strings ('U', 'S' without a size), objects ('O'), datetimes ('M8[ns]')…
		t.kind, t.size = '?', 0
		return t, nil
	}
	t.size = size
	switch k := d[1]; k {
	case 'f', 'i', 'u', 'c', 'b':
		t.kind = k
		t.name = kindName(k, size)
	default:
		t.kind = '?'
	}
	return t, nil
}

// pyParser reads the few Python literals a .npy header uses.
type pyParser struct {
	s string
	i int
}

func (p *pyParser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *pyParser) peek() byte {
	p.skip()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *pyParser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) word(w string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a quoted string without escapes (numpy never writes any).
func (p *pyParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", errors.New("expected a quoted string")
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", errors.New("escapes in strings are not supported")
	}
	p.i += end + 2
	return v, nil
}

// tuple reads a tuple of non-negative ints: (), (3,), (3, 4).
func (p *pyParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, errors.New("expected a tuple")
	}
	shape := []int{}
	for {
		if p.eat(')') {
			return shape, nil
		}
		p.skip()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(p.s[p.i:j])
		if err != nil || n > maxElements {
			return nil, fmt.Errorf("dimension %q is not an integer 0…2^52", p.s[p.i:j])
		}
		p.i = j
		p.word("L") // Python 2 longs
		shape = append(shape, n)
		if len(shape) > 32 {
			return nil, errors.New("more than 32 dimensions")
		}
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, errors.New("expected ',' or ')'")
			}
			return shape, nil
		}
	}
}
