package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/hessblock/hessblock/internal/atomicfile"
	"github.com/hessblock/hessblock/internal/inspect"
	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

func init() {
	register(&command{
		name:    "inspect",
		summary: "print the block statistics of one configuration (R per family, ρ, spectra)",
		run:     runInspect,
	})
}

// inspectFlags holds the parsed command line.
type inspectFlags struct {
	cfg           numerics.Config
	maxDenseBytes int64
	json          bool
	npyDir        string
	figDir        string
	load          string       // -load FILE
	flags         *configFlags // for -load, which reads the file later
	analysis      *analysisFlags
}

func parseInspectFlags(args []string, stderr io.Writer) (inspectFlags, error) {
	fs := newFlagSet("inspect", "inspect [flags]", stderr)
	def, mlp := numerics.DefaultConfig(kind.Linear), numerics.DefaultConfig(kind.MLP)
	def.Activation, def.M, def.SigmaW, def.SigmaV = mlp.Activation, mlp.M, mlp.SigmaW, mlp.SigmaV
	cf := addConfigFlags(fs, def, "seed of the data and the initialization", nil)
	var (
		maxBytes = fs.Int64("max-dense-bytes", numerics.DefaultMaxDenseBytes, "largest dense Hessian, in bytes: above it the exact structured statistics are used instead (-max-memory is the hard ceiling on both)")
		asJSON   = fs.Bool("json", false, "print JSON instead of a table")
		npyDir   = fs.String("npy", "", "also write H, the layout, W, V, X, labels and the config into `DIR` (NumPy .npy + JSON)")
		figDir   = fs.String("fig", "", "also write figures (|H| heatmap, block-averaged |H| map, block spectra, with -eigvecs the eigenvectors' block mass; PNG and SVG) into `DIR`")
		load     = fs.String("load", "", loadDoc)
	)
	af := addAnalysisFlags(fs)
	addMemoryFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return inspectFlags{}, err
	}
	if *load != "" {
		if *maxBytes <= 0 {
			return inspectFlags{}, inspectUsage("-max-dense-bytes = %d, want > 0", *maxBytes)
		}
		if err := refuseWithLoad(fs, loadExcludes...); err != nil {
			return inspectFlags{}, inspectUsage("%v", err)
		}
		if err := af.check(fs, 0); err != nil { // P is known once the file is read
			return inspectFlags{}, err
		}
		return inspectFlags{maxDenseBytes: *maxBytes, json: *asJSON, npyDir: *npyDir, figDir: *figDir, load: *load, flags: cf, analysis: af}, nil
	}
	mod, err := cf.modelOr(kind.Linear)
	if err != nil {
		return inspectFlags{}, inspectUsage("%v", err)
	}
	cfg := numerics.DefaultConfig(mod)
	if err := cf.apply(&cfg); err != nil {
		return inspectFlags{}, inspectUsage("%v", err)
	}
	cfg.C, cfg.D, cfg.N, cfg.Seed = *cf.c, *cf.d, *cf.n, *cf.seed
	if err := cfg.Validate(); err != nil {
		return inspectFlags{}, inspectUsage("%v", err)
	}
	if *maxBytes <= 0 {
		return inspectFlags{}, inspectUsage("-max-dense-bytes = %d, want > 0", *maxBytes)
	}
	if err := af.check(fs, cfg.NumParams()); err != nil {
		return inspectFlags{}, err
	}
	return inspectFlags{cfg: cfg, maxDenseBytes: *maxBytes, json: *asJSON, npyDir: *npyDir, figDir: *figDir, analysis: af}, nil
}

// inspectUsage is a usage error that points to the flag list.
func inspectUsage(format string, args ...any) error {
	return usagef(format+"\n(run 'hessblock inspect -h' for the flags and their defaults)", args...)
}

func runInspect(args []string, stdout, stderr io.Writer) error {
	fl, err := parseInspectFlags(args, stderr)
	if err != nil {
		return err
	}
	for _, dir := range []string{fl.npyDir, fl.figDir} {
		if dir != "" {
			if err := atomicfile.CheckDir(dir); err != nil {
				return err
			}
		}
	}
	p, source, err := inspectProblem(fl)
	if err != nil {
		return err
	}
	if k := *fl.analysis.eigvecs; k > p.NumParams() {
		return inspectUsage("-eigvecs = %d, more than the P = %d eigenvectors H has", k, p.NumParams())
	}
	p.MaxDenseBytes = fl.maxDenseBytes
	res, err := inspect.Measure(p, stderr)
	if err != nil {
		return err
	}
	if err := inspect.Analyze(p, &res, fl.analysis.options(res, p.Config().Seed)); err != nil {
		return err
	}
	res.Source = source
	if res.Hessian == nil && (fl.npyDir != "" || fl.figDir != "") {
		fmt.Fprintf(stderr, "hessblock inspect: H was not formed, so -npy writes no hessian.npy and -fig draws no figures (raise -max-dense-bytes to form it)\n")
	}
	if err := writeInspectDirs(fl, p, res); err != nil {
		return err
	}
	if fl.json {
		return writeInspectJSON(stdout, res)
	}
	return writeInspectTable(stdout, res)
}

