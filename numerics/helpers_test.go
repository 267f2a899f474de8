package numerics

import (
	"errors"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
	"gonum.org/v1/gonum/mat"
)

// Helpers shared by the tests of several files.

// mustPanic fails the test unless f panics: the package's rule for a
// programming error such as a vector of the wrong length.
func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

// spectralConfigs covers both models, both losses and two activations at
// sizes where dense statistics and spectra take milliseconds.
func spectralConfigs() []Config {
	return []Config{
		{Model: kind.Linear, Loss: kind.CE, C: 10, D: 20, N: 100, Sigma: 1, Seed: 7},
		{Model: kind.Linear, Loss: kind.MSE, C: 4, D: 15, N: 40, Sigma: 1, Seed: 7},
		{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 6, D: 10, N: 80, M: 8, SigmaW: 1, SigmaV: 1, Seed: 8},
		{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.MSE, C: 5, D: 9, N: 60, M: 7, SigmaW: 1, SigmaV: 1, Seed: 9},
	}
}

// mustProblem returns NewProblem(cfg), failing the test on error.
func mustProblem(t testing.TB, cfg Config) *Problem {
	t.Helper()
	p, err := NewProblem(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// denseProblem returns NewProblem(cfg) and its dense Hessian, failing the
// test on error.
func denseProblem(t testing.TB, cfg Config) (*Problem, *mat.SymDense) {
	t.Helper()
	p := mustProblem(t, cfg)
	h, err := p.Hessian()
	if err != nil {
		t.Fatal(err)
	}
	return p, h
}

// checkProducts compares op·v with the dense a·v for three Gaussian
// vectors drawn from seed, to relative error tol.
func checkProducts(t *testing.T, what string, op krylov.Operator, a mat.Symmetric, seed uint64, tol float64) {
	t.Helper()
	n := a.SymmetricDim()
	r := newRand(seed, 0)
	for trial := 0; trial < 3; trial++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = r.NormFloat64()
		}
		want := mat.NewVecDense(n, nil)
		want.MulVec(a, mat.NewVecDense(n, v))
		got, err := op(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if e := RelativeError(got, want.RawVector().Data); e > tol {
			t.Errorf("%s: relative error %.2e > %.0e", what, e, tol)
		}
	}
}

func asDenseTooLarge(err error, target **DenseTooLargeError) bool { return errors.As(err, target) }

// noPanic runs f and fails the test if it panics or returns a nil error.
func noPanic(t *testing.T, what string, f func() error) {
	t.Helper()
	var err error
	panicked := func() (v any) {
		defer func() { v = recover() }()
		err = f()
		return nil
	}()
	switch {
	case panicked != nil:
		t.Errorf("%s panicked: %v", what, panicked)
	case err == nil:
		t.Errorf("%s: no error", what)
	default:
		t.Logf("%s: %v", what, err)
	}
}
