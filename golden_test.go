package hessblock_test

// Golden tables: a fixed sweep over every model × activation × loss, C ∈
// {2, 4, …, 1024} and three seeds, recording the block statistics the study
// is about. TestGolden recomputes the sweep and compares it with the
// committed golden/sweep.csv under per-column tolerances, so any change to
// the numbers (a regression, or an intended change of the numerics or of
// the theory laws) shows up as a diff.
//
// Regenerate after an intended change, and review the diff before
// committing it:
//
//	go test -run Golden -update
//
// Under -short only the rows with C ≤ 64 are recomputed (all rows are still
// read and checked for shape).

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/theory"
)

var update = flag.Bool("update", false, "rewrite the golden files in golden/ from the current code")

const goldenSweepPath = "golden/sweep.csv"

// Fixed sizes of the sweep. d = 16, N = 64 (γ = ¼) and m = 16 keep every
// statistic cheap up to C = 1024 through the structured (never dense) path:
// the full sweep takes a few seconds.
const (
	goldenD     = 16
	goldenN     = 64
	goldenM     = 16
	goldenSigma = 1.0
)

var (
	goldenClasses = []int{2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}
	goldenSeeds   = []uint64{1, 2, 3}
)

// goldenRow is one configuration of the sweep. Statistics that do not
// apply to a configuration (e.g. hidden blocks of the linear model, a KS
// distance without a predicted law) are NaN.
type goldenRow struct {
	Model      string
	Activation string
	Loss       string
	C          int
	Seed       uint64

	// Pair ratio R per family and the off-block mass ρ (THEORY §4).
	RHidden, ROutput, RCross float64
	Rho                      float64

	// Largest |eigenvalue| of the first diagonal block and of the first
	// off-diagonal block of each kind (both symmetric), and the largest
	// singular value of the first hidden–output block.
	EigOutDiag, EigOutOff float64
	EigHidDiag, EigHidOff float64
	SVCross               float64

	// Kolmogorov–Smirnov distance between the ESD of the scaled first
	// diagonal block and its predicted law (THEORY §4), where there is one:
	// linear MSE H_kk = S vs MP(γ); linear CE C·H_kk vs GMP(γ,
	// LogN(−σ²/2, σ²)); network MSE H_ii/‖v^i‖² vs MP(γ) (identity) or
	// GMP(γ, Bernoulli ½) (ReLU).
	KSOutDiag, KSHidDiag float64
}

// Per-column tolerances, as relative (rel) or absolute (abs) bounds. The
// numbers are deterministic on one machine; what may differ elsewhere is
// round-off: gonum's BLAS kernels differ by architecture (assembly on
// amd64, pure Go or FMA elsewhere), which changes summation order.
//   - R and ρ are ratios of sums of ≤ 10⁶ squared block norms, each a
//     contraction of O(N²) terms: order changes move them by ~1e−13
//     relative; saturated softmax (C = 1024, σ = 1) loses a few more digits
//     to cancellation in p(1 − p). 1e−9 relative leaves a margin of 10³.
//   - Largest eigenvalues and singular values come from an iterative
//     eigensolver whose backward error is ~d·ε·‖B‖: 1e−9 relative.
//   - KS distances also depend on the theory package's quadrature of the
//     GMP density (tolerance ~1e−10) and move with an eigenvalue by the
//     density times the shift: 1e−7 absolute.
var goldenTolerance = map[string]func(a, b float64) bool{
	"RHidden": relClose(1e-9), "ROutput": relClose(1e-9), "RCross": relClose(1e-9), "Rho": relClose(1e-9),
	"EigOutDiag": relClose(1e-9), "EigOutOff": relClose(1e-9), "EigHidDiag": relClose(1e-9), "EigHidOff": relClose(1e-9),
	"SVCross":   relClose(1e-9),
	"KSOutDiag": absClose(1e-7), "KSHidDiag": absClose(1e-7),
}

