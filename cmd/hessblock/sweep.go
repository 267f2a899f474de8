package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/internal/sweep"
	"github.com/hessblock/hessblock/kind"
)

func init() {
	register(&command{
		name:    "sweep",
		summary: "measure R per family and ρ over a grid of configurations, one JSON line per point (resumable, shardable)",
		run:     runSweep,
	})
}

// gridFlags defines a sweep.Spec on the command line, or reads it from a
// JSON file with -spec; sweep and merge share them so that merge can check
// a sweep's output against the same grid.
type gridFlags struct {
	fs       *flag.FlagSet
	specFile *string
	lists    map[string]*string
}

var gridFlagDocs = []struct{ name, def, usage string }{
	{"model", "linear,mlp", "comma-separated models (linear, mlp)"},
	{"loss", "mse,ce", "comma-separated losses (mse, ce)"},
	{"activation", "relu", "comma-separated MLP activations (identity, relu, tanh, gelu)"},
	{"C", "2,4,8,16,32", "comma-separated numbers of classes"},
	{"d", "32", "comma-separated input dimensions"},
	{"N", "128", "comma-separated sample counts"},
	{"m", "16", "comma-separated MLP hidden widths"},
	{"sigma", "1", "comma-separated linear-model weight scales σ"},
	{"sigma-w", "1", "comma-separated MLP first-layer scales σ_w"},
	{"sigma-v", "1", "comma-separated MLP second-layer scales σ_v"},
	{"seeds", "1,2,3", "comma-separated seeds"},
}

func addGridFlags(fs *flag.FlagSet) *gridFlags {
	g := &gridFlags{fs: fs, lists: map[string]*string{}}
	g.specFile = fs.String("spec", "", "JSON grid `file` (fields models, losses, activations, C, d, N, m, sigma, sigma_w, sigma_v, seeds); excludes the grid flags")
	for _, f := range gridFlagDocs {
		g.lists[f.name] = fs.String(f.name, f.def, f.usage)
	}
	alias(fs, "act", "activation")
	return g
}

// spec returns the grid, as a usage error if it is malformed.
func (g *gridFlags) spec() (sweep.Spec, error) {
	set := given(g.fs)
	if *g.specFile != "" {
		var both []string
		for _, f := range gridFlagDocs {
			if set[f.name] {
				both = append(both, "-"+f.name)
			}
		}
		if len(both) > 0 {
			return sweep.Spec{}, usagef("-spec and grid flags %s are exclusive", strings.Join(both, ", "))
		}
		f, err := os.Open(*g.specFile)
		if err != nil {
			return sweep.Spec{}, usagef("%v", err)
		}
		defer f.Close()
		s, err := sweep.ReadSpec(f)
		if err != nil {
			return sweep.Spec{}, usagef("%s: %v", *g.specFile, err)
		}
		return s, nil
	}
	var s sweep.Spec
	var errs []error
	strs := func(name string) []string {
		list := *g.lists[name]
		if strings.TrimSpace(list) == "" {
			return nil // reported by Expand as an empty list
		}
		var out []string
		for _, v := range strings.Split(list, ",") {
			if v = strings.TrimSpace(v); v == "" {
				errs = append(errs, fmt.Errorf("-%s %q: empty value in the list", name, list))
				continue
			}
			out = append(out, v)
		}
		return out
	}
	ints := func(name string) []int {
		return parseEach(strs(name), name, "an integer", strconv.Atoi, &errs)
	}
	floats := func(name string) []float64 {
		return parseEach(strs(name), name, "a number", func(v string) (float64, error) { return strconv.ParseFloat(v, 64) }, &errs)
	}
	s.Models, s.Losses, s.Activations = strs("model"), strs("loss"), strs("activation")
	s.C, s.D, s.N, s.M = ints("C"), ints("d"), ints("N"), ints("m")
	s.Sigma, s.SigmaW, s.SigmaV = floats("sigma"), floats("sigma-w"), floats("sigma-v")
	s.Seeds = parseEach(strs("seeds"), "seeds", "a non-negative integer", func(v string) (uint64, error) { return strconv.ParseUint(v, 10, 64) }, &errs)
	// A list given for a model the grid does not hold would be ignored;
	// say so, as inspect and train do for their single values.
	has := map[kind.Model]bool{}
	for _, m := range s.Models {
		if mm, err := kind.ParseModel(m); err == nil {
			has[mm] = true
		}
	}
	for _, name := range []string{"activation", "m", "sigma-w", "sigma-v"} {
		if set[name] && !has[kind.MLP] {
			errs = append(errs, fmt.Errorf("-%s is for the MLP, and the grid has none (add mlp to -model)", name))
		}
	}
	if set["sigma"] && !has[kind.Linear] {
		errs = append(errs, fmt.Errorf("-sigma is for the linear model, and the grid has none (the MLP's scales are -sigma-w and -sigma-v)"))
	}
	if len(errs) > 0 {
		return sweep.Spec{}, usageError{errors.Join(errs...)}
	}
	return s, nil
}

// parseEach parses the values of the list flag -name, with an error that
// says what each bad value should be.
func parseEach[T any](vals []string, name, want string, parse func(string) (T, error), errs *[]error) []T {
	return sweep.ParseAll(vals, parse, errs, func(v string, _ error) error {
		return fmt.Errorf("-%s: %q is not %s", name, v, want)
	})
}

// points expands the grid, as a usage error if it is invalid.
func (g *gridFlags) points() ([]sweep.Point, error) {
	s, err := g.spec()
	if err != nil {
		return nil, err
	}
	pts, err := s.Expand()
	if membudget.IsOver(err) {
		return nil, err // a valid grid too large for the memory budget: status 1
	}
	if err != nil {
		return nil, usageError{err}
	}
	return pts, nil
}

