package sweep

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// tinySpec is a grid of 24 cheap points covering both models and losses.
func tinySpec() Spec {
	return Spec{
		Models: []string{"linear", "mlp"}, Losses: []string{"mse", "ce"}, Activations: []string{"relu"},
		C: []int{2, 3, 5}, D: []int{4}, N: []int{12}, M: []int{3},
		Sigma: []float64{1}, SigmaW: []float64{1}, SigmaV: []float64{1}, Seeds: []uint64{1, 2},
	}
}

func mustExpand(t *testing.T, s Spec) []Point {
	t.Helper()
	pts, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	return pts
}

func TestExpandOrderAndErrors(t *testing.T) {
	pts := mustExpand(t, tinySpec())
	if len(pts) != 24 {
		t.Fatalf("got %d points, want 24", len(pts))
	}
	if pts[0].Key != "linear/mse/C=2/d=4/N=12/sigma=1/seed=1" {
		t.Errorf("first key %q", pts[0].Key)
	}
	for i, p := range pts {
		if p.Index != i || Key(p.Config) != p.Key {
			t.Fatalf("point %d: index %d key %q", i, p.Index, p.Key)
		}
	}
	bad := tinySpec()
	bad.Models = []string{"cnn"}
	bad.C = []int{1, 2, 2}
	_, err := bad.Expand()
	if err == nil || !strings.Contains(err.Error(), "cnn") {
		t.Errorf("bad model: %v", err)
	}
	dup := tinySpec()
	dup.C = []int{2, 2}
	if _, err := dup.Expand(); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate C: %v", err)
	}
	small := tinySpec()
	small.C = []int{1}
	if _, err := small.Expand(); !errors.Is(err, numerics.ErrInvalidConfig) {
		t.Errorf("C = 1: %v", err)
	}
	if _, err := ReadSpec(strings.NewReader(`{"models":["linear"],"bogus":1}`)); err == nil {
		t.Error("unknown spec field accepted")
	}
}

func TestShards(t *testing.T) {
	pts := mustExpand(t, tinySpec())
	seen := map[string]int{}
	for i := 1; i <= 5; i++ {
		for _, p := range (Shard{I: i, N: 5}).Select(pts) {
			seen[p.Key]++
		}
	}
	if len(seen) != len(pts) {
		t.Fatalf("shards cover %d of %d points", len(seen), len(pts))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s in %d shards", k, n)
		}
	}
	for _, s := range []string{"0/3", "4/3", "1", "a/b", "1/0"} {
		if _, err := ParseShard(s); err == nil {
			t.Errorf("ParseShard(%q) accepted", s)
		}
	}
	if s, err := ParseShard("2/3"); err != nil || s != (Shard{2, 3}) {
		t.Errorf("ParseShard(2/3) = %v, %v", s, err)
	}
}

