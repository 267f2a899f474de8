package krylov

import (
	"math"
	"testing"
)

// TestSLQDiagonal: with n steps and full reorthogonalization every probe's
// quadrature reproduces the spectrum of diag(d), and a Rademacher probe
// puts weight 1/n on each eigenvalue, so the moments are exact.
func TestSLQDiagonal(t *testing.T) {
	d := []float64{-2, 0, 1, 3, 7}
	sd, err := SLQ(diagonal(d), len(d), SLQOptions{Probes: 3, Steps: len(d), Seed: 2, Reorth: ReorthFull})
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k <= 4; k++ {
		var want float64
		for _, v := range d {
			want += math.Pow(v, float64(k)) / float64(len(d))
		}
		if got := sd.Moment(k); math.Abs(got-want) > 1e-10*math.Max(1, math.Abs(want)) {
			t.Errorf("moment %d = %v, want %v", k, got, want)
		}
	}
	if lo, hi := sd.Range(); math.Abs(lo+2) > 1e-10 || math.Abs(hi-7) > 1e-10 {
		t.Errorf("range (%v, %v), want (-2, 7)", lo, hi)
	}
	if cdf := sd.CDF([]float64{0.5}); math.Abs(cdf[0]-0.4) > 1e-10 {
		t.Errorf("CDF(0.5) = %v, want 0.4", cdf[0])
	}
	if _, err := sd.Density([]float64{0}, 0); err == nil {
		t.Error("σ = 0 accepted")
	}
	var empty SpectralDensity
	if !math.IsNaN(empty.Moment(1)) {
		t.Error("moment of an empty density is not NaN")
	}
}
