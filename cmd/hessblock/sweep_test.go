package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSweepShardsResumeMerge runs a small grid from a JSON spec in two
// shards, interrupts one by truncating its file mid-line, resumes it, and
// merges: the result must equal an unsharded, uninterrupted sweep.
func TestSweepShardsResumeMerge(t *testing.T) {
	dir := t.TempDir()
	spec := writeGrid(t, dir, `{"models":["linear","mlp"],"losses":["ce"],"activations":["tanh"],
		"C":[2,4],"d":[5],"N":[20],"m":[3],"sigma":[0.5],"sigma_w":[1],"sigma_v":[1],"seeds":[7,8]}`)
	full := filepath.Join(dir, "full.jsonl")
	if code, _, e := runCmd(t, "sweep", "-spec", spec, "-o", full, "-quiet"); code != 0 {
		t.Fatal(e)
	}
	s1, s2 := filepath.Join(dir, "s1.jsonl"), filepath.Join(dir, "s2.jsonl")
	for i, f := range []string{s1, s2} {
		if code, _, e := runCmd(t, "sweep", "-spec", spec, "-o", f, "-shard", []string{"1/2", "2/2"}[i], "-quiet"); code != 0 {
			t.Fatal(e)
		}
	}
	raw, _ := os.ReadFile(s2)
	os.WriteFile(s2, raw[:len(raw)/2], 0o644) // killed mid-write
	if code, _, _ := runCmd(t, "merge", "-spec", spec, "-o", filepath.Join(dir, "bad.jsonl"), "-quiet", s1, s2); code != 1 {
		t.Errorf("merging an interrupted shard: exit %d, want 1", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.jsonl")); err == nil {
		t.Error("a failed merge wrote its output")
	}
	code, _, e := runCmd(t, "sweep", "-spec", spec, "-o", s2, "-shard", "2/2")
	if code != 0 || !strings.Contains(e, "truncated") {
		t.Errorf("resume: exit %d, stderr %q", code, e)
	}
	merged := filepath.Join(dir, "merged.jsonl")
	if code, _, e := runCmd(t, "merge", "-spec", spec, "-o", merged, "-quiet", s1, s2); code != 0 {
		t.Fatal(e)
	}
	a, _ := os.ReadFile(full)
	b, _ := os.ReadFile(merged)
	if !bytes.Equal(a, b) || len(a) == 0 {
		t.Error("merged resumed shards differ from the uninterrupted sweep")
	}
	// -n lists the shard's points as done.
	_, out, _ := runCmd(t, "sweep", "-spec", spec, "-o", s2, "-shard", "2/2", "-n")
	if strings.Contains(out, "todo") || !strings.Contains(out, "done\tmlp/tanh/ce/C=2") {
		t.Errorf("-n output %q", out)
	}
}

func TestSweepFlagErrors(t *testing.T) {
	dir := t.TempDir()
	badSpec := filepath.Join(dir, "bad.json")
	os.WriteFile(badSpec, []byte(`{"models":["linear"],"colours":[1]}`), 0o644)
	for _, args := range [][]string{
		{"sweep", "-C", "2,x"},
		{"sweep", "-C", "1"},
		{"sweep", "-model", "cnn"},
		{"sweep", "-shard", "3/2"},
		{"sweep", "-shard", "1"},
		{"sweep", "-j", "0"},
		{"sweep", "-spec", badSpec},
		{"sweep", "-spec", filepath.Join(dir, "missing.json")},
		{"sweep", "-spec", badSpec, "-C", "4"},
		{"sweep", "-seeds", "-1"},
		{"merge"},
		{"merge", "-C", "x", "f.jsonl"},
		{"merge", "a.jsonl", "a.jsonl"},
	} {
		code, _, e := runCmd(t, args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, e)
		}
		if e == "" {
			t.Errorf("%q: no message", args)
		}
	}
}

func TestSweepListAndSummaryErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "s.jsonl")
	// An empty list item is a typo, not a value to skip.
	code, _, stderr := runCmd(t, "sweep", "-model", "linear", "-C", "2,,4", "-o", out)
	if code != 2 || !strings.Contains(stderr, "empty value") {
		t.Errorf("-C 2,,4: exit %d, stderr %q", code, stderr)
	}
	// One bad value is reported once, not once per grid point.
	code, _, stderr = runCmd(t, "sweep", "-C", "1,2", "-seeds", "1,2,3,4,5", "-o", out)
	if code != 2 || strings.Count(stderr, "C = 1 classes") != 1 || !strings.Contains(stderr, "and 19 more points") {
		t.Errorf("-C 1,2: exit %d, want one line for the 20 points with C = 1:\n%s", code, stderr)
	}
	// A run that cannot open its output prints the error, not a summary
	// claiming 0 points measured.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	code, _, stderr = runCmd(t, "sweep", "-model", "linear", "-C", "2", "-o", filepath.Join(file, "s.jsonl"))
	if code != 1 || strings.Contains(stderr, "measured") {
		t.Errorf("unwritable -o: exit %d, stderr %q", code, stderr)
	}
	// A one-line file that is not a sweep file is refused, not emptied as
	// if it were a truncated last line.
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("my notes\n"), 0o644)
	code, _, stderr = runCmd(t, "sweep", "-model", "linear", "-C", "2", "-o", notes)
	if got, _ := os.ReadFile(notes); code != 1 || !bytes.Equal(got, []byte("my notes\n")) {
		t.Errorf("-o on a non-sweep file: exit %d, file now %q, stderr %q", code, got, stderr)
	}
}

