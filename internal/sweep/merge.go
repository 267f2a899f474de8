package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// MergeStats summarises a Merge.
type MergeStats struct {
	Points    int      // lines in the merged output
	Truncated []string // files whose truncated last line was ignored
}

// MergeError lists what is wrong with a set of shard files.
type MergeError struct {
	Missing    []string // grid points in no file
	Duplicated []string // points in more than one place
	Foreign    []string // points not in the grid
}

func (e *MergeError) Error() string {
	var parts []string
	list := func(what string, keys []string) {
		if len(keys) == 0 {
			return
		}
		shown := keys
		if len(shown) > 5 {
			shown = shown[:5]
		}
		s := fmt.Sprintf("%d %s: %s", len(keys), what, strings.Join(shown, ", "))
		if len(keys) > len(shown) {
			s += ", …"
		}
		parts = append(parts, s)
	}
	list("missing", e.Missing)
	list("duplicated", e.Duplicated)
	list("not in the grid", e.Foreign)
	return "sweep: merge: " + strings.Join(parts, "; ")
}

// Merge joins sweep files into one, in grid order, after checking that
// every point of pts appears exactly once and nothing else appears. A
// truncated last line (a killed run) is ignored and reported in the stats;
// the point it held then counts as missing.
func Merge(pts []Point, files map[string][]byte) ([]byte, MergeStats, error) {
	var st MergeStats
	lines := map[string][]byte{}
	where := map[string]string{}
	merr := &MergeError{}
	index := map[string]int{}
	for _, p := range pts {
		index[p.Key] = p.Index
	}
	for _, name := range sortedNames(files) {
		f, err := parseFile(name, files[name])
		if err != nil {
			return nil, st, err
		}
		if f.Truncated {
			st.Truncated = append(st.Truncated, name)
		}
		for _, l := range f.Lines {
			k := l.Record.Key
			if _, ok := index[k]; !ok {
				merr.Foreign = append(merr.Foreign, k+" ("+name+")")
				continue
			}
			if prev, dup := where[k]; dup {
				merr.Duplicated = append(merr.Duplicated, k+" ("+prev+", "+name+")")
				continue
			}
			where[k] = name
			lines[k] = l.Raw
		}
	}
	var b bytes.Buffer
	for _, p := range pts {
		raw, ok := lines[p.Key]
		if !ok {
			merr.Missing = append(merr.Missing, p.Key)
			continue
		}
		b.Write(raw)
		b.WriteByte('\n')
		st.Points++
	}
	if len(merr.Missing)+len(merr.Duplicated)+len(merr.Foreign) > 0 {
		return nil, st, merr
	}
	return b.Bytes(), st, nil
}

// IsMergeError reports whether err is a *MergeError.
func IsMergeError(err error) bool {
	var m *MergeError
	return errors.As(err, &m)
}

func sortedNames(m map[string][]byte) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	// Sorting makes the duplicate report independent of map order.
	sort.Strings(names)
	return names
}
