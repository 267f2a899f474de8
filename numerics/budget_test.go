package numerics

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
)

// The reproductions of issue 14's D1 at the library level: each is refused
// before anything of its size is allocated.
func TestProblemOverBudget(t *testing.T) {
	defer membudget.SetLimit(64 << 20)()
	for _, cfg := range []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 1000000, D: 1000, N: 10, Sigma: 1, Seed: 1}, // W is 8 GB
		{Model: kind.Linear, Loss: kind.CE, C: 10, D: 1000, N: 1000000, Sigma: 1, Seed: 1}, // X is 8 GB
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE, C: 10, D: 10, N: 10000000, M: 100, SigmaW: 1, SigmaV: 1, Seed: 1},
	} {
		_, err := NewProblem(cfg)
		var e *membudget.Error
		if !errors.As(err, &e) {
			t.Fatalf("NewProblem(%v) = %v, want a *membudget.Error", cfg, err)
		}
		if e.Budget != 64<<20 || e.Need <= e.Budget || !strings.Contains(err.Error(), "-max-memory") {
			t.Errorf("NewProblem(%v): %v", cfg, err)
		}
	}
	// The hint names an N that does fit.
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 10, D: 1000, N: 1000000, Sigma: 1, Seed: 1}
	n := cfg.fitN(64<<20, Config.ProblemBytes)
	k := cfg
	k.N = n
	if n < 1000 || k.ProblemBytes() > 64<<20 {
		t.Errorf("fitN = %d (%d bytes), want the largest N that fits 64 MiB", n, k.ProblemBytes())
	}
	if err := cfg.CheckProblem(64 << 20); !strings.Contains(err.Error(), "N ≤ ") {
		t.Errorf("CheckProblem: %v, want a smaller N", err)
	}
}

// The structured guard is the budget, with the problem's data counted:
// C = 20000, d = 64, N = 20000 (issue 14) needs far more than 64 MiB.
func TestStructuredOverBudget(t *testing.T) {
	p := mustProblem(t, Config{Model: kind.Linear, Loss: kind.CE, C: 200, D: 64, N: 2000, Sigma: 1, Seed: 1})
	p.MaxBytes = 64 << 20
	_, err := Measure(p, MeasureOptions{})
	var st *StructuredTooLargeError
	if !errors.As(err, &st) || !membudget.IsOver(err) {
		t.Fatalf("Measure at N = 2000 within 64 MiB: %v, want a *StructuredTooLargeError wrapping a *membudget.Error", err)
	}
	if st.FitN < 1 || st.FitN >= 2000 || !strings.Contains(err.Error(), "N ≤ ") {
		t.Errorf("FitN = %d: %v", st.FitN, err)
	}
	p.MaxBytes = 0
	if _, err := Measure(p, MeasureOptions{}); err != nil {
		t.Errorf("the same problem within the default budget: %v", err)
	}
}

// A Hessian below MaxDenseBytes but over the budget is refused as the
// budget's, and Measure's auto method falls back to the structured path.
func TestDenseOverBudget(t *testing.T) {
	p := mustProblem(t, Config{Model: kind.Linear, Loss: kind.CE, C: 40, D: 40, N: 20, Sigma: 1, Seed: 1}) // P = 1600, H 20 MB
	p.MaxBytes = 8 << 20
	_, err := p.Hessian()
	var dt *DenseTooLargeError
	if !errors.As(err, &dt) || !dt.Budget || !membudget.IsOver(err) {
		t.Fatalf("Hessian over the budget: %v", err)
	}
	m, err := Measure(p, MeasureOptions{})
	if err != nil || m.Method != StatsStructured || m.DenseRefused == nil {
		t.Fatalf("Measure(auto) over the dense budget: %v, %+v", err, m)
	}
	p.MaxDenseBytes = 1
	if _, err := p.Hessian(); !errors.As(err, &dt) || dt.Budget || membudget.IsOver(err) {
		t.Errorf("Hessian over MaxDenseBytes: %v, want the dense limit, not the budget", err)
	}
}

func TestMeasureExtrasOverBudget(t *testing.T) {
	p := mustProblem(t, Config{Model: kind.Linear, Loss: kind.MSE, C: 2, D: 3000, N: 4, Sigma: 1, Seed: 1})
	p.MaxBytes = 32 << 20 // a 3000×3000 block is 72 MB
	if _, err := Measure(p, MeasureOptions{Method: StatsStructured, Blocks: true}); !membudget.IsOver(err) || !strings.Contains(err.Error(), "blocks") {
		t.Errorf("block spectra over the budget: %v", err)
	}
	if _, err := Measure(p, MeasureOptions{Method: StatsStructured, TopEigenvalues: 3, LanczosSteps: 3000}); !membudget.IsOver(err) || !strings.Contains(err.Error(), "Lanczos") {
		t.Errorf("Lanczos over the budget: %v", err)
	}
}

// CheckMeasure's hint covers the whole measurement: at the N it names, the
// problem and its statistics fit.
func TestCheckMeasureHint(t *testing.T) {
	cfg := Config{Model: kind.Linear, Loss: kind.CE, C: 200, D: 64, N: 20000, Sigma: 1, Seed: 1}
	const budget = 64 << 20
	err := cfg.CheckMeasure(budget, DefaultMaxDenseBytes)
	if !membudget.IsOver(err) {
		t.Fatalf("CheckMeasure: %v", err)
	}
	n := cfg.fitN(budget, func(k Config) int64 { return k.MeasureBytes(DefaultMaxDenseBytes) })
	k := cfg
	k.N = n
	if n < 2 || k.CheckMeasure(budget, DefaultMaxDenseBytes) != nil || !strings.Contains(err.Error(), fmt.Sprintf("N ≤ %d", n)) {
		t.Fatalf("hint N = %d: %v", n, err)
	}
	p := mustProblem(t, k)
	p.MaxBytes = budget
	if _, err := Measure(p, MeasureOptions{MaxDenseParams: math.MaxInt, LambdaMax: true, Blocks: true}); err != nil {
		t.Errorf("Measure at the suggested N = %d: %v", n, err)
	}
}
