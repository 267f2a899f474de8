package numerics

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
	"gonum.org/v1/gonum/mat"
)

// TestInvalidReceiversAndArguments is the regression test of the review of
// every exported entry point: each input here used to panic or return a
// NaN without an error.
func TestInvalidReceiversAndArguments(t *testing.T) {
	var nilP *Problem
	zero := &Problem{}
	var nilSym *mat.SymDense
	p := mustProblem(t, DefaultConfig(kind.Linear))
	h, err := p.Hessian()
	if err != nil {
		t.Fatal(err)
	}
	nanH := mat.NewSymDense(h.SymmetricDim(), nil)
	nanH.CopySym(h)
	nanH.SetSym(0, 1, math.NaN())

	for _, q := range []*Problem{nilP, zero} {
		noPanic(t, "SetParams", func() error { return q.SetParams(nil) })
		noPanic(t, "SetWeights", func() error { return q.SetWeights(mat.NewDense(1, 1, nil), nil) })
		noPanic(t, "CheckDense", q.CheckDense)
		noPanic(t, "Hessian", func() error { _, err := q.Hessian(); return err })
		noPanic(t, "Block", func() error { _, err := q.Block(0, 0); return err })
		noPanic(t, "HessVec", func() error { _, err := q.HessVec(nil, nil); return err })
		noPanic(t, "HessVecOperator", func() error { _, err := q.HessVecOperator()(nil, nil); return err })
		noPanic(t, "BlockDiagVecOperator", func() error { _, err := q.BlockDiagVecOperator()(nil, nil); return err })
		noPanic(t, "OffBlockVecOperator", func() error { _, err := q.OffBlockVecOperator()(nil, nil); return err })
		noPanic(t, "ExtremeEigenvalues", func() error { _, err := q.ExtremeEigenvalues(krylov.LanczosOptions{}); return err })
		noPanic(t, "StructuredStats", func() error { _, err := q.StructuredStats(StructuredOptions{}); return err })
		noPanic(t, "GradientFD", func() error { _, err := GradientFD(q, 0); return err })
		noPanic(t, "HessianFD", func() error { _, err := HessianFD(q, 0); return err })
		noPanic(t, "CheckGradient", func() error { _, err := CheckGradient(q, 0); return err })
		noPanic(t, "CheckHessian", func() error { _, err := CheckHessian(q, 0); return err })
		noPanic(t, "Measure", func() error { _, err := Measure(q, MeasureOptions{}); return err })
		noPanic(t, "ExportNPY", func() error { return ExportNPY(t.TempDir(), q, nil) })
		// The accessors of a nil Problem return zero values.
		if !reflect.DeepEqual(q.Config(), Config{}) || q.NumParams() != 0 || len(q.Layout().Blocks) != 0 || q.X() != nil || q.W() != nil || q.V() != nil || q.Labels() != nil {
			t.Error("accessors of an invalid Problem returned non-zero values")
		}
	}
	// The methods without an error panic with a message naming the cause.
	func() {
		defer func() {
			if r := recover(); r == nil || r != errNoProblem.Error() {
				t.Errorf("Loss of a zero Problem: recovered %v, want %q", r, errNoProblem)
			}
		}()
		zero.Loss()
	}()

	noPanic(t, "ComputeBlockStats(typed nil)", func() error { _, err := ComputeBlockStats(nilSym, p.Layout()); return err })
	bad := p.Layout()
	bad.Blocks = append([]Block(nil), bad.Blocks...)
	bad.Blocks[1].Kind = "neither"
	noPanic(t, "ComputeBlockStats(unknown kind)", func() error { _, err := ComputeBlockStats(h, bad); return err })
	huge := p.Layout()
	huge.Blocks = append([]Block(nil), huge.Blocks...)
	huge.Blocks[0].Size = math.MaxInt
	noPanic(t, "Layout.Validate(overflowing size)", huge.Validate)
	bigH := mat.NewSymDense(h.SymmetricDim(), nil)
	bigH.CopySym(h)
	bigH.ScaleSym(1e200, bigH) // finite entries whose squares overflow
	noPanic(t, "ComputeBlockStats(squares overflow)", func() error { _, err := ComputeBlockStats(bigH, p.Layout()); return err })
	noPanic(t, "BlockSpectralNorms(NaN)", func() error { _, err := BlockSpectralNorms(nanH, p.Layout()); return err })
	noPanic(t, "Eigenvalues(NaN)", func() error { _, err := Eigenvalues(nanH); return err })
	noPanic(t, "Eigenvalues(nil)", func() error { _, err := Eigenvalues(nil); return err })
	noPanic(t, "Eigenvalues(typed nil)", func() error { _, err := Eigenvalues(nilSym); return err })
	noPanic(t, "SymmetricEigenvalues(nil)", func() error { _, err := SymmetricEigenvalues(nil); return err })
	noPanic(t, "SymmetricEigenvalues(empty)", func() error { _, err := SymmetricEigenvalues(&mat.Dense{}); return err })
	noPanic(t, "SingularValues(nil)", func() error { _, err := SingularValues(nil); return err })
	noPanic(t, "SingularValues(empty)", func() error { _, err := SingularValues(&mat.Dense{}); return err })
	noPanic(t, "SpectralNorm(+Inf)", func() error {
		_, err := SpectralNorm(mat.NewDense(2, 2, []float64{math.Inf(1), 0, 0, 1}))
		return err
	})

	if f := p.Layout().FamilyOf(-1, 100); f != "" {
		t.Errorf("FamilyOf out of range = %q, want \"\"", f)
	}
	for _, i := range []int{-1, p.NumParams()} {
		if b := p.Layout().BlockOf(i); b != -1 {
			t.Errorf("BlockOf(%d) = %d, want -1", i, b)
		}
	}
	if b := (Config{Model: kind.Linear, C: 1 << 15, D: 1 << 15}).DenseBytes(); b != math.MaxInt64 {
		t.Errorf("DenseBytes of P = 2^30 = %d, want MaxInt64 (saturated)", b)
	}
}