func relClose(tol float64) func(a, b float64) bool {
	return func(a, b float64) bool {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.IsNaN(a) && math.IsNaN(b)
		}
		return a == b || math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
	}
}

func absClose(tol float64) func(a, b float64) bool {
	return func(a, b float64) bool {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.IsNaN(a) && math.IsNaN(b)
		}
		return math.Abs(a-b) <= tol
	}
}

// goldenOptions compares goldenRows field by field with the tolerance of
// each column; identifying columns must match exactly.
func goldenOptions() cmp.Options {
	var opts cmp.Options
	for name, eq := range goldenTolerance {
		opts = append(opts, cmp.FilterPath(func(p cmp.Path) bool {
			sf, ok := p.Last().(cmp.StructField)
			return ok && sf.Name() == name
		}, cmp.Comparer(eq)))
	}
	return opts
}

// goldenConfigs lists the sweep in file order.
func goldenConfigs() []numerics.Config {
	type combo struct {
		model kind.Model
		act   kind.Activation
		loss  kind.Loss
	}
	var combos []combo
	for _, loss := range []kind.Loss{kind.MSE, kind.CE} {
		combos = append(combos, combo{kind.Linear, "", loss})
	}
	for _, act := range []kind.Activation{kind.Identity, kind.ReLU, kind.Tanh} {
		for _, loss := range []kind.Loss{kind.MSE, kind.CE} {
			combos = append(combos, combo{kind.MLP, act, loss})
		}
	}
	var cfgs []numerics.Config
	for _, cb := range combos {
		for _, c := range goldenClasses {
			for _, seed := range goldenSeeds {
				cfg := numerics.Config{Model: cb.model, Activation: cb.act, Loss: cb.loss, C: c, D: goldenD, N: goldenN, Seed: seed}
				if cb.model == kind.MLP {
					cfg.M, cfg.SigmaW, cfg.SigmaV = goldenM, goldenSigma, goldenSigma
				} else {
					cfg.Sigma = goldenSigma
				}
				cfgs = append(cfgs, cfg)
			}
		}
	}
	return cfgs
}

// computeGoldenRow evaluates one configuration through numerics.Measure,
// the entry point inspect, sweep and the report use: R and ρ by the
// structured statistics (no dense Hessian, so C = 1024 is cheap), the
// representative blocks' extreme eigenvalues and singular value; the KS
// columns need a diagonal block's whole spectrum (Problem.Block).
func computeGoldenRow(cfg numerics.Config) (goldenRow, error) {
	nan := math.NaN()
	row := goldenRow{
		Model: string(cfg.Model), Activation: string(cfg.Activation), Loss: string(cfg.Loss), C: cfg.C, Seed: cfg.Seed,
		RHidden: nan, ROutput: nan, RCross: nan, Rho: nan,
		EigOutDiag: nan, EigOutOff: nan, EigHidDiag: nan, EigHidOff: nan, SVCross: nan,
		KSOutDiag: nan, KSHidDiag: nan,
	}
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		return row, err
	}
	m, err := numerics.Measure(p, numerics.MeasureOptions{Method: numerics.StatsStructured, Blocks: true, Seed: cfg.Seed})
	if err != nil {
		return row, err
	}
	row.Rho = m.Summary.Rho
	row.ROutput = m.Summary.Ratio(kind.OutputOutput)
	if cfg.Model == kind.MLP {
		row.RHidden = m.Summary.Ratio(kind.HiddenHidden)
		row.RCross = m.Summary.Ratio(kind.HiddenOutput)
	}
	for _, fb := range m.Blocks {
		switch fb.Family {
		case kind.OutputOutput:
			row.EigOutDiag, row.EigOutOff = maxAbsEig(fb.Diag), maxAbsEig(fb.Off)
		case kind.HiddenHidden:
			row.EigHidDiag, row.EigHidOff = maxAbsEig(fb.Diag), maxAbsEig(fb.Off)
		case kind.HiddenOutput:
			row.SVCross = fb.Off.SigmaMax
		}
	}
	l := p.Layout()
	if cfg.Model == kind.Linear {
		evOut, err := blockEigenvalues(p, l.Of(kind.Output)[0])
		if err != nil {
			return row, err
		}
		pred, err := goldenPrediction(cfg, kind.OutputOutput)
		if err != nil {
			return row, err
		}
		row.KSOutDiag = ksDistance(scaled(evOut, pred.DiagScale), pred.Diag.CDF)
		return row, nil
	}
	// The hidden law's scale is 1/‖v^0‖², which the table leaves to the
	// realization; the law itself is known for identity and ReLU under MSE.
	if cfg.Loss == kind.MSE {
		pred, err := goldenPrediction(cfg, kind.HiddenHidden)
		if err != nil {
			return row, err
		}
		if pred.Diag != nil {
			evHid, err := blockEigenvalues(p, l.Of(kind.Hidden)[0])
			if err != nil {
				return row, err
			}
			v0 := mat.Col(nil, 0, p.V())
			vn := 0.0
			for _, v := range v0 {
				vn += v * v
			}
			row.KSHidDiag = ksDistance(scaled(evHid, 1/vn), pred.Diag.CDF)
		}
	}
	return row, nil
}