// -j beyond the bound is a usage error, not a goroutine storm (issue 14, D7).
func TestSweepWorkersBounded(t *testing.T) {
	if code, _, stderr := runCmd(t, "sweep", "-j", "100000000", "-o", filepath.Join(t.TempDir(), "s.jsonl")); code != 2 || !strings.Contains(stderr, "-j") {
		t.Errorf("-j 1e8: exit %d, stderr %q; want 2 naming -j", code, stderr)
	}
}

// merge refuses to write over one of its inputs (issue 14, D13).
func TestMergeRefusesOwnInput(t *testing.T) {
	dir := t.TempDir()
	s1 := filepath.Join(dir, "s1.jsonl")
	if code, _, stderr := runCmd(t, "sweep", "-quiet", "-model", "linear", "-C", "2", "-d", "3", "-N", "6", "-seeds", "1", "-o", s1); code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, stderr)
	}
	before, _ := os.ReadFile(s1)
	code, _, stderr := runCmd(t, "merge", "-model", "linear", "-C", "2", "-d", "3", "-N", "6", "-seeds", "1", "-o", s1, s1)
	if code != 2 || !strings.Contains(stderr, "one of the input files") {
		t.Errorf("merge -o onto its input: exit %d, stderr %q; want 2", code, stderr)
	}
	if after, _ := os.ReadFile(s1); !bytes.Equal(before, after) {
		t.Error("the input file changed")
	}
}

// Lists for a model the grid does not hold are usage errors, not silently
// ignored (issue 14, D10).
func TestSweepListsThatDoNotApply(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s.jsonl")
	checkUsage(t, func(args []string) []string {
		return append(append([]string{"sweep", "-n", "-o", out}, args...), "-C", "2", "-seeds", "1")
	}, []usageCase{
		{[]string{"-model", "mlp", "-sigma", "5,7"}, "-sigma is for the linear model"},
		{[]string{"-model", "linear", "-act", "tanh"}, "-activation is for the MLP"},
		{[]string{"-model", "linear", "-m", "0"}, "-m is for the MLP"},
	})
}

// An empty shard says so on stderr and succeeds.
func TestSweepEmptyShardWarns(t *testing.T) {
	code, _, stderr := runCmd(t, "sweep", "-quiet", "-model", "linear", "-loss", "ce", "-C", "2", "-seeds", "1", "-shard", "2/2", "-o", filepath.Join(t.TempDir(), "s.jsonl"))
	if code != 0 || !strings.Contains(stderr, "is empty") {
		t.Errorf("empty shard: exit %d, stderr %q; want 0 and a warning", code, stderr)
	}
}

// writeGrid writes a -spec grid file into dir and returns its path.
func writeGrid(t *testing.T, dir, spec string) string {
	t.Helper()
	path := filepath.Join(dir, "grid.json")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// -curvature adds the G/Hres split to every line; without it the lines
// are those sweep always wrote.
func TestSweepCurvature(t *testing.T) {
	dir := t.TempDir()
	grid := []string{"-model", "linear,mlp", "-activation", "tanh", "-C", "2", "-d", "3", "-N", "10", "-m", "2", "-seeds", "1", "-quiet"}
	with, without := filepath.Join(dir, "with.jsonl"), filepath.Join(dir, "without.jsonl")
	if code, _, e := runCmd(t, append([]string{"sweep", "-o", with, "-curvature"}, grid...)...); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := runCmd(t, append([]string{"sweep", "-o", without}, grid...)...); code != 0 {
		t.Fatal(e)
	}
	a, _ := os.ReadFile(with)
	b, _ := os.ReadFile(without)
	la, lb := strings.Split(strings.TrimSpace(string(a)), "\n"), strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(la) != 4 || len(lb) != 4 {
		t.Fatalf("%d and %d lines, want 4", len(la), len(lb))
	}
	for i := range la {
		head, _, ok := strings.Cut(la[i], `,"curvature":{"gauss_newton":`)
		if !ok || head+"}" != lb[i] || strings.Contains(lb[i], "curvature") {
			t.Errorf("line %d:\n%s\n%s\nwant the second to be the first without its split", i, la[i], lb[i])
		}
	}
	if code, _, e := runCmd(t, append([]string{"merge", "-o", filepath.Join(dir, "m.jsonl")}, append(grid[:len(grid)-1], with)...)...); code != 0 {
		t.Errorf("merge of a -curvature file: %s", e)
	}
}