// inspectProblem builds the problem of the flags, or of -load's file;
// source says where a loaded problem's weights and data came from.
func inspectProblem(fl inspectFlags) (*numerics.Problem, string, error) {
	if fl.load != "" {
		return loadInspectProblem(fl, fl.flags)
	}
	p, err := drawnProblem(fl)
	return p, "", err
}

// drawnProblem draws the problem of the flags' configuration.
func drawnProblem(fl inspectFlags) (*numerics.Problem, error) {
	// The whole measurement, so that the size the message suggests fits
	// the problem and its statistics.
	if err := inspect.CheckBudget(fl.cfg, fl.maxDenseBytes, membudget.Limit()); err != nil {
		return nil, err
	}
	p, err := numerics.NewProblem(fl.cfg)
	if err != nil {
		if membudget.IsOver(err) {
			return nil, err // a valid configuration too large for the budget: status 1
		}
		return nil, usageError{err}
	}
	return p, nil
}

// writeInspectDirs writes -npy and -fig, each directory replaced as a
// whole (atomicfile.Dir) so that no file of an earlier run with other
// flags survives; one directory given to both gets both sets of files.
func writeInspectDirs(fl inspectFlags, p *numerics.Problem, res inspect.Result) error {
	h := res.Hessian
	npy := func(dir string) error { return numerics.ExportNPY(dir, p, h) }
	fig := func(dir string) error {
		if len(res.Eigvecs) > 0 {
			if err := inspect.WriteEigvecFigure(dir, p, res.Eigvecs); err != nil {
				return err
			}
		}
		if h == nil {
			return nil
		}
		return inspect.WriteFigures(dir, p, h)
	}
	if fl.npyDir != "" && fl.figDir != "" && filepath.Clean(fl.npyDir) == filepath.Clean(fl.figDir) {
		return atomicfile.Dir(fl.npyDir, func(tmp string) error {
			if err := npy(tmp); err != nil {
				return err
			}
			return fig(tmp)
		})
	}
	if fl.npyDir != "" {
		if err := atomicfile.Dir(fl.npyDir, npy); err != nil {
			return err
		}
	}
	if fl.figDir != "" {
		return atomicfile.Dir(fl.figDir, fig)
	}
	return nil
}

func writeInspectJSON(w io.Writer, res inspect.Result) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		// encoding/json refuses NaN and ±Inf; say which statistic it was.
		var ue *json.UnsupportedValueError
		if errors.As(err, &ue) {
			return fmt.Errorf("a statistic is %s, which JSON cannot hold: %w", ue.Str, err)
		}
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// stat formats a statistic, or "undefined (reason)" when it is 0/0: never
// 0, NaN or +Inf in place of an undefined value.
func stat(v float64, undefined string, format func(float64) string) string {
	if undefined != "" {
		return "undefined (" + undefined + ")"
	}
	return format(v)
}

func writeInspectTable(w io.Writer, res inspect.Result) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "configuration: %v\n", res.Config)
	if res.Source != "" {
		fmt.Fprintf(&buf, "source: %s\n", res.Source)
	}
	fmt.Fprintf(&buf, "method: %s\n", res.Method)
	fmt.Fprintf(&buf, "blas: %s\n\n", res.BLAS)
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	row := func(name, value, note string) { fmt.Fprintf(tw, "%s\t%s\t%s\n", name, value, note) }
	g := func(v float64) string { return fmt.Sprintf("%.6g", v) }
	row("statistic", "value", "")
	row("P", fmt.Sprint(res.Params), "parameters")
	row("γ", g(res.Gamma), "d/N")
	for _, r := range res.Ratios {
		if r.Pairs == 0 {
			row("R "+string(r.Family), "n/a", "no off-diagonal pair in this family")
			continue
		}
		row("R "+string(r.Family), stat(r.R, r.Undefined, g), fmt.Sprintf("pair ratio over %d ordered pairs", r.Pairs))
	}
	row("ρ", stat(res.Rho, res.RhoUndefined, g), "off-block mass ‖H − blockdiag H‖²_F / ‖H‖²_F")
	row("‖H‖_F", g(res.Frobenius), "")
	if res.Method == "structured" {
		row("λmax(H)", g(res.LambdaMax), fmt.Sprintf("Lanczos, residual %.2g", res.LambdaMaxResidual))
	} else {
		row("λmax(H)", g(res.LambdaMax), "")
	}
	for _, s := range []numerics.BlockSpectrum{res.DiagBlock, res.OffBlock} {
		name := fmt.Sprintf("H[%s,%s]", s.A, s.B)
		shape := fmt.Sprintf("%d×%d block", s.Rows, s.Cols)
		if s.LambdaMax != nil {
			row("λmax "+name, g(*s.LambdaMax), shape)
			row("λmin "+name, g(*s.LambdaMin), "")
		} else {
			row("σmax "+name, g(s.SigmaMax), shape+", largest singular value")
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeAnalysisTable(&buf, res)
	// Rows without a note end in the padding of the value column.
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		out.WriteString(strings.TrimRight(line, " "))
		out.WriteByte('\n')
	}
	_, err := io.WriteString(w, out.String())
	return err
}