// runUntil runs a sweep and cancels it once k points are written.
func runUntil(t *testing.T, path string, pts []Point, k, workers int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := Run(ctx, path, pts, Options{Workers: workers, Progress: func(done, _ int) {
		if done >= k {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run (%d points, cancelled after %d, %d workers): err = %v, stats %+v, want context.Canceled", len(pts), k, workers, err, st)
	}
}

func merge(t *testing.T, pts []Point, paths ...string) []byte {
	t.Helper()
	files := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = b
	}
	out, _, err := Merge(pts, files)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKillAndResume is the acceptance test: a sweep interrupted midway (by
// cancellation, and by a kill that leaves half a line), then rerun, merges
// to the same bytes as an uninterrupted run, with and without shards.
func TestKillAndResume(t *testing.T) {
	dir := t.TempDir()
	pts := mustExpand(t, tinySpec())
	full := filepath.Join(dir, "full.jsonl")
	if _, err := Run(context.Background(), full, pts, Options{}); err != nil {
		t.Fatal(err)
	}
	want := merge(t, pts, full)
	if raw, _ := os.ReadFile(full); !bytes.Equal(raw, want) {
		t.Error("an uninterrupted run is not already in grid order")
	}

	for _, workers := range []int{1, 3} {
		// Two shards, each interrupted after a few points; the second also
		// loses half of its last line, as a kill during a write would do.
		var paths []string
		for i := 1; i <= 2; i++ {
			path := filepath.Join(dir, "shard"+string(rune('0'+i))+"-"+string(rune('0'+workers))+".jsonl")
			mine := (Shard{I: i, N: 2}).Select(pts)
			runUntil(t, path, mine, 3+i, workers)
			if i == 2 {
				raw, _ := os.ReadFile(path)
				if err := os.WriteFile(path, raw[:len(raw)-25], 0o644); err != nil {
					t.Fatal(err)
				}
				if _, _, err := Merge(pts, map[string][]byte{path: raw[:len(raw)-25]}); !IsMergeError(err) {
					t.Errorf("merging an incomplete shard: err = %v, want a MergeError", err)
				}
			}
			st, err := Run(context.Background(), path, mine, Options{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			if st.Skipped == 0 || st.Skipped+st.Written != len(mine) || st.Dropped != (i == 2) {
				t.Errorf("shard %d, %d workers: resume stats %+v for %d points", i, workers, st, len(mine))
			}
			paths = append(paths, path)
		}
		if got := merge(t, pts, paths...); !bytes.Equal(got, want) {
			t.Errorf("%d workers: resumed shards merge to different bytes than an uninterrupted run", workers)
		}
		// A third run has nothing to do and changes nothing.
		before, _ := os.ReadFile(paths[0])
		st, err := Run(context.Background(), paths[0], (Shard{I: 1, N: 2}).Select(pts), Options{})
		after, _ := os.ReadFile(paths[0])
		if err != nil || st.Written != 0 || !bytes.Equal(before, after) {
			t.Errorf("rerun of a complete shard: %+v, %v, file changed %v", st, err, !bytes.Equal(before, after))
		}
	}
}

func TestMergeErrors(t *testing.T) {
	dir := t.TempDir()
	pts := mustExpand(t, tinySpec())
	path := filepath.Join(dir, "a.jsonl")
	if _, err := Run(context.Background(), path, pts[:5], Options{}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	_, _, err := Merge(pts[:5], map[string][]byte{"a": raw, "b": raw})
	var me *MergeError
	if !errors.As(err, &me) || len(me.Duplicated) != 5 {
		t.Errorf("duplicates: %v", err)
	}
	_, _, err = Merge(pts[:6], map[string][]byte{"a": raw})
	if !errors.As(err, &me) || len(me.Missing) != 1 || me.Missing[0] != pts[5].Key {
		t.Errorf("missing: %v", err)
	}
	_, _, err = Merge(pts[:4], map[string][]byte{"a": raw})
	if !errors.As(err, &me) || len(me.Foreign) != 1 {
		t.Errorf("foreign: %v", err)
	}
	// Damage in the middle of a file is not a kill artefact: refuse it.
	lines := bytes.SplitAfter(raw, []byte("\n"))
	damaged := append(append(append([]byte(nil), lines[0]...), []byte("{\"key\":\n")...), bytes.Join(lines[1:], nil)...)
	if _, _, err := Merge(pts[:5], map[string][]byte{"a": damaged}); err == nil || IsMergeError(err) {
		t.Errorf("damaged middle line: %v", err)
	}
	if err := os.WriteFile(path, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), path, pts[:5], Options{}); err == nil {
		t.Error("Run resumed from a file damaged in the middle")
	}
}

func TestMeasureLinearCEAtZero(t *testing.T) {
	// THEORY §5.4: at W = 0, R = 1/(C−1) and ρ = 1/C to round-off.
	for _, c := range []int{2, 5, 9} {
		rec, err := Measure(numerics.Config{Model: kind.Linear, Loss: kind.CE, C: c, D: 6, N: 20, Sigma: 0, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := rec.Family(kind.OutputOutput)
		if d := f.R*float64(c-1) - 1; d > 1e-12 || d < -1e-12 {
			t.Errorf("C = %d: (C−1)R − 1 = %g", c, d)
		}
		if d := rec.Rho*float64(c) - 1; d > 1e-12 || d < -1e-12 {
			t.Errorf("C = %d: Cρ − 1 = %g", c, d)
		}
	}
}

// Measure never forms H; every statistic it records equals the one read
// off the dense Hessian. StructuredStats and Problem.Block agree with the
// dense path to 1e−10 relative, so 1e−9 cannot fail by chance but catches a
// wrong family, pair or block.
func TestMeasureMatchesDense(t *testing.T) {
	var cfgs []numerics.Config
	for _, loss := range []kind.Loss{kind.MSE, kind.CE} {
		for _, c := range []int{2, 5} {
			cfgs = append(cfgs, numerics.Config{Model: kind.Linear, Loss: loss, C: c, D: 6, N: 20, Sigma: 1, Seed: 3})
			for _, act := range []kind.Activation{kind.Identity, kind.ReLU, kind.Tanh} {
				cfgs = append(cfgs, numerics.Config{Model: kind.MLP, Activation: act, Loss: loss, C: c, D: 5, N: 20, M: 3, SigmaW: 1, SigmaV: 1, Seed: 3})
			}
		}
	}
	for _, cfg := range cfgs {
		got, err := Measure(cfg)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := numerics.NewProblem(cfg)
		h, err := p.Hessian()
		if err != nil {
			t.Fatal(err)
		}
		l := p.Layout()
		bs, err := numerics.ComputeBlockStats(h, l)
		if err != nil {
			t.Fatal(err)
		}
		near := func(name string, a, b float64) {
			if math.Abs(a-b) > 1e-9*math.Abs(b) && math.Abs(a-b) > 1e-14 {
				t.Errorf("%s: %s = %v, dense %v", got.Key, name, a, b)
			}
		}
		near("ρ", got.Rho, bs.Rho)
		if len(got.Families) != len(bs.Ratios) {
			t.Fatalf("%s: %d families, dense %d", got.Key, len(got.Families), len(bs.Ratios))
		}
		for i, fr := range bs.Ratios {
			g := got.Families[i]
			if g.Family != fr.Family || g.Pairs != fr.Pairs {
				t.Errorf("%s: family %s (%d pairs), dense %s (%d)", got.Key, g.Family, g.Pairs, fr.Family, fr.Pairs)
			}
			near(string(fr.Family)+" R", g.R, fr.R)
			a, b, off := l.Representative(fr.Family)
			spec := func(a, b int) float64 {
				blk, _ := numerics.BlockOfMatrix(h, l, a, b)
				s, _ := numerics.SpectralNorm(blk)
				return s
			}
			if fr.Family != kind.HiddenOutput {
				near(string(fr.Family)+" diag norm", g.DiagNorm, spec(a, a))
			}
			if off {
				near(string(fr.Family)+" off norm", g.OffNorm, spec(a, b))
			}
		}
	}
}
