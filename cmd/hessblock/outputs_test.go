package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
