package sweep

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func envOf(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func TestAutoShard(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		shards int
		want   Shard
		err    string // substring of the error; "" for success
	}{
		{"slurm count", map[string]string{EnvSlurmTaskID: "3", EnvSlurmTaskMin: "1", EnvSlurmTaskCount: "4"}, 0, Shard{3, 4}, ""},
		{"slurm max", map[string]string{EnvSlurmTaskID: "0", EnvSlurmTaskMin: "0", EnvSlurmTaskMax: "7"}, 0, Shard{1, 8}, ""},
		{"slurm all three", map[string]string{EnvSlurmTaskID: "12", EnvSlurmTaskMin: "10", EnvSlurmTaskMax: "13", EnvSlurmTaskCount: "4"}, 4, Shard{3, 4}, ""},
		{"slurm one task", map[string]string{EnvSlurmTaskID: "5", EnvSlurmTaskMin: "5", EnvSlurmTaskCount: "1"}, 0, Shard{1, 1}, ""},
		{"slurm step", map[string]string{EnvSlurmTaskID: "4", EnvSlurmTaskMin: "0", EnvSlurmTaskMax: "12", EnvSlurmTaskCount: "4"}, 0, Shard{}, "--array=MIN-MAX"},
		{"slurm no min", map[string]string{EnvSlurmTaskID: "1", EnvSlurmTaskCount: "4"}, 0, Shard{}, EnvSlurmTaskMin},
		{"slurm no count", map[string]string{EnvSlurmTaskID: "1", EnvSlurmTaskMin: "1"}, 0, Shard{}, EnvSlurmTaskCount},
		{"slurm id outside", map[string]string{EnvSlurmTaskID: "5", EnvSlurmTaskMin: "1", EnvSlurmTaskCount: "4"}, 0, Shard{}, "outside the array 1–4"},
		{"slurm id below", map[string]string{EnvSlurmTaskID: "0", EnvSlurmTaskMin: "1", EnvSlurmTaskCount: "4"}, 0, Shard{}, "outside"},
		{"slurm max below min", map[string]string{EnvSlurmTaskID: "1", EnvSlurmTaskMin: "3", EnvSlurmTaskMax: "2"}, 0, Shard{}, "below"},
		{"slurm zero count", map[string]string{EnvSlurmTaskID: "1", EnvSlurmTaskMin: "1", EnvSlurmTaskCount: "0"}, 0, Shard{}, "want ≥ 1"},
		{"slurm not a number", map[string]string{EnvSlurmTaskID: "x", EnvSlurmTaskMin: "-1", EnvSlurmTaskCount: "4"}, 0, Shard{}, `SLURM_ARRAY_TASK_ID="x"`},
		{"slurm shards disagree", map[string]string{EnvSlurmTaskID: "1", EnvSlurmTaskMin: "1", EnvSlurmTaskCount: "4"}, 3, Shard{}, "-shards 3"},
		{"k8s", map[string]string{EnvK8sIndex: "0"}, 3, Shard{1, 3}, ""},
		{"k8s last", map[string]string{EnvK8sIndex: " 2 "}, 3, Shard{3, 3}, ""},
		{"k8s no shards", map[string]string{EnvK8sIndex: "0"}, 0, Shard{}, "-shards N"},
		{"k8s index too large", map[string]string{EnvK8sIndex: "3"}, 3, Shard{}, "below the shard count"},
		{"k8s negative", map[string]string{EnvK8sIndex: "-1"}, 3, Shard{}, "non-negative"},
		{"both", map[string]string{EnvK8sIndex: "0", EnvSlurmTaskID: "1"}, 3, Shard{}, "both"},
		{"neither", map[string]string{"SLURM_JOB_ID": "77"}, 3, Shard{}, "Slurm job array"},
		{"negative shards", map[string]string{EnvK8sIndex: "0"}, -2, Shard{}, "-2 shards"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, where, err := AutoShard(envOf(tc.env), tc.shards)
			if tc.err == "" {
				if err != nil || got != tc.want || where == "" {
					t.Fatalf("got %v (%q), %v; want %v", got, where, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("got %v, %v; want an error containing %q", got, err, tc.err)
			}
		})
	}
	if _, _, err := AutoShard(envOf(nil), 0); !errors.Is(err, ErrNoScheduler) {
		t.Errorf("empty environment: %v, want ErrNoScheduler", err)
	}
}

// Every task of an array, whatever its first ID, gets a distinct shard,
// and together they cover 1…n.
func TestAutoShardCoversArray(t *testing.T) {
	for _, lo := range []int{0, 1, 17} {
		const n = 5
		seen := map[Shard]bool{}
		for id := lo; id < lo+n; id++ {
			sh, _, err := AutoShard(envOf(map[string]string{EnvSlurmTaskID: strconv.Itoa(id), EnvSlurmTaskMin: strconv.Itoa(lo), EnvSlurmTaskMax: strconv.Itoa(lo + n - 1)}), 0)
			if err != nil || sh.N != n || seen[sh] {
				t.Fatalf("task %d of %d–%d: %v, %v", id, lo, lo+n-1, sh, err)
			}
			seen[sh] = true
			k, _, err := AutoShard(envOf(map[string]string{EnvK8sIndex: strconv.Itoa(id - lo)}), n)
			if err != nil || k != sh {
				t.Fatalf("index %d: %v, %v; want %v as for Slurm", id-lo, k, err, sh)
			}
		}
	}
}
