package precond

import (
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/krylov"
)

// TestInputErrors: every user-input error is an error value naming the
// problem, never a panic or a NaN.
func TestInputErrors(t *testing.T) {
	p, neurons, _ := smallNet()
	r := newRand(21)
	h := randSym(r, p)
	bd, err := NewBlockDiagonal(h, neurons)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := NewIdentity(p)
	nanH := mat.NewSymDense(p, nil)
	nanH.CopySym(h)
	nanH.SetSym(2, 3, math.NaN())
	inf := math.Inf(1)
	square := func(n int) *mat.SymDense { return randPSD(r, n, n) }

	cases := []struct {
		name string
		want string // in the message
		err  func() error
	}{
		{"no ranges", "no ranges", func() error { _, err := NewBlockDiagonal(h, nil); return err }},
		{"gap", "tile", func() error { _, err := NewBlockDiagonal(h, []Range{{0, 10}, {11, 25}}); return err }},
		{"overlap", "tile", func() error { _, err := NewBlockDiagonal(h, []Range{{0, 10}, {9, 27}}); return err }},
		{"empty range", "non-empty", func() error { _, err := NewBlockDiagonal(h, []Range{{0, 0}, {0, 36}}); return err }},
		{"beyond P", "P = 36", func() error { _, err := NewBlockDiagonal(h, []Range{{0, 20}, {20, 20}}); return err }},
		{"short of P", "cover [0, 30)", func() error { _, err := NewBlockDiagonal(h, []Range{{0, 30}}); return err }},
		{"negative start", "tile", func() error { _, err := NewBlockDiagonal(h, []Range{{-1, 37}}); return err }},
		{"nil H", "needs a matrix", func() error { _, err := NewBlockDiagonal(nil, neurons); return err }},
		{"NaN in a block", "NaN", func() error { _, err := NewBlockDiagonal(nanH, neurons); return err }},
		{"empty diagonal", "P ≥ 1", func() error { _, err := NewDiagonal(nil); return err }},
		{"Inf diagonal", "+Inf", func() error { _, err := NewDiagonal([]float64{1, inf}); return err }},
		{"identity 0", "P ≥ 1", func() error { _, err := NewIdentity(0); return err }},
		{"KFAC none", "at least one", func() error { _, err := NewKFAC(4, nil); return err }},
		{"KFAC nil factor", "no Output", func() error { _, err := NewKFAC(4, []Factor{{Start: 0, Input: square(2)}}); return err }},
		{"KFAC shape vs P", "do not match", func() error {
			_, err := NewKFAC(7, []Factor{{Start: 0, Output: square(2), Input: square(3)}})
			return err
		}},
		{"KFAC shape vs next start", "do not match", func() error {
			_, err := NewKFAC(10, []Factor{{Start: 0, Output: square(2), Input: square(3)}, {Start: 5, Output: square(1), Input: square(4)}})
			return err
		}},
		{"KFAC out of order", "do not match", func() error {
			_, err := NewKFAC(10, []Factor{{Start: 6, Output: square(1), Input: square(4)}, {Start: 0, Output: square(2), Input: square(3)}})
			return err
		}},
		{"KFAC NaN factor", "NaN", func() error {
			bad := square(3)
			bad.SetSym(0, 1, math.NaN())
			_, err := NewKFAC(6, []Factor{{Start: 0, Output: square(2), Input: bad}})
			return err
		}},
		{"damping 0", "damping", func() error { _, err := bd.InvSqrt(0); return err }},
		{"damping negative", "damping", func() error { _, err := Quality(denseOp(h), bd, -1, Options{}); return err }},
		{"damping NaN", "damping", func() error { _, err := Quality(denseOp(h), bd, math.NaN(), Options{}); return err }},
		{"damping Inf", "damping", func() error { _, err := Quality(denseOp(h), id, inf, Options{}); return err }},
		{"Quality nil", "needs an operator", func() error { _, err := Quality(nil, bd, 1, Options{}); return err }},
		{"H of another size", "length", func() error { _, err := Quality(denseOp(square(10)), bd, 1, Options{}); return err }},
		{"Dense of another size", "Options.Dense", func() error { _, err := Quality(denseOp(h), bd, 1, Options{Dense: square(10)}); return err }},
		{"negative probes", "RelErrorProbes", func() error { _, err := Quality(denseOp(h), bd, 1, Options{RelErrorProbes: -1}); return err }},
		{"bad Lanczos tol", "Tol", func() error { _, err := Quality(denseOp(h), bd, 1, Options{Tol: math.NaN()}); return err }},
		{"bad SLQ options", "Probes", func() error {
			_, err := Quality(denseOp(h), bd, 1, Options{Density: &krylov.SLQOptions{Probes: -1}})
			return err
		}},
		{"NaN from H", "NaN", func() error { _, err := Quality(denseOp(nanH), id, 1, Options{}); return err }},
		{"RelativeError size", "dimension", func() error { _, err := RelativeError(square(10), bd); return err }},
		{"RelativeError NaN", "non-finite", func() error { _, err := RelativeError(nanH, id); return err }},
		{"RelativeError H = 0", "H = 0", func() error { _, err := RelativeError(mat.NewSymDense(p, nil), id); return err }},
		{"estimate probes", "probes", func() error { _, err := EstimateRelativeError(denseOp(h), bd, 0, 1); return err }},
		{"estimate size", "length", func() error { _, err := EstimateRelativeError(denseOp(square(10)), bd, 3, 1); return err }},
		{"H returns another length", "H returned a vector of length 10", func() error { _, err := Quality(truncating(10), bd, 1, Options{}); return err }},
		{"estimate H returns another length", "H returned a vector of length 10", func() error {
			_, err := EstimateRelativeError(truncating(10), bd, 3, 1)
			return err
		}},
		{"operator length", "length", func() error { _, err := bd.Operator()(nil, make([]float64, 5)); return err }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.err()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if _, err := RelativeError(mat.NewSymDense(p, nil), id); !errors.Is(err, ErrZeroH) {
		t.Errorf("H = 0: %v, want ErrZeroH", err)
	}
}

// TestMemoryBudget: the approximations and Dense estimate their memory
// and refuse what exceeds the budget before allocating.
func TestMemoryBudget(t *testing.T) {
	p, neurons, _ := smallNet()
	h := randSym(newRand(22), p)
	bd, err := NewBlockDiagonal(h, neurons)
	if err != nil {
		t.Fatal(err)
	}
	restore := membudget.SetLimit(1000) // bytes: less than 36² floats
	defer restore()
	if _, err := Dense(bd); !membudget.IsOver(err) {
		t.Errorf("Dense over the budget: %v", err)
	}
	if _, err := NewBlockDiagonal(h, []Range{{0, p}}); !membudget.IsOver(err) {
		t.Errorf("one 36×36 block over the budget: %v", err)
	}
	if _, err := NewKFAC(p, []Factor{{Start: 0, Output: randPSD(newRand(1), 6, 6), Input: randPSD(newRand(2), 6, 6)}}); !membudget.IsOver(err) {
		t.Errorf("KFAC over the budget: %v", err)
	}
	if _, err := Quality(denseOp(h), bd, 1, Options{}); !membudget.IsOver(err) {
		t.Errorf("Lanczos basis over the budget: %v", err)
	}
}
