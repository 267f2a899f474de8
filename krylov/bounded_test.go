package krylov

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/internal/testguard"
)

func within(t *testing.T, what string, f func()) { t.Helper(); testguard.Within(t, what, f) }

// Lanczos has at most min(MaxIter, n) steps (300 by default): on an
// operator whose spectrum it cannot resolve in that many steps (10⁵ distinct
// eigenvalues, a tolerance at round-off) it stops at the cap with
// ErrNotConverged and its best estimates. An operator that returns NaN is an
// error at the first product. SLQ's work is Probes × min(Steps, n) products.
func TestKrylovBounded(t *testing.T) {
	n := 100000
	d := make([]float64, n)
	for i := range d {
		d[i] = math.Sin(float64(i)) * (1 + float64(i)/float64(n))
	}
	products := 0
	counted := func(dst, vec []float64) ([]float64, error) { products++; return diagonal(d)(dst, vec) }
	within(t, "Lanczos", func() {
		got, err := Lanczos(counted, n, LanczosOptions{Tol: 1e-15, Seed: 1, MaxIter: 40})
		if !errors.Is(err, ErrNotConverged) || got == nil || got.Converged {
			t.Errorf("err = %v, result %+v; want ErrNotConverged with estimates", err, got)
		}
		if products > 40 {
			t.Errorf("%d products for MaxIter 40", products)
		}
	})
	nan := func(dst, vec []float64) ([]float64, error) {
		dst = make([]float64, len(vec))
		dst[len(dst)/2] = math.NaN()
		return dst, nil
	}
	within(t, "Lanczos and SLQ on a NaN operator", func() {
		if _, err := Lanczos(nan, 50, LanczosOptions{}); err == nil || !strings.Contains(err.Error(), "NaN") {
			t.Errorf("Lanczos on a NaN operator: %v, want an error naming NaN", err)
		}
		if _, err := SLQ(nan, 50, SLQOptions{}); err == nil || !strings.Contains(err.Error(), "NaN") {
			t.Errorf("SLQ on a NaN operator: %v, want an error naming NaN", err)
		}
	})
	products = 0
	within(t, "SLQ", func() {
		if _, err := SLQ(counted, n, SLQOptions{Probes: 3, Steps: 20}); err != nil {
			t.Error(err)
		}
		if products > 3*20 {
			t.Errorf("SLQ: %d products for 3 probes × 20 steps", products)
		}
	})
}
