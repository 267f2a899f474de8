package sweep

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Environment variables AutoShard reads.
const (
	EnvSlurmTaskID    = "SLURM_ARRAY_TASK_ID"
	EnvSlurmTaskMin   = "SLURM_ARRAY_TASK_MIN"
	EnvSlurmTaskMax   = "SLURM_ARRAY_TASK_MAX"
	EnvSlurmTaskCount = "SLURM_ARRAY_TASK_COUNT"
	EnvK8sIndex       = "JOB_COMPLETION_INDEX"
)

// ErrNoScheduler is wrapped by AutoShard when the environment names no
// array task.
var ErrNoScheduler = errors.New("no scheduler array task in the environment")

// AutoShard derives this process's shard from a scheduler's environment,
// read through lookup (os.LookupEnv in the command):
//
//   - a Slurm job array (sbatch --array=MIN-MAX): SLURM_ARRAY_TASK_ID
//     with SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT or
//     SLURM_ARRAY_TASK_MAX; task ID is shard ID−MIN+1 of COUNT. The array
//     must be a contiguous range (no step, no list), so that its tasks
//     number the shards densely; shards, if not 0, must equal COUNT.
//   - a Kubernetes Indexed Job: JOB_COMPLETION_INDEX (0-based) is shard
//     index+1 of shards, which must be given (the Job's completions):
//     the pod's environment does not hold the count.
//
// It also returns a description of where the shard came from, for the
// progress line. No variable set wraps ErrNoScheduler; values that are not
// integers, that disagree, or both schedulers' variables at once are
// errors too.
func AutoShard(lookup func(string) (string, bool), shards int) (Shard, string, error) {
	if shards < 0 {
		return Shard{}, "", fmt.Errorf("sweep: %d shards: want ≥ 1", shards)
	}
	_, slurm := lookup(EnvSlurmTaskID)
	_, k8s := lookup(EnvK8sIndex)
	switch {
	case slurm && k8s:
		return Shard{}, "", fmt.Errorf("sweep: both %s (Slurm) and %s (Kubernetes) are set: cannot tell which scheduler runs this task", EnvSlurmTaskID, EnvK8sIndex)
	case slurm:
		return slurmShard(lookup, shards)
	case k8s:
		return k8sShard(lookup, shards)
	}
	return Shard{}, "", fmt.Errorf("sweep: %w: set by a Slurm job array (%s) or a Kubernetes Indexed Job (%s); outside them give -shard i/n", ErrNoScheduler, EnvSlurmTaskID, EnvK8sIndex)
}

// envInt reads a non-negative integer variable; ok is false when unset.
func envInt(lookup func(string) (string, bool), name string) (v int, ok bool, err error) {
	s, ok := lookup(name)
	if !ok {
		return 0, false, nil
	}
	v, err = strconv.Atoi(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return 0, true, fmt.Errorf("sweep: %s=%q: want a non-negative integer", name, s)
	}
	return v, true, nil
}

func slurmShard(lookup func(string) (string, bool), shards int) (Shard, string, error) {
	var errs []error
	get := func(name string) (int, bool) {
		v, ok, err := envInt(lookup, name)
		if err != nil {
			errs = append(errs, err)
		}
		return v, ok && err == nil
	}
	id, _ := get(EnvSlurmTaskID)
	lo, hasMin := get(EnvSlurmTaskMin)
	hi, hasMax := get(EnvSlurmTaskMax)
	count, hasCount := get(EnvSlurmTaskCount)
	if len(errs) > 0 {
		return Shard{}, "", errors.Join(errs...)
	}
	if !hasMin {
		return Shard{}, "", fmt.Errorf("sweep: %s is set but %s is not: is this a Slurm job array?", EnvSlurmTaskID, EnvSlurmTaskMin)
	}
	switch {
	case hasMax && hi < lo:
		return Shard{}, "", fmt.Errorf("sweep: %s=%d is below %s=%d", EnvSlurmTaskMax, hi, EnvSlurmTaskMin, lo)
	case hasCount && hasMax && count != hi-lo+1:
		return Shard{}, "", fmt.Errorf("sweep: the Slurm array %d–%d has %d tasks, not %d: an array with a step or a list (--array=%d-%d:k or a,b,c) does not number the shards densely; use --array=MIN-MAX", lo, hi, count, hi-lo+1, lo, hi)
	case hasMax:
		count = hi - lo + 1
	case !hasCount:
		return Shard{}, "", fmt.Errorf("sweep: %s is set but neither %s nor %s is", EnvSlurmTaskID, EnvSlurmTaskCount, EnvSlurmTaskMax)
	}
	if count < 1 {
		return Shard{}, "", fmt.Errorf("sweep: %s=%d: want ≥ 1", EnvSlurmTaskCount, count)
	}
	if id < lo || id-lo >= count {
		return Shard{}, "", fmt.Errorf("sweep: %s=%d outside the array %d–%d", EnvSlurmTaskID, id, lo, lo+count-1)
	}
	if shards != 0 && shards != count {
		return Shard{}, "", fmt.Errorf("sweep: -shards %d, but the Slurm array has %d tasks", shards, count)
	}
	sh := Shard{I: id - lo + 1, N: count}
	return sh, fmt.Sprintf("Slurm array task %d of %d–%d", id, lo, lo+count-1), nil
}

func k8sShard(lookup func(string) (string, bool), shards int) (Shard, string, error) {
	idx, _, err := envInt(lookup, EnvK8sIndex)
	if err != nil {
		return Shard{}, "", err
	}
	if shards == 0 {
		return Shard{}, "", fmt.Errorf("sweep: %s=%d is set (a Kubernetes Indexed Job): give the number of shards, the Job's completions, with -shards N", EnvK8sIndex, idx)
	}
	if idx >= shards {
		return Shard{}, "", fmt.Errorf("sweep: %s=%d with -shards %d: the index must be below the shard count (the Job's completions)", EnvK8sIndex, idx, shards)
	}
	return Shard{I: idx + 1, N: shards}, fmt.Sprintf("Kubernetes completion index %d of %d", idx, shards), nil
}