// maxAbsEig is the largest |eigenvalue| of a square block, NaN without one.
func maxAbsEig(s *numerics.BlockSpectrum) float64 {
	if s == nil || s.LambdaMax == nil {
		return math.NaN()
	}
	return math.Max(math.Abs(*s.LambdaMax), math.Abs(*s.LambdaMin))
}

// blockEigenvalues is the spectrum of the diagonal block H_aa.
func blockEigenvalues(p *numerics.Problem, a int) ([]float64, error) {
	blk, err := p.Block(a, a)
	if err != nil {
		return nil, err
	}
	return numerics.SymmetricEigenvalues(blk)
}

// goldenPrediction is the law of the table for cfg's block family fam.
// Only the spectral laws, which need no Monte Carlo, are used: one draw.
func goldenPrediction(cfg numerics.Config, fam kind.Family) (theory.Prediction, error) {
	law, err := theory.Lookup(cfg.Model, cfg.Loss, fam, cfg.Activation)
	if err != nil {
		return theory.Prediction{}, err
	}
	return law.Predict(theory.Setting{Classes: cfg.C, Gamma: cfg.Gamma(), Sigma: cfg.Sigma,
		SigmaW: cfg.SigmaW, SigmaV: cfg.SigmaV, Draws: 1})
}

func scaled(xs []float64, s float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = s * x
	}
	return out
}

func TestGolden(t *testing.T) {
	cfgs := goldenConfigs()
	if *update {
		rows := make([]goldenRow, len(cfgs))
		for i, cfg := range cfgs {
			r, err := computeGoldenRow(cfg)
			if err != nil {
				t.Fatalf("%v: %v", cfg, err)
			}
			rows[i] = r
		}
		if err := writeGolden(goldenSweepPath, rows); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s (%d rows)", goldenSweepPath, len(rows))
		return
	}
	want, err := readGolden(goldenSweepPath)
	if err != nil {
		t.Fatalf("%v (regenerate with: go test -run Golden -update)", err)
	}
	if len(want) != len(cfgs) {
		t.Fatalf("%s has %d rows, the sweep has %d (regenerate with -update if the sweep changed)", goldenSweepPath, len(want), len(cfgs))
	}
	opts := goldenOptions()
	checked := 0
	for i, cfg := range cfgs {
		w := want[i]
		if w.Model != string(cfg.Model) || w.Activation != string(cfg.Activation) || w.Loss != string(cfg.Loss) || w.C != cfg.C || w.Seed != cfg.Seed {
			t.Fatalf("row %d of %s is %s/%s/%s C=%d seed=%d, want %v", i, goldenSweepPath, w.Model, w.Activation, w.Loss, w.C, w.Seed, cfg)
		}
		if testing.Short() && cfg.C > 64 {
			continue
		}
		got, err := computeGoldenRow(cfg)
		if err != nil {
			t.Fatalf("%v: %v", cfg, err)
		}
		checked++
		if diff := cmp.Diff(w, got, opts); diff != "" {
			t.Errorf("%v differs from %s (-golden +now):\n%s", cfg, goldenSweepPath, diff)
		}
	}
	t.Logf("compared %d of %d rows", checked, len(cfgs))
}

