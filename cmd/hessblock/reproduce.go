package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hessblock/hessblock/internal/atomicfile"
	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/internal/report"
	"github.com/hessblock/hessblock/internal/study"
)

func init() {
	register(&command{
		name:    "reproduce",
		summary: "reproduce the study: report with figures and tables in -o (what a bare run does)",
		run:     runReproduce,
	})
}

// intList is a comma-separated list of integers flag.
type intList []int

func (l *intList) String() string {
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func (l *intList) Set(v string) error {
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("%q is not an integer", f)
		}
		out = append(out, n)
	}
	*l = out
	return nil
}

func runReproduce(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("reproduce", "reproduce [flags]", stderr)
	def := study.Default()
	out := fs.String("o", "out", "output `directory` for report.md, report.html, figures/, tables/ and data/")
	alias(fs, "out", "o")
	quick := fs.Bool("quick", false, "tiny sizes (a few seconds), for a smoke test; explicit size flags still apply")
	quiet := fs.Bool("quiet", false, "no progress display and no summary on stderr")
	o := def
	fs.IntVar(&o.Seeds, "seeds", def.Seeds, "seeds 1…`n` per grid point")
	fs.IntVar(&o.D, "d", def.D, "grid input dimension d")
	fs.IntVar(&o.N, "N", def.N, "grid sample count N")
	fs.IntVar(&o.M, "m", def.M, "grid hidden width m of the ReLU network")
	fs.IntVar(&o.CMax, "cmax", def.CMax, "grid C = 2, 4, 8, … up to `Cmax`")
	fs.Float64Var(&o.Sigma, "sigma", def.Sigma, "linear-model weight scale σ > 0 (σ = 0 is always included)")
	fs.IntVar(&o.FitCMin, "fit-cmin", def.FitCMin, "fit exponents over the grid points with C ≥ `Cmin`")
	fs.IntVar(&o.SpecD, "spectrum-d", def.SpecD, "spectra: input dimension d")
	fs.IntVar(&o.SpecN, "spectrum-N", def.SpecN, "spectra: sample count N")
	specC := intList(def.SpecC)
	fs.Var(&specC, "spectrum-C", "spectra: comma-separated values of C")
	fs.IntVar(&o.Workers, "j", def.Workers, "grid points measured at once")
	dynamic := fs.Bool("dynamic", false, "add the dynamic section: block structure through training on MNIST and the Go-text task (about 3 minutes more; with -quick a few seconds)")
	var dynamicCs intList
	fs.Var(&dynamicCs, "dynamic-C", "dynamic section: comma-separated class counts of the Go-text task (default 100,1000,10000)")
	addMemoryFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *quick {
		set := given(fs)
		q := study.Quick()
		pick := func(name string, dst *int, v int) {
			if !set[name] {
				*dst = v
			}
		}
		pick("seeds", &o.Seeds, q.Seeds)
		pick("d", &o.D, q.D)
		pick("N", &o.N, q.N)
		pick("m", &o.M, q.M)
		pick("cmax", &o.CMax, q.CMax)
		pick("fit-cmin", &o.FitCMin, q.FitCMin)
		pick("spectrum-d", &o.SpecD, q.SpecD)
		pick("spectrum-N", &o.SpecN, q.SpecN)
		if !set["spectrum-C"] {
			specC = q.SpecC
		}
		o.SpecBlocks = q.SpecBlocks
		o.HeatD, o.HeatN, o.HeatM, o.HeatC = q.HeatD, q.HeatN, q.HeatM, q.HeatC
		o.Deep, o.Curv, o.SpecFit = q.Deep, q.Curv, q.SpecFit
	}
	o.SpecC = specC
	o.Dynamic = study.DynamicOptions{On: *dynamic, Quick: *quick, TextCs: dynamicCs}
	if err := o.Validate(); err != nil {
		return usagef("%v", err)
	}
	if o.Workers > maxWorkers {
		return usagef("-j %d: want 1 … %d (each worker holds a grid point's work arrays)", o.Workers, maxWorkers)
	}
	// Before o.Work, which lists the grid's points.
	if err := o.CheckMemory(membudget.Limit()); err != nil {
		return err
	}
	if *out == "" {
		return usagef("-o: empty directory name")
	}
	if err := atomicfile.CheckDir(*out); err != nil {
		return err
	}

	// Ctrl-C cancels the computation; nothing is written until it is all
	// done, and then every file is replaced atomically.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	interrupted := fmt.Errorf("interrupted; nothing written to %s", *out)
	start := time.Now()
	bar := newProgress(stderr, *quiet, o.Work())
	log := stderr
	if *quiet {
		log = io.Discard
	}
	res, err := study.Run(ctx, o, study.Progress{Stage: bar.stage, Add: bar.add, Log: log})
	bar.finish()
	if ctx.Err() != nil {
		return interrupted
	}
	if err != nil {
		return err
	}
	// The new run replaces the whole directory (atomicfile.Dir): no file
	// of an earlier run survives beside this one's.
	if err := atomicfile.Dir(*out, func(tmp string) error {
		if err := report.Write(tmp, res.Doc); err != nil {
			return err
		}
		return atomicfile.WriteFile(filepath.Join(tmp, "data", "points.jsonl"), res.Points)
	}); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "hessblock reproduce: done in %s\n", time.Since(start).Round(100*time.Millisecond))
	}
	fmt.Fprintf(stdout, "Report written:\n  %s\n  %s (self-contained)\nFigures in %s, tables (Markdown and CSV) in %s, raw data in %s.\n",
		filepath.Join(*out, "report.md"), filepath.Join(*out, "report.html"),
		filepath.Join(*out, "figures"), filepath.Join(*out, "tables"), filepath.Join(*out, "data"))
	return nil
}
