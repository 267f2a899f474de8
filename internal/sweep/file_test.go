package sweep

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Only a tail that an interrupted append can leave is dropped: a prefix of
// a record, or zero bytes. Anything else means -o names a file that is not
// a sweep file, and Run must refuse it rather than truncate it away.
func TestDamagedTailNotDropped(t *testing.T) {
	dir := t.TempDir()
	pts := mustExpand(t, tinySpec())[:2]
	path := filepath.Join(dir, "a.jsonl")
	if _, err := Run(context.Background(), path, pts[:1], Options{}); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	for _, tc := range []struct {
		name string
		tail string
		drop bool // the tail is dropped and the run resumes
	}{
		{"record prefix", `{"key":"linear/ce/C=`, true},
		{"short prefix", `{"k`, true},
		{"zero bytes", "\x00\x00\x00\x00", true},
		{"text without newline", "my notes", false},
		{"text line", "my notes\n", false},
		{"broken record with newline", `{"key":"x` + "\n", false},
	} {
		for _, prefix := range [][]byte{nil, good} {
			data := append(append([]byte(nil), prefix...), tc.tail...)
			os.WriteFile(path, data, 0o644)
			st, err := Run(context.Background(), path, pts, Options{})
			after, _ := os.ReadFile(path)
			if tc.drop {
				if err != nil || !st.Dropped {
					t.Errorf("%s after %d bytes: err %v, stats %+v; want the tail dropped", tc.name, len(prefix), err, st)
				}
				continue
			}
			if err == nil || !bytes.Equal(after, data) {
				t.Errorf("%s after %d bytes: err %v, file changed %v; want an error and the file untouched", tc.name, len(prefix), err, !bytes.Equal(after, data))
			}
			if _, _, err := Merge(pts, map[string][]byte{"f": data}); err == nil || IsMergeError(err) {
				t.Errorf("%s after %d bytes: Merge err %v, want a parse error", tc.name, len(prefix), err)
			}
		}
	}
}

// An invalid value is reported once with the number of points it spoils,
// not once per point.
func TestExpandGroupsErrors(t *testing.T) {
	s := tinySpec()
	s.C = []int{1, 2, 2}
	_, err := s.Expand()
	if err == nil {
		t.Fatal("invalid spec accepted")
	}
	msg := err.Error()
	if n := bytes.Count([]byte(msg), []byte("\n")) + 1; n != 2 {
		t.Errorf("%d error lines, want 2 (C = 1; repeated C = 2):\n%s", n, msg)
	}
	if !bytes.Contains([]byte(msg), []byte("more points")) || !bytes.Contains([]byte(msg), []byte("appears twice")) {
		t.Errorf("error lacks a count or the duplicate:\n%s", msg)
	}
}

// Found by FuzzReadFile: encoding/json matches field names
// case-insensitively and keeps the last of a repeated field, so lines
// that are not what sweep writes used to be accepted (and carried into a
// merge, which then differed from the unsharded sweep). Only canonical
// lines are accepted now.
func TestNonCanonicalLineRefused(t *testing.T) {
	good := fuzzSeedFile(t)
	first := good[:bytes.IndexByte(good, '\n')+1]
	rest := good[len(first):]
	for _, tc := range []struct{ name, from, to string }{
		{"key case", `{"key":`, `{"KEY":`},
		{"field case", `"gamma":`, `"Gamma":`},
		{"repeated field", `"gamma":`, `"rho":9,"gamma":`},
		{"spacing", `"key":"`, `"key": "`},
	} {
		bad := bytes.Replace(first, []byte(tc.from), []byte(tc.to), 1)
		if bytes.Equal(bad, first) {
			t.Fatalf("%s: replacement did not apply", tc.name)
		}
		data := append(append([]byte(nil), rest...), bad...)
		if _, err := parseFile("f", data); err == nil || !strings.Contains(err.Error(), "canonical") {
			t.Errorf("%s: parseFile = %v, want a refusal naming the canonical form", tc.name, err)
		}
		if _, _, err := Merge(nil, map[string][]byte{"f": data}); err == nil || IsMergeError(err) {
			t.Errorf("%s: Merge = %v, want the reader's refusal", tc.name, err)
		}
	}
	if _, err := parseFile("f", good); err != nil {
		t.Fatal(err)
	}
}
