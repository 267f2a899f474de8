package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// names lists the entries of dir, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func fillWith(files ...string) func(string) error {
	return func(tmp string) error {
		for _, f := range files {
			if err := WriteFile(filepath.Join(tmp, f), []byte(f)); err != nil {
				return err
			}
		}
		return nil
	}
}

// A second run replaces the whole directory: files only the first run
// wrote are gone (D4), and nothing is left beside it.
func TestDirReplacesWholeDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if err := Dir(dir, fillWith("a", "sub/b")); err != nil {
		t.Fatal(err)
	}
	if err := Dir(dir, fillWith("c")); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); len(got) != 2 || got[0] != Marker || got[1] != "c" {
		t.Errorf("after the second run the directory holds %q, want [%s c]", got, Marker)
	}
	if got := names(t, parent); len(got) != 1 {
		t.Errorf("parent holds %q, want only out", got)
	}
}

// A failing fill or a failing swap leaves the old directory intact and no
// temporary behind (D3).
func TestDirFailureKeepsOld(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	if err := Dir(dir, fillWith("a")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
		}
		if got := names(t, dir); len(got) != 2 || got[1] != "a" {
			t.Errorf("%s: directory holds %q, want the old run's", what, got)
		}
		if got := names(t, parent); len(got) != 1 {
			t.Errorf("%s: parent holds %q, want only out", what, got)
		}
	}
	check("fill fails", Dir(dir, func(tmp string) error {
		fillWith("b")(tmp)
		return boom
	}))
	// The final rename fails (after the old one was moved aside).
	calls := 0
	rename = func(from, to string) error {
		calls++
		if calls == 2 {
			return boom
		}
		return os.Rename(from, to)
	}
	defer func() { rename = os.Rename }()
	check("swap fails", Dir(dir, fillWith("b")))
	rename = os.Rename
	// A read-only parent: nothing can be created beside dir.
	if os.Getuid() != 0 {
		os.Chmod(parent, 0o555)
		defer os.Chmod(parent, 0o755)
		check("read-only parent", Dir(dir, fillWith("b")))
		if err := CheckDir(dir); err == nil {
			t.Error("CheckDir accepted a directory in a read-only parent")
		}
	}
}

// A directory with files hessblock did not write is never replaced.
func TestDirRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "thesis.tex"), []byte("x"), 0o644)
	for _, err := range []error{CheckDir(dir), Dir(dir, fillWith("a"))} {
		if !errors.Is(err, ErrForeignDir) {
			t.Errorf("error %v, want ErrForeignDir", err)
		}
	}
	if got := names(t, dir); len(got) != 1 || got[0] != "thesis.tex" {
		t.Errorf("directory holds %q", got)
	}
	// An empty directory and a missing one are fine, and CheckDir creates
	// nothing.
	empty := t.TempDir()
	missing := filepath.Join(empty, "x", "y")
	if err := CheckDir(missing); err != nil {
		t.Error(err)
	}
	if got := names(t, empty); len(got) != 0 {
		t.Errorf("CheckDir left %q", got)
	}
	if err := Dir(empty, fillWith("a")); err != nil {
		t.Error(err)
	}
}
