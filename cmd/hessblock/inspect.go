package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"gonum.org/v1/gonum/mat"
)

func init() {
	register(&command{
		name:    "inspect",
		summary: "print the block statistics of one configuration (R per family, ρ, spectra)",
		run:     runInspect,
	})
}

// inspectResult is what inspect prints. Field order is the JSON order.
type inspectResult struct {
	Config numerics.Config `json:"config"`
	Params int             `json:"params"` // P
	Gamma  float64         `json:"gamma"`  // d/N
	// Method is "dense" (H formed) or "structured" (Gram identities and
	// Lanczos; H never formed), chosen by the memory guard.
	Method string `json:"method"`

	// R per family; R is 0 for a family without off-diagonal pairs
	// (pairs = 0, an MLP with m = 1).
	Ratios    []numerics.FamilyRatio `json:"ratios"`
	Rho       float64                `json:"rho"`
	Frobenius float64                `json:"frobenius"`  // ‖H‖_F
	LambdaMax float64                `json:"lambda_max"` // largest eigenvalue of H
	// LambdaMaxResidual bounds |λmax − LambdaMax| on the structured path
	// (the Lanczos residual); 0 on the dense path, exact to round-off.
	LambdaMaxResidual float64 `json:"lambda_max_residual,omitempty"`

	// DiagBlock is H_00, the first block (W[0]); OffBlock the first
	// off-diagonal pair of one kind (numerics.Layout.Representative).
	DiagBlock numerics.BlockSpectrum `json:"diag_block"`
	OffBlock  numerics.BlockSpectrum `json:"off_block"`

	// hessian is the dense H when the dense path computed it, for -npy;
	// nil otherwise.
	hessian *mat.SymDense
}

// inspectFlags holds the parsed command line.
type inspectFlags struct {
	cfg           numerics.Config
	maxDenseBytes int64
	json          bool
	npyDir        string
	figDir        string
}

func parseInspectFlags(args []string, stderr io.Writer) (inspectFlags, error) {
	fs := newFlagSet("inspect", "inspect [flags]", stderr)
	def, mlp := numerics.DefaultConfig(kind.Linear), numerics.DefaultConfig(kind.MLP)
	def.Activation, def.M, def.SigmaW, def.SigmaV = mlp.Activation, mlp.M, mlp.SigmaW, mlp.SigmaV
	cf := addConfigFlags(fs, def, "seed of the data and the initialization", nil)
	var (
		maxBytes = fs.Int64("max-dense-bytes", numerics.DefaultMaxDenseBytes, "largest dense Hessian, in bytes")
		asJSON   = fs.Bool("json", false, "print JSON instead of a table")
		npyDir   = fs.String("npy", "", "also write H, the layout, W, V, X, labels and the config into `DIR` (NumPy .npy + JSON)")
		figDir   = fs.String("fig", "", "also write figures (|H| heatmap, block-averaged |H| map, block spectra; PNG and SVG) into `DIR`")
	)
	if err := parseFlags(fs, args); err != nil {
		return inspectFlags{}, err
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
	return inspectFlags{cfg: cfg, maxDenseBytes: *maxBytes, json: *asJSON, npyDir: *npyDir, figDir: *figDir}, nil
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
			if err := checkOutputDir(dir); err != nil {
				return err
			}
		}
	}
	p, err := numerics.NewProblem(fl.cfg)
	if err != nil {
		return usageError{err}
	}
	p.MaxDenseBytes = fl.maxDenseBytes
	res, err := inspectStats(p, stderr)
	if err != nil {
		return err
	}
	if res.hessian == nil && (fl.npyDir != "" || fl.figDir != "") {
		fmt.Fprintf(stderr, "hessblock inspect: H was not formed, so -npy writes no hessian.npy and -fig draws no figures (raise -max-dense-bytes to form it)\n")
	}
	if fl.npyDir != "" {
		if err := numerics.ExportNPY(fl.npyDir, p, res.hessian); err != nil {
			return err
		}
	}
	if fl.figDir != "" && res.hessian != nil {
		if err := writeInspectFigures(fl.figDir, p, res.hessian); err != nil {
			return err
		}
	}
	if fl.json {
		return writeInspectJSON(stdout, res)
	}
	return writeInspectTable(stdout, res)
}

// inspectStats computes the statistics of p with numerics.Measure: with
// the dense Hessian when it fits under the memory guard, otherwise with the
// structured path (exact Gram identities for R and ρ, Lanczos for λmax),
// saying so on note.
func inspectStats(p *numerics.Problem, note io.Writer) (inspectResult, error) {
	cfg := p.Config()
	res := inspectResult{Config: cfg, Params: p.NumParams(), Gamma: cfg.Gamma()}
	m, err := numerics.Measure(p, numerics.MeasureOptions{
		MaxDenseParams: math.MaxInt, Seed: cfg.Seed, LambdaMax: true, Blocks: true, KeepHessian: true,
	})
	if err != nil {
		return res, err
	}
	var tooLarge *numerics.DenseTooLargeError
	if errors.As(m.DenseRefused, &tooLarge) {
		fmt.Fprintf(note, "hessblock inspect: the dense Hessian would need %s, over the limit of %s (-max-dense-bytes); "+
			"using structured statistics instead (exact R and ρ from Gram identities, λmax by Lanczos; H is not formed)\n",
			formatBytes(tooLarge.Bytes), formatBytes(tooLarge.Limit))
	}
	res.Method = string(m.Method)
	res.Ratios = m.Summary.Ratios
	res.Rho = m.Summary.Rho
	res.Frobenius = m.Frobenius()
	res.LambdaMax, res.LambdaMaxResidual = m.LambdaMax, m.LambdaMaxResidual
	res.hessian = m.Hessian
	// The first family's diagonal block is block 0; the off-diagonal
	// block is that of the first family of one kind with a pair (the
	// output–output one for an MLP with a single hidden neuron).
	res.DiagBlock = *m.Blocks[0].Diag
	for _, fb := range m.Blocks {
		if fb.Diag != nil && fb.Off != nil {
			res.OffBlock = *fb.Off
			break
		}
	}
	return res, nil
}

// formatBytes prints a byte count in the largest binary unit that keeps it ≥ 1.
func formatBytes(b int64) string {
	v, unit := float64(b), "B"
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return fmt.Sprintf("%.4g %s", v, unit)
}

func writeInspectJSON(w io.Writer, res inspectResult) error {
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

func writeInspectTable(w io.Writer, res inspectResult) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "configuration: %v\n", res.Config)
	fmt.Fprintf(&buf, "method: %s\n\n", res.Method)
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
		row("R "+string(r.Family), g(r.R), fmt.Sprintf("pair ratio over %d ordered pairs", r.Pairs))
	}
	row("ρ", g(res.Rho), "off-block mass ‖H − blockdiag H‖²_F / ‖H‖²_F")
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
	// Rows without a note end in the padding of the value column.
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		out.WriteString(strings.TrimRight(line, " "))
		out.WriteByte('\n')
	}
	_, err := io.WriteString(w, out.String())
	return err
}
