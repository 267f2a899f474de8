package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/internal/atomicfile"
)

// An output path that cannot be written fails at once with exit 1, before
// the computation (it used to fail only after it).
func TestUnwritableOutputFailsFirst(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	under := filepath.Join(file, "sub") // a path below a regular file
	for _, args := range [][]string{
		{"reproduce", "-quick", "-quiet", "-out", under},
		append(append([]string{}, tinyTrain...), "-o", filepath.Join(under, "r.json")),
		append(append([]string{}, tinyTrain...), "-o", dir), // a directory
		{"inspect", "-C", "3", "-d", "4", "-N", "10", "-npy", under},
		{"inspect", "-C", "3", "-d", "4", "-N", "10", "-fig", under},
	} {
		code, stdout, stderr := runCmd(t, args...)
		if code != 1 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 1 and a message", args, code, stderr)
		}
		if stdout != "" {
			t.Errorf("%v: ran before failing; stdout:\n%s", args, stdout)
		}
	}
	if got, _ := os.ReadFile(file); string(got) != "x" {
		t.Error("the regular file in the way was changed")
	}
}

func TestEmptyOutputNames(t *testing.T) {
	for _, args := range [][]string{
		{"reproduce", "-quick", "-out", ""},
		{"sweep", "-o", ""},
		{"merge", "-o", "", "x.jsonl"},
	} {
		if code, _, stderr := runCmd(t, args...); code != 2 || !strings.Contains(stderr, "empty") {
			t.Errorf("%q: exit %d, stderr %q; want 2", args, code, stderr)
		}
	}
}

// entries lists the files below dir, relative and sorted.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func has(list []string, name string) bool {
	for _, s := range list {
		if s == name {
			return true
		}
	}
	return false
}

// D4: a second inspect into the same -npy or -fig directory with other
// flags leaves exactly its own files; the earlier run's hessian.npy, V.npy
// or figures are gone.
func TestInspectDirsDoNotMixRuns(t *testing.T) {
	npy, fig := filepath.Join(t.TempDir(), "npy"), filepath.Join(t.TempDir(), "fig")
	first := []string{"inspect", "-model", "mlp", "-C", "3", "-d", "4", "-N", "10", "-m", "2", "-npy", npy, "-fig", fig}
	if code, _, stderr := runCmd(t, first...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if e := entries(t, npy); !has(e, "hessian.npy") || !has(e, "V.npy") {
		t.Fatalf("first run wrote %q", e)
	}
	if e := entries(t, fig); !has(e, "heatmap.png") {
		t.Fatalf("first run drew %q", e)
	}
	// Linear model, C = 5, H over the memory guard: no H, no V, no figures.
	second := []string{"inspect", "-C", "5", "-d", "4", "-N", "10", "-max-dense-bytes", "100", "-npy", npy, "-fig", fig}
	if code, _, stderr := runCmd(t, second...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	e := entries(t, npy)
	for _, stale := range []string{"hessian.npy", "V.npy"} {
		if has(e, stale) {
			t.Errorf("%s of the first run survives beside the second's files %q", stale, e)
		}
	}
	if !has(e, "config.json") || !has(e, "W.npy") {
		t.Errorf("second run's files missing: %q", e)
	}
	if e := entries(t, fig); len(e) != 1 || e[0] != atomicfile.Marker {
		t.Errorf("figure directory holds %q after a run that draws none", e)
	}
	// No temporary directories are left beside them.
	if e, _ := os.ReadDir(filepath.Dir(npy)); len(e) != 1 {
		t.Errorf("%d entries beside -npy, want 1", len(e))
	}
}

// D4 for reproduce: files of an earlier run that this one does not write
// (dynamic_* after a run without -dynamic) are gone.
func TestReproduceReplacesDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs reproduce -quick")
	}
	dir := filepath.Join(t.TempDir(), "out")
	stale := filepath.Join(dir, "figures", "dynamic_mnist.png")
	os.MkdirAll(filepath.Dir(stale), 0o755)
	os.WriteFile(filepath.Join(dir, atomicfile.Marker), nil, 0o644) // an earlier hessblock run
	os.WriteFile(stale, []byte("old"), 0o644)
	if code, _, stderr := runCmd(t, "reproduce", "-quick", "-quiet", "-o", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("a figure of the earlier run survives")
	}
	if e := entries(t, dir); !has(e, "report.md") || !has(e, filepath.Join("data", "points.jsonl")) {
		t.Errorf("new run's files missing: %q", e)
	}
}

// A directory holding files hessblock did not write (-o . in a project)
// is refused before any computation, exit 1, and nothing in it changes.
func TestForeignOutputDirectoryRefused(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "notes.txt")
	os.WriteFile(mine, []byte("mine"), 0o644)
	for _, args := range [][]string{
		{"reproduce", "-quick", "-quiet", "-o", dir},
		{"inspect", "-C", "3", "-d", "4", "-N", "10", "-npy", dir},
		{"inspect", "-C", "3", "-d", "4", "-N", "10", "-fig", dir},
	} {
		code, stdout, stderr := runCmd(t, args...)
		if code != 1 || !strings.Contains(stderr, "hessblock did not write") || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 1 and a refusal", args, code, stdout, stderr)
		}
	}
	if e := entries(t, dir); len(e) != 1 {
		t.Errorf("directory holds %q, want only notes.txt", e)
	}
}

// A failed run leaves nothing: no empty -npy directory, no parents of a
// train -o file.
func TestFailedRunLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	npy := filepath.Join(parent, "a", "npy")
	// A usage error; and a run that fails after the output check (the
	// structured statistics need too much memory).
	runCmd(t, "inspect", "-C", "3", "-d", "4", "-N", "10", "-npy", npy, "-nosuchflag")
	runCmd(t, "inspect", "-C", "20000", "-d", "64", "-N", "200000", "-npy", npy) // structured arrays over the limit
	if e, _ := os.ReadDir(parent); len(e) != 0 {
		t.Errorf("failed runs left %v", e)
	}
}

// Memory-guard errors name the command's flags, not library fields
// (issue 14: hints naming Problem.MaxStructuredBytes).
func TestMemoryGuardHintsNameFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "-C", "20000", "-d", "64", "-N", "200000"}, "would fit"},
		{[]string{"train", "-data", "gaussian", "-N", "50", "-d", "2000", "-C", "300", "-m", "20", "-steps", "1", "-stats", "dense"}, "-stats structured"},
	} {
		code, _, stderr := runCmd(t, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "Problem.") || strings.Contains(stderr, "StatsSampled") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and a hint naming %s", tc.args, code, stderr, tc.want)
		}
	}
}
