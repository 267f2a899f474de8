package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// asCommand is set in the environment of the test binary re-executed as
// the hessblock command (TestMain): the process tests run real processes,
// with their own environment, without building anything.
const asCommand = "HESSBLOCK_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// runProcess runs hessblock as a separate process with the given extra
// environment and none of the caller's scheduler variables.
func runProcess(t *testing.T, env []string, args ...string) (code int, stderr string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SLURM_") && !strings.HasPrefix(kv, "JOB_COMPLETION_INDEX=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, asCommand+"=1"), env...)
	var e bytes.Buffer
	cmd.Stderr = &e
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("hessblock %s: timed out", strings.Join(args, " "))
	}
	if x, ok := err.(*exec.ExitError); ok {
		return x.ExitCode(), e.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, e.String()
}

// TestSweepShardAutoProcesses runs a tiny grid as a Slurm job array (IDs
// 4–6) and as a Kubernetes Indexed Job (indices 0–2), each task a separate
// process with only the scheduler's variables to tell it its shard, and
// merges each set: both must give the bytes of the unsharded sweep.
func TestSweepShardAutoProcesses(t *testing.T) {
	dir := t.TempDir()
	spec := writeGrid(t, dir, `{"models":["linear","mlp"],"losses":["ce"],"activations":["relu"],
		"C":[2,3],"d":[4],"N":[10],"m":[3],"sigma":[1],"sigma_w":[1],"sigma_v":[1],"seeds":[1,2]}`)
	full := filepath.Join(dir, "full.jsonl")
	if code, e := runProcess(t, nil, "sweep", "-spec", spec, "-o", full, "-quiet"); code != 0 {
		t.Fatalf("unsharded sweep: exit %d: %s", code, e)
	}
	want, _ := os.ReadFile(full)
	const n = 3
	for _, style := range []string{"slurm", "k8s"} {
		var shards []string
		for task := range n {
			var env []string
			args := []string{"sweep", "-spec", spec, "-shard", "auto", "-quiet"}
			var out string
			if style == "slurm" {
				id := 4 + task
				env = []string{"SLURM_ARRAY_TASK_ID=" + strconv.Itoa(id), "SLURM_ARRAY_TASK_MIN=4", "SLURM_ARRAY_TASK_MAX=6", "SLURM_ARRAY_TASK_COUNT=3", "SLURM_ARRAY_JOB_ID=99"}
				out = filepath.Join(dir, fmt.Sprintf("slurm-shard-%d.jsonl", id))
			} else {
				env = []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(task)}
				args = append(args, "-shards", strconv.Itoa(n))
				out = filepath.Join(dir, fmt.Sprintf("k8s-shard-%d.jsonl", task))
			}
			if code, e := runProcess(t, env, append(args, "-o", out)...); code != 0 {
				t.Fatalf("%s task %d: exit %d: %s", style, task, code, e)
			}
			shards = append(shards, out)
		}
		merged := filepath.Join(dir, style+"-merged.jsonl")
		if code, e := runProcess(t, nil, append([]string{"merge", "-spec", spec, "-o", merged, "-quiet"}, shards...)...); code != 0 {
			t.Fatalf("%s merge: exit %d: %s", style, code, e)
		}
		got, _ := os.ReadFile(merged)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: merged shards differ from the unsharded sweep:\n%s\nwant\n%s", style, got, want)
		}
	}
	// Outside a scheduler, and with an index but no count, auto is a
	// usage error (status 2) naming what to set.
	for _, tc := range []struct {
		env  []string
		args []string
		msg  string
	}{
		{nil, nil, "JOB_COMPLETION_INDEX"},
		{[]string{"JOB_COMPLETION_INDEX=0"}, nil, "-shards N"},
		{[]string{"SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_COUNT=2"}, nil, "outside the array"},
		{nil, []string{"-shard", "1/2", "-shards", "2"}, "-shards goes with -shard auto"},
	} {
		args := append([]string{"sweep", "-spec", spec, "-o", filepath.Join(dir, "x.jsonl"), "-shard", "auto"}, tc.args...)
		code, e := runProcess(t, tc.env, args...)
		if code != 2 || !strings.Contains(e, tc.msg) {
			t.Errorf("env %v args %v: exit %d, stderr %q; want 2 and %q", tc.env, tc.args, code, e, tc.msg)
		}
	}
}