func TestLanczosAndSLQBadInput(t *testing.T) {
	short := func(dst, v []float64) ([]float64, error) { return make([]float64, len(v)-1), nil }
	long := func(dst, v []float64) ([]float64, error) { return make([]float64, len(v)+1), nil }
	none := func(dst, v []float64) ([]float64, error) { return nil, nil }
	id := func(dst, v []float64) ([]float64, error) { return append(dst[:0], v...), nil }
	for name, op := range map[string]krylov.Operator{"short": short, "long": long, "nil": none} {
		noPanic(t, "Lanczos("+name+")", func() error { _, err := krylov.Lanczos(op, 10, krylov.LanczosOptions{}); return err })
		noPanic(t, "SLQ("+name+")", func() error { _, err := krylov.SLQ(op, 10, krylov.SLQOptions{}); return err })
	}
	for _, o := range []krylov.LanczosOptions{{Tol: math.Inf(1)}, {Tol: math.NaN()}, {Tol: -1}, {MaxIter: -1}, {Reorth: 9}, {Reorth: -1}} {
		noPanic(t, "Lanczos options", func() error { _, err := krylov.Lanczos(id, 10, o); return err })
	}
	noPanic(t, "SLQ(Reorth 7)", func() error { _, err := krylov.SLQ(id, 10, krylov.SLQOptions{Reorth: 7}); return err })

	var nilSD *krylov.SpectralDensity
	for name, s := range map[string]*krylov.SpectralDensity{
		"nil":        nilSD,
		"empty":      {},
		"mismatched": {Nodes: [][]float64{{1, 2}}, Weights: [][]float64{{1}}},
		"no weights": {Nodes: [][]float64{{1}}},
	} {
		noPanic(t, "Validate("+name+")", s.Validate)
		noPanic(t, "Density("+name+")", func() error { _, err := s.Density([]float64{0}, 1); return err })
		lo, hi := s.Range()
		if m, c := s.Moment(1), s.CDF([]float64{0}); !math.IsNaN(m) || !math.IsNaN(c[0]) || !math.IsNaN(lo) || !math.IsNaN(hi) {
			t.Errorf("%s density: Moment %v, CDF %v, Range %v %v, want NaN (documented)", name, m, c, lo, hi)
		}
	}
}

// TestOverflowIsAnError: finite but enormous parameters overflow float64
// in the forward pass; the error-returning paths must say so, not return
// NaN.
func TestOverflowIsAnError(t *testing.T) {
	cfg := DefaultConfig(kind.MLP)
	cfg.Loss = kind.MSE
	p := mustProblem(t, cfg)
	theta := p.Params()
	for i := range theta {
		theta[i] = 1e200
	}
	if err := p.SetParams(theta); err != nil {
		t.Fatal(err)
	}
	noPanic(t, "Hessian", func() error { _, err := p.Hessian(); return err })
	noPanic(t, "Block", func() error { _, err := p.Block(0, 0); return err })
	noPanic(t, "HessVec", func() error { _, err := p.HessVec(nil, make([]float64, p.NumParams())); return err })
	noPanic(t, "StructuredStats", func() error { _, err := p.StructuredStats(StructuredOptions{}); return err })
	noPanic(t, "CheckGradient", func() error { _, err := CheckGradient(p, 0); return err })
}

// TestStructuredSaturatedSoftmax: with C = 2 and one sample the exact ρ
// is 1/2, but at logit margin ~40 the softmax is one-hot to rounding and
// the Gram identity cancels to nothing; StructuredStats must refuse rather
// than report ρ = 0 (which it did).
func TestStructuredSaturatedSoftmax(t *testing.T) {
	p := mustProblem(t, Config{Model: kind.Linear, Loss: kind.CE, C: 2, D: 1, N: 1, Sigma: 38, Seed: 6})
	noPanic(t, "StructuredStats(saturated)", func() error { _, err := p.StructuredStats(StructuredOptions{}); return err })
}

func TestStructuredMemoryGuard(t *testing.T) {
	p := mustProblem(t, DefaultConfig(kind.MLP))
	p.MaxBytes = 1024
	_, err := p.StructuredStats(StructuredOptions{})
	var tooLarge *StructuredTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("StructuredStats over the limit: %v, want a *StructuredTooLargeError", err)
	}
	if _, err := Measure(p, MeasureOptions{Method: StatsStructured}); !errors.As(err, &tooLarge) {
		t.Errorf("Measure(structured) over the limit: %v", err)
	}
	if b := (Config{Model: kind.MLP, Loss: kind.CE, C: 10, D: 10, N: 1 << 40, M: 5}).StructuredBytes(StructuredOptions{}); b != math.MaxInt64 {
		t.Errorf("StructuredBytes at N = 2^40 = %d, want MaxInt64", b)
	}
}

func TestExportNPYUnwritable(t *testing.T) {
	p := mustProblem(t, DefaultConfig(kind.Linear))
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory below a regular file cannot be created, even by root.
	noPanic(t, "ExportNPY(below a file)", func() error { return ExportNPY(filepath.Join(file, "out"), p, nil) })
	noPanic(t, "ExportNPY(\"\")", func() error { return ExportNPY("", p, nil) })
	var nilSym *mat.SymDense
	if err := ExportNPY(t.TempDir(), p, nilSym); err != nil {
		t.Errorf("ExportNPY with a typed nil Hessian (no Hessian): %v", err)
	}
}