// TestGoldenTolerancesCoverEveryColumn guards the table of tolerances: a
// new float column without a stated tolerance would be compared exactly.
func TestGoldenTolerancesCoverEveryColumn(t *testing.T) {
	rt := reflect.TypeOf(goldenRow{})
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		_, ok := goldenTolerance[f.Name]
		if isFloat := f.Type.Kind() == reflect.Float64; isFloat != ok {
			t.Errorf("column %s: float %v, tolerance given %v", f.Name, isFloat, ok)
		}
	}
}

// CSV encoding: one header line of column names (the goldenRow fields in
// order) after '#' comment lines; floats in Go's shortest round-trip form
// ('g', -1), so the file holds the exact computed values.

func goldenHeader() []string {
	rt := reflect.TypeOf(goldenRow{})
	h := make([]string, rt.NumField())
	for i := range h {
		h[i] = rt.Field(i).Name
	}
	return h
}

func writeGolden(path string, rows []goldenRow) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".sweep-*.csv")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "# hessblock golden sweep: every model × activation × loss, C ∈ %v, seeds %v.\n", goldenClasses, goldenSeeds)
	fmt.Fprintf(bw, "# d = %d, N = %d, m = %d, σ = σ_w = σ_v = %g; Gaussian data (numerics.NewProblem).\n", goldenD, goldenN, goldenM, goldenSigma)
	fmt.Fprintf(bw, "# Generated by `go test -run Golden -update` (golden_test.go, which documents the columns and tolerances).\n")
	cw := csv.NewWriter(bw)
	if err := cw.Write(goldenHeader()); err != nil {
		return err
	}
	for _, r := range rows {
		rv := reflect.ValueOf(r)
		rec := make([]string, rv.NumField())
		for i := range rec {
			switch v := rv.Field(i); v.Kind() {
			case reflect.String:
				rec[i] = v.String()
			case reflect.Int:
				rec[i] = strconv.FormatInt(v.Int(), 10)
			case reflect.Uint64:
				rec[i] = strconv.FormatUint(v.Uint(), 10)
			case reflect.Float64:
				rec[i] = strconv.FormatFloat(v.Float(), 'g', -1, 64)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func readGolden(path string) ([]goldenRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading header: %v", path, err)
	}
	if want := goldenHeader(); strings.Join(header, ",") != strings.Join(want, ",") {
		return nil, fmt.Errorf("%s: columns %v, want %v", path, header, want)
	}
	var rows []goldenRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		var r goldenRow
		rv := reflect.ValueOf(&r).Elem()
		for i, s := range rec {
			v := rv.Field(i)
			var perr error
			switch v.Kind() {
			case reflect.String:
				v.SetString(s)
			case reflect.Int:
				var x int64
				x, perr = strconv.ParseInt(s, 10, 64)
				v.SetInt(x)
			case reflect.Uint64:
				var x uint64
				x, perr = strconv.ParseUint(s, 10, 64)
				v.SetUint(x)
			case reflect.Float64:
				var x float64
				x, perr = strconv.ParseFloat(s, 64)
				v.SetFloat(x)
			}
			if perr != nil {
				return nil, fmt.Errorf("%s: record %d, column %s: %v", path, line, header[i], perr)
			}
		}
		rows = append(rows, r)
	}
}
