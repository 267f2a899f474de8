package krylov

import (
	"errors"
	"math"
	"testing"
)

// diagonal is the operator of diag(d), whose spectrum is known exactly.
func diagonal(d []float64) Operator {
	return func(dst, vec []float64) ([]float64, error) {
		if len(dst) != len(vec) {
			dst = make([]float64, len(vec))
		}
		for i, v := range vec {
			dst[i] = d[i] * v
		}
		return dst, nil
	}
}

func TestLanczosDiagonal(t *testing.T) {
	d := make([]float64, 50)
	for i := range d {
		d[i] = float64(i) - 10.5
	}
	for _, r := range []Reorth{ReorthAuto, ReorthFull, ReorthNone} {
		got, err := Lanczos(diagonal(d), len(d), LanczosOptions{Seed: 1, Reorth: r, MaxIter: 50})
		if err != nil {
			t.Fatalf("Reorth %d: %v", r, err)
		}
		if math.Abs(got.Max-38.5) > 1e-8 || math.Abs(got.Min+10.5) > 1e-8 {
			t.Errorf("Reorth %d: extremes (%v, %v), want (-10.5, 38.5)", r, got.Min, got.Max)
		}
	}
}

func TestLanczosNotConvergedAndBadInput(t *testing.T) {
	d := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	got, err := Lanczos(diagonal(d), len(d), LanczosOptions{MaxIter: 2, Tol: 1e-14})
	if !errors.Is(err, ErrNotConverged) || got == nil {
		t.Errorf("2 steps: err = %v, result %+v; want ErrNotConverged and estimates", err, got)
	}
	bad := []LanczosOptions{{MaxIter: -1}, {Tol: math.NaN()}, {Tol: math.Inf(1)}, {Reorth: 7}}
	for _, o := range bad {
		if _, err := Lanczos(diagonal(d), len(d), o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := Lanczos(nil, 3, LanczosOptions{}); err == nil {
		t.Error("nil operator accepted")
	}
	nan := func(dst, vec []float64) ([]float64, error) { return []float64{math.NaN(), 0, 0}, nil }
	if _, err := Lanczos(nan, 3, LanczosOptions{}); err == nil {
		t.Error("NaN from the operator accepted")
	}
}

// TestRitzFullKrylov: n steps with full reorthogonalization give the whole
// spectrum.
func TestRitzFullKrylov(t *testing.T) {
	d := []float64{3, -1, 2, 0.5}
	start := []float64{2, 2, 2, 2} // normalized by Ritz
	vals, err := Ritz(diagonal(d), start, 4, ReorthFull)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{-1, 0.5, 2, 3}
	for i := range want {
		if math.Abs(vals[i]-want[i]) > 1e-12 {
			t.Errorf("Ritz values %v, want %v", vals, want)
			break
		}
	}
	if start[0] != 2 {
		t.Error("Ritz modified its start vector")
	}
	if _, err := Ritz(diagonal(d), start, 0, ReorthFull); err == nil {
		t.Error("steps = 0 accepted")
	}
	if _, err := Ritz(diagonal(d), make([]float64, 4), 2, ReorthFull); err == nil {
		t.Error("zero start vector accepted")
	}
}
