package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the command line and returns its exit status and output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"nosuchcommand"}, `unknown command "nosuchcommand"`},
		{[]string{"inspect", "-nosuchflag"}, "flag provided but not defined: -nosuchflag"},
		{[]string{"inspect", "-C", "1"}, "C = 1 classes, want C ≥ 2"},
		{[]string{"inspect", "-C", "0"}, "want C ≥ 2"},
		{[]string{"inspect", "-C", "many"}, `invalid value "many" for flag -C`},
		{[]string{"inspect", "-model", "foo"}, `unknown model "foo"`},
		{[]string{"inspect", "-loss", "hinge"}, `unknown loss "hinge"`},
		{[]string{"inspect", "-model", "mlp", "-activation", "sigmoid"}, `unknown activation "sigmoid"`},
		{[]string{"inspect", "-activation", "relu"}, `activation "relu" given for the linear model`},
		{[]string{"inspect", "-m", "4"}, "-m is for the MLP (use -model mlp)"},
		{[]string{"inspect", "-model", "mlp", "-m", "0"}, "want m ≥ 1"},
		{[]string{"inspect", "-model", "mlp", "-sigma", "1"}, "-sigma is for the linear model"},
		{[]string{"inspect", "-sigma-w", "1"}, "-sigma-w is for the MLP"},
		{[]string{"inspect", "-sigma", "-1"}, "want a finite value ≥ 0"},
		{[]string{"inspect", "-sigma", "NaN"}, "sigma = NaN"},
		{[]string{"inspect", "-d", "-3"}, "input dimension d = -3"},
		{[]string{"inspect", "-N", "0"}, "sample count N = 0"},
		{[]string{"inspect", "-max-dense-bytes", "0"}, "-max-dense-bytes = 0"},
		{[]string{"inspect", "stray"}, `unexpected arguments: ["stray"]`},
		{[]string{"inspect", "-C", "3", "stray", "-d", "4"}, "unexpected arguments"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tc.args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not contain %q:\n%s", tc.want, stderr)
			}
			if !strings.Contains(stderr, "usage:") && !strings.Contains(stderr, "-h") {
				t.Errorf("stderr points to no usage:\n%s", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout is not empty:\n%s", stdout)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, _, stderr := runCmd(t, "inspect", "-h")
	if code != 0 {
		t.Errorf("inspect -h: exit status %d, want 0", code)
	}
	for _, want := range []string{
		"usage: hessblock inspect",
		"-model", "-activation", "-loss", "-C", "-d", "-N", "-m",
		"-sigma", "-sigma-w", "-sigma-v", "-seed", "-max-dense-bytes", "-json", "-npy",
		`(default "linear")`, `(default "relu")`, `(default "ce")`, "(default 10)", "(default 2147483648)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("inspect -h does not list %q:\n%s", want, stderr)
		}
	}

	code, stdout, _ := runCmd(t, "help")
	if code != 0 || !strings.Contains(stdout, "inspect") {
		t.Errorf("help: exit status %d, output:\n%s", code, stdout)
	}
}

// A bare -h lists the commands (it used to print only reproduce's flags,
// hiding the other commands); "help COMMAND" is "COMMAND -h".
func TestTopLevelHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		code, stdout, _ := runCmd(t, arg)
		if code != 0 || !strings.Contains(stdout, "commands:") || !strings.Contains(stdout, "sweep") {
			t.Errorf("%s: exit %d, stdout:\n%s", arg, code, stdout)
		}
	}
	// help COMMAND prints to stdout, like help (it used to use stderr).
	code, stdout, stderr := runCmd(t, "help", "inspect")
	if code != 0 || !strings.Contains(stdout, "usage: hessblock inspect") || !strings.Contains(stdout, "-max-dense-bytes") || stderr != "" {
		t.Errorf("help inspect: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if code, _, stderr := runCmd(t, "help", "nosuch"); code != 2 || !strings.Contains(stderr, `unknown command "nosuch"`) {
		t.Errorf("help nosuch: exit %d, stderr:\n%s", code, stderr)
	}
}

var tinyTrain = []string{"train", "-data", "gaussian", "-N", "40", "-d", "5", "-C", "3", "-m", "3",
	"-steps", "4", "-checkpoints", "0,4", "-batch", "8", "-lanczos", "6", "-eig", "1"}

// failWriter fails every write, as stdout on a full disk does.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// Output that cannot be written fails the command even where the printing
// code ignores write errors (train's table and sweep -n used to exit 0 on
// /dev/full; issue 14, D11).
func TestStdoutWriteErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"train", "-data", "gaussian", "-N", "50", "-d", "4", "-C", "3", "-steps", "2", "-eig", "0"},
		{"sweep", "-n", "-C", "2", "-seeds", "1", "-o", filepath.Join(dir, "s.jsonl")},
		{"inspect", "-C", "3", "-d", "3", "-N", "5"},
		{"inspect", "-C", "3", "-d", "3", "-N", "5", "-json"},
		{"train", "-data", "gaussian", "-N", "50", "-d", "4", "-C", "3", "-steps", "2", "-eig", "0", "-json"},
		{"help"},
		{"-h"},
		{"help", "inspect"},
	} {
		var errb bytes.Buffer
		code := run(args, failWriter{}, &errb)
		if code != 1 || !strings.Contains(errb.String(), "no space left") {
			t.Errorf("%q: exit %d, stderr %q; want 1 and the write error", args, code, errb.String())
		}
		// The error is printed once (issue 14: disk-full errors printed twice).
		if n := strings.Count(errb.String(), "no space left"); n > 1 {
			t.Errorf("%q: the write error is printed %d times:\n%s", args, n, errb.String())
		}
	}
}

// usageCase is a command line that must be a usage error (exit 2, nothing
// on stdout) whose message contains want.
type usageCase struct {
	args []string
	want string
}

// checkUsage runs each case as cmd(tc.args) and checks it.
func checkUsage(t *testing.T, cmd func(args []string) []string, cases []usageCase) {
	t.Helper()
	for _, tc := range cases {
		code, stdout, stderr := runCmd(t, cmd(tc.args)...)
		if code != 2 || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want 2 and %q", tc.args, code, stderr, stdout, tc.want)
		}
	}
}
