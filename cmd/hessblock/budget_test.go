package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hessblock/hessblock/internal/membudget"
)

// TestMemoryBudget runs issue 14's D1 reproductions (each died with
// "fatal error: out of memory" and status 2) under a 64 MiB budget: each
// is now refused within moments, before allocating, with status 1 and a
// message naming the estimate, the budget and what would fit — or, for a
// flag value no budget could hold, status 2.
func TestMemoryBudget(t *testing.T) {
	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	for _, tc := range []struct {
		args []string
		code int
		want []string // in stderr
		none string   // a path that must not exist afterwards
	}{
		{[]string{"inspect", "-C", "1000000", "-d", "1000", "-N", "10"}, 1,
			[]string{"C=1000000 d=1000 N=10", "needs about 44.7 GiB", "even N = 1 does not fit"}, ""},
		{[]string{"inspect", "-C", "20000", "-d", "64", "-N", "20000"}, 1,
			[]string{"needs about 13.5 GiB", "N ≤ "}, ""},
		// The problem fits; the structured N×N work arrays do not, and the
		// suggested N is for both.
		{[]string{"inspect", "-C", "200", "-d", "64", "-N", "3000"}, 1,
			[]string{"inspecting linear/ce C=200 d=64 N=3000", "structured work arrays", "N ≤ 1320 would fit"}, ""},
		{[]string{"inspect", "-C", "200", "-d", "64", "-N", "3000", "-npy", out("npy")}, 1,
			[]string{"N ≤ 1320"}, ""},
		{[]string{"train", "-data", "gaussian", "-N", "1000000", "-d", "1000"}, 1,
			[]string{"training on gaussian with N = 1000000", "-N ", "would fit"}, ""},
		{[]string{"train", "-data", "mnist", "-steps", "1"}, 1,
			[]string{"loading MNIST takes about"}, ""},
		{[]string{"reproduce", "-quick", "-cmax", "99999999999", "-o", out("r1")}, 2,
			[]string{"cmax = 99999999999, want ≤ 2^30"}, out("r1")},
		{[]string{"reproduce", "-quick", "-seeds", "100000000", "-o", out("r2")}, 1,
			[]string{"2000000000 points", "-seeds ", "would fit"}, out("r2")},
		{[]string{"reproduce", "-quick", "-cmax", "4194304", "-o", out("r3")}, 1,
			[]string{"up to C = 4194304", "-cmax "}, out("r3")},
		{[]string{"reproduce", "-quick", "-j", "100000000", "-o", out("r4")}, 2,
			[]string{"-j 100000000: want 1 … "}, out("r4")},
		{[]string{"sweep", "-model", "linear", "-loss", "ce", "-C", "1000000", "-d", "1000", "-N", "10", "-seeds", "1", "-o", out("s1.jsonl")}, 1,
			[]string{"a sweep of 1 point(s)", "alone needs"}, out("s1.jsonl")},
		{[]string{"sweep", "-model", "linear", "-loss", "ce", "-C", "200", "-d", "64", "-N", "1000", "-seeds", "1,2,3,4", "-j", "4", "-o", out("s2.jsonl")}, 1,
			[]string{"with 4 worker(s)", "-j 1 would fit"}, out("s2.jsonl")},
		{[]string{"sweep", "-n", "-model", "linear", "-loss", "ce", "-C", "2,3,4,5,6,7,8,9,10,11", "-d", "1,2,3,4,5,6,7,8,9,10", "-N", "1,2,3,4,5,6,7,8,9,10",
			"-seeds", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100",
			"-o", out("s3.jsonl")}, 1,
			[]string{"a grid of 100000 points", "split it"}, out("s3.jsonl")},
	} {
		args := append(append([]string(nil), tc.args...), "-max-memory", "64MiB")
		t.Run(strings.Join(tc.args[:min(len(tc.args), 8)], " "), func(t *testing.T) {
			start := time.Now()
			code, stdout, stderr := runCmd(t, args...)
			if code != tc.code {
				t.Errorf("exit status %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			if el := time.Since(start); el > 20*time.Second {
				t.Errorf("took %v: the refusal must come before the work", el)
			}
			want := tc.want
			if tc.code == 1 {
				want = append(want, "over the memory budget of 64.0 MiB", "-max-memory")
			}
			for _, w := range want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stdout, "configuration:") {
				t.Errorf("ran or crashed:\nstdout: %s\nstderr: %s", stdout, stderr)
			}
			if tc.none != "" {
				if _, err := os.Stat(tc.none); err == nil {
					t.Errorf("%s was written", tc.none)
				}
			}
		})
	}
	if membudget.Limit() != membudget.Default() {
		t.Errorf("the budget of the last command outlived it: %d, want the default %d", membudget.Limit(), membudget.Default())
	}
}

// A run within the budget is unaffected, and -max-memory has one syntax
// and one help text on every subcommand.
func TestMaxMemoryFlag(t *testing.T) {
	if code, stdout, stderr := runCmd(t, "inspect", "-C", "5", "-d", "4", "-N", "10", "-max-memory", "64MiB"); code != 0 || !strings.Contains(stdout, "method: dense") {
		t.Errorf("a small inspect within 64 MiB: status %d\n%s%s", code, stdout, stderr)
	}
	// The N the message suggests does run within the budget.
	if code, stdout, stderr := runCmd(t, "inspect", "-C", "200", "-d", "64", "-N", "1320", "-max-memory", "64MiB"); code != 0 || !strings.Contains(stdout, "method: structured") {
		t.Errorf("inspect at the suggested N: status %d\n%s%s", code, stdout, stderr)
	}
	// A Hessian under -max-dense-bytes but over the budget: the structured
	// path, said so.
	code, stdout, stderr := runCmd(t, "inspect", "-C", "40", "-d", "40", "-N", "20", "-max-memory", "8MiB")
	if code != 0 || !strings.Contains(stdout, "method: structured") || !strings.Contains(stderr, "over the memory budget of 8.0 MiB (-max-memory)") {
		t.Errorf("inspect with H over the budget: status %d\n%s%s", code, stdout, stderr)
	}
	for _, cmd := range []string{"inspect", "train", "sweep", "reproduce"} {
		_, _, help := runCmd(t, cmd, "-h")
		if !strings.Contains(help, "-max-memory SIZE") || !strings.Contains(help, "default ") || !strings.Contains(help, "status 1") {
			t.Errorf("%s -h does not document -max-memory:\n%s", cmd, help)
		}
		for _, bad := range []string{"0", "1x", "-5GiB", "lots"} {
			code, _, stderr := runCmd(t, cmd, "-max-memory", bad)
			if code != 2 || !strings.Contains(stderr, "-max-memory") {
				t.Errorf("%s -max-memory %s: status %d, want 2\n%s", cmd, bad, code, stderr)
			}
		}
	}
}
