package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// Line is one parsed line of a sweep file.
type Line struct {
	Record Record
	Raw    []byte // the line without its newline
}

// File is the parsed content of a sweep file.
type File struct {
	Lines []Line
	// ValidLen is the length of the prefix made of complete, valid lines.
	ValidLen int64
	// Truncated reports a final line cut short by a kill (no newline, or
	// not valid JSON); it is not in Lines.
	Truncated bool
}

// ReadFile parses a sweep file. A missing file is an empty one. Only the
// last line may be damaged (a kill during a write); damage elsewhere, a
// line whose key does not match its config, or a repeated key is an error.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, err
	}
	return parseFile(path, data)
}

func parseFile(path string, data []byte) (*File, error) {
	f := &File{}
	seen := map[string]int{}
	lineNo := 0
	for off := 0; off < len(data); {
		lineNo++
		end := bytes.IndexByte(data[off:], '\n')
		last := end < 0
		if last {
			end = len(data) - off
		}
		raw := data[off : off+end]
		var rec Record
		err := decodeStrict(raw, &rec)
		if err == nil && rec.Key == "" {
			err = errors.New("no key")
		}
		if err == nil {
			err = checkCanonical(raw, rec)
		}
		if last && looksTruncated(raw) {
			// A final line without its newline is what a kill leaves
			// behind (each line is one write ending in the newline): drop
			// it, even if it parses, since its write did not complete.
			f.Truncated = true
			return f, nil
		}
		if last || err != nil {
			// Anything else is not a kill artefact, and dropping it could
			// destroy a file that is not a sweep file at all (-o pointed
			// at the wrong file): refuse.
			if err == nil {
				err = errors.New("no newline at the end")
			}
			where := "in the middle of the file"
			if off+end >= len(data)-1 {
				where = "at the end of the file"
			}
			return nil, fmt.Errorf("sweep: %s:%d: damaged line %s (%v); is it a sweep file?", path, lineNo, where, err)
		}
		if k := Key(rec.Config); k != rec.Key {
			return nil, fmt.Errorf("sweep: %s:%d: key %q does not match its config (%q)", path, lineNo, rec.Key, k)
		}
		if prev, dup := seen[rec.Key]; dup {
			return nil, fmt.Errorf("sweep: %s:%d: point %s already on line %d", path, lineNo, rec.Key, prev)
		}
		seen[rec.Key] = lineNo
		f.Lines = append(f.Lines, Line{Record: rec, Raw: append([]byte(nil), raw...)})
		off += end + 1
		f.ValidLen = int64(off)
	}
	return f, nil
}

// recordStart is how every line MarshalRecord writes begins.
const recordStart = `{"key":"`

// looksTruncated reports whether raw, a final line without its newline,
// can be what an interrupted append leaves: a prefix of a record, or the
// zero bytes a crash can leave where the data had not reached the disk.
func looksTruncated(raw []byte) bool {
	if bytes.HasPrefix(raw, []byte(recordStart)) || bytes.HasPrefix([]byte(recordStart), raw) {
		return true
	}
	return len(bytes.Trim(raw, "\x00")) == 0
}

// checkCanonical requires raw to be the bytes MarshalRecord writes for
// rec. encoding/json matches field names case-insensitively and keeps the
// last of repeated fields, so a line such as {"KEY":…} or one with a field
// twice decodes without error; carried through by merge, it would make the
// merged file differ from the one an unsharded sweep writes.
func checkCanonical(raw []byte, rec Record) error {
	want, err := MarshalRecord(rec)
	if err != nil {
		return err
	}
	if !bytes.Equal(raw, want[:len(want)-1]) {
		return errors.New("not the canonical form sweep writes (field names are case-sensitive, each appears once, in a fixed order)")
	}
	return nil
}

func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// Keys returns the set of keys in f.
func (f *File) Keys() map[string]bool {
	k := make(map[string]bool, len(f.Lines))
	for _, l := range f.Lines {
		k[l.Record.Key] = true
	}
	return k
}

// MarshalRecord is the canonical one-line JSON form of a record, newline
// included.
func MarshalRecord(r Record) ([]byte, error) {
	if err := r.checkFinite(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