// parseShardFlag interprets -shard and -shards: "auto" takes the shard from
// the scheduler's environment (read through lookup) and also returns where
// it came from; -shards goes only with auto.
func parseShardFlag(shard string, shards int, shardsSet bool, lookup func(string) (string, bool)) (sweep.Shard, string, error) {
	if shard != "auto" {
		if shardsSet {
			return sweep.Shard{}, "", usagef("-shards goes with -shard auto (with -shard i/n, n is the count)")
		}
		sh, err := sweep.ParseShard(shard)
		if err != nil {
			return sweep.Shard{}, "", usagef("-shard: %v", err)
		}
		return sh, "", nil
	}
	if shardsSet && shards < 1 {
		return sweep.Shard{}, "", usagef("-shards %d: want ≥ 1", shards)
	}
	sh, from, err := sweep.AutoShard(lookup, shards)
	if err != nil {
		return sweep.Shard{}, "", usagef("-shard auto: %v", err)
	}
	return sh, from, nil
}

// maxWorkers bounds -j: beyond a few workers per core a sweep only holds
// more memory, and each worker may hold a point's Hessian.
var maxWorkers = max(64, 4*runtime.NumCPU())

func runSweep(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep", "sweep [flags]\n\nMeasures every point of a grid (the Cartesian product of the lists) and appends one JSON\nline per point to -o. Rerunning skips the points already there, so a killed sweep resumes\nwhere it stopped; -shard i/n runs the i-th of n deterministic slices (points i, i+n, …) so\nshards can run on different machines, and -shard auto takes i and n from a Slurm job array\n(or a Kubernetes Indexed Job, with -shards n; examples in deploy/). Join shard files with\n'hessblock merge'.", stderr)
	g := addGridFlags(fs)
	out := fs.String("o", "sweep.jsonl", "output `file` (JSON lines, appended)")
	shardFlag := fs.String("shard", "1/1", "run only shard `i/n` of the grid (1 ≤ i ≤ n), or auto: take it from a Slurm job array or a Kubernetes Indexed Job")
	shards := fs.Int("shards", 0, "with -shard auto in a Kubernetes Indexed Job: the number of shards `N` (the Job's completions)")
	workers := fs.Int("j", 1, "points measured at once (the Hessian itself is already parallel)")
	dry := fs.Bool("n", false, "list the shard's points and whether each is done, measure nothing")
	quiet := fs.Bool("quiet", false, "no progress display and no summary on stderr")
	curv := fs.Bool("curvature", false, "also record R per family and ρ of the Gauss–Newton part G and the residual part Hres of H (dense: each point's P×P matrices must fit -max-memory and the dense limit; points already in -o keep their lines)")
	load := fs.String("load", "", "not supported: a sweep draws a fresh network at every grid point (use inspect -load `FILE`, or train -load)")
	addMemoryFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *load != "" {
		// A loaded file fixes the sizes and the weights, which are what a
		// sweep varies: a grid over one file would be a single point.
		return usagef("-load: a sweep varies the sizes, seeds and scales of networks it draws itself, and a model file fixes all of them; measure a file with 'hessblock inspect -load %s', or train from it with 'hessblock train -load %s'", *load, *load)
	}
	if *out == "" {
		return usagef("-o: empty file name")
	}
	shard, from, err := parseShardFlag(*shardFlag, *shards, given(fs)["shards"], os.LookupEnv)
	if err != nil {
		return err
	}
	if *workers < 1 || *workers > maxWorkers {
		return usagef("-j %d: want 1 … %d (each worker holds a point's Hessian work arrays)", *workers, maxWorkers)
	}
	pts, err := g.points()
	if err != nil {
		return err
	}
	mine := shard.Select(pts)
	if len(mine) == 0 {
		// Not an error (a job array may have more tasks than points), but
		// a shard count larger than the grid is usually a mistake.
		fmt.Fprintf(stderr, "hessblock sweep: shard %s of a %d-point grid is empty: nothing to do\n", shard, len(pts))
	}
	if *dry {
		f, err := sweep.ReadFile(*out)
		if err != nil {
			return err
		}
		have := f.Keys()
		for _, p := range mine {
			state := "todo"
			if have[p.Key] {
				state = "done"
			}
			fmt.Fprintf(stdout, "%s\t%s\n", state, p.Key)
		}
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	if from != "" && !*quiet {
		fmt.Fprintf(stderr, "hessblock sweep: shard %s from the %s\n", shard, from)
	}
	bar := newProgress(stderr, *quiet, len(mine))
	bar.stage("points")
	st, err := sweep.Run(ctx, *out, mine, sweep.Options{Workers: *workers, Progress: bar.set, Curvature: *curv})
	bar.finish()
	// A run that failed before measuring anything (an unwritable -o, a
	// damaged file) gets only its error, not a summary of zeros.
	ran := err == nil || errors.Is(err, context.Canceled) || st.Written > 0
	if !*quiet && ran {
		if st.Dropped {
			fmt.Fprintf(stderr, "hessblock sweep: dropped a truncated last line of %s (left by an interrupted run)\n", *out)
		}
		fmt.Fprintf(stderr, "hessblock sweep: shard %s: %d points, %d already done, %d measured in %s → %s\n",
			shard, len(mine), st.Skipped, st.Written, time.Since(start).Round(100*time.Millisecond), *out)
		if st.Foreign > 0 {
			fmt.Fprintf(stderr, "hessblock sweep: note: %s also holds %d lines from another grid\n", *out, st.Foreign)
		}
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted; rerun the same command to resume")
	}
	return err
}
