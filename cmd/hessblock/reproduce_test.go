package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReproduceQuick generates the report on a tiny configuration through
// the command line and checks every promised file, twice, byte for byte.
func TestReproduceQuick(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	for _, dir := range dirs {
		var out, errb bytes.Buffer
		if code := run([]string{"reproduce", "-quick", "-quiet", "-o", dir}, &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		if !strings.Contains(out.String(), filepath.Join(dir, "report.md")) {
			t.Errorf("stdout does not say where the report is: %q", out.String())
		}
		if errb.Len() != 0 {
			t.Errorf("-quiet run wrote to stderr: %q", errb.String())
		}
	}
	files := []string{"report.md", "report.html", "data/points.jsonl",
		"tables/exponents.md", "tables/exponents.csv", "tables/constants.csv", "tables/grid.csv", "tables/setup.csv"}
	for _, f := range []string{"heatmap", "blockmap", "ratio_linear", "ratio_mlp", "spectra_separation", "spectra_gmp", "spectra_mp"} {
		files = append(files, "figures/"+f+".png", "figures/"+f+".svg")
	}
	for _, f := range files {
		a, err := os.ReadFile(filepath.Join(dirs[0], f))
		if err != nil {
			t.Error(err)
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dirs[1], f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with the same flags", f)
		}
	}
}

func TestReproduceFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"reproduce", "-seeds", "x"},
		{"reproduce", "-cmax", "2"},
		{"reproduce", "-sigma", "0"},
		{"reproduce", "-spectrum-C", "4,a"},
		{"reproduce", "extra"},
		{"-nosuchflag"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
		if errb.Len() == 0 {
			t.Errorf("%q: no message on stderr", args)
		}
	}
}

// TestReproduceSweepMergeHelp checks that reproduce, sweep and merge answers -h with its
// flags and their defaults, and exit status 0.
func TestReproduceSweepMergeHelp(t *testing.T) {
	for cmd, flags := range map[string][]string{
		"reproduce": {"-o", "-out", "-quick", "-seeds", "-cmax", "(default 1024)"},
		"sweep":     {"-spec", "-shard", "-o", "(default \"sweep.jsonl\")", "-C"},
		"merge":     {"-spec", "-o", "(default \"merged.jsonl\")"},
	} {
		var out, errb bytes.Buffer
		if code := run([]string{cmd, "-h"}, &out, &errb); code != 0 {
			t.Errorf("%s -h: exit %d", cmd, code)
		}
		for _, f := range flags {
			if !strings.Contains(errb.String(), f) {
				t.Errorf("%s -h does not mention %s", cmd, f)
			}
		}
	}
}
