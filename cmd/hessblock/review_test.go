package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bare -h lists the commands (it used to print only reproduce's flags,
// hiding the other commands); "help COMMAND" is "COMMAND -h".
func TestTopLevelHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		code, stdout, _ := runCmd(t, arg)
		if code != 0 || !strings.Contains(stdout, "commands:") || !strings.Contains(stdout, "sweep") {
			t.Errorf("%s: exit %d, stdout:\n%s", arg, code, stdout)
		}
	}
	code, _, stderr := runCmd(t, "help", "inspect")
	if code != 0 || !strings.Contains(stderr, "usage: hessblock inspect") || !strings.Contains(stderr, "-max-dense-bytes") {
		t.Errorf("help inspect: exit %d, stderr:\n%s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "help", "nosuch"); code != 2 || !strings.Contains(stderr, `unknown command "nosuch"`) {
		t.Errorf("help nosuch: exit %d, stderr:\n%s", code, stderr)
	}
}

var tinyTrain = []string{"train", "-data", "gaussian", "-N", "40", "-d", "5", "-C", "3", "-m", "3",
	"-steps", "4", "-checkpoints", "0,4", "-batch", "8", "-lanczos", "6", "-eig", "1"}

// train -json and -o are byte-identical for the same flags (the wall time
// used to be in the JSON), and the recorded spec agrees with itself.
func TestTrainJSONByteIdentical(t *testing.T) {
	dir := t.TempDir()
	var outs [2]string
	for i := range outs {
		f := filepath.Join(dir, []string{"a.json", "b.json"}[i])
		code, stdout, stderr := runCmd(t, append(append([]string{}, tinyTrain...), "-json", "-o", f)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		file, err := os.ReadFile(f)
		if err != nil || string(file) != stdout {
			t.Errorf("-o file differs from the printed JSON (err %v)", err)
		}
		outs[i] = stdout
	}
	if outs[0] != outs[1] {
		t.Error("two runs with the same flags printed different JSON")
	}
	if strings.Contains(outs[0], "seconds") {
		t.Error("the JSON holds the wall time, so it cannot be reproduced byte for byte")
	}
	var doc struct {
		Spec struct {
			N, D, C int
			Seed    uint64 `json:"seed"`
			Model   struct {
				C int `json:"C"`
				D int `json:"d"`
				N int `json:"N"`
			} `json:"model"`
			Stats map[string]any `json:"stats"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(outs[0]), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Spec
	if s.Model.C != 3 || s.Model.D != 5 || s.Model.N != 40 || s.C != 3 || s.D != 5 || s.N != 40 {
		t.Errorf("spec sizes C, d, N = %d, %d, %d; spec.model's = %d, %d, %d; want 3, 5, 40 in both",
			s.C, s.D, s.N, s.Model.C, s.Model.D, s.Model.N)
	}
	if _, ok := s.Stats["Method"]; ok {
		t.Errorf("stats options printed with Go field names: %v", s.Stats)
	}
	if s.Stats["seed"] != float64(1) || s.Stats["method"] != "auto" {
		t.Errorf("stats options %v, want method auto and the run's seed 1", s.Stats)
	}
}

// Bad values of train's data flags are usage errors (exit 2), found before
// anything is printed or trained.
func TestTrainFlagValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-data", "clustered", "-radius", "NaN"}, "-radius NaN"},
		{[]string{"-data", "clustered", "-spread", "-1"}, "-spread -1"},
		{[]string{"-data", "clustered", "-radius", "+Inf"}, "-radius +Inf"},
		{[]string{"-data", "gaussian", "-eig", "-1"}, "want ≥ 0"},
		{[]string{"-data", "gaussian", "-lanczos", "0"}, "want > 0"},
	} {
		code, stdout, stderr := runCmd(t, append([]string{"train"}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want 2 and %q", tc.args, code, stderr, stdout, tc.want)
		}
	}
	// -eig 0 is documented as "none" and must be accepted.
	args := append(append([]string{}, tinyTrain...), "-eig", "0")
	if code, _, stderr := runCmd(t, args...); code != 0 {
		t.Errorf("-eig 0: exit %d: %s", code, stderr)
	}
}

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
