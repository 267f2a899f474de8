package study

import (
	"math"
	"testing"
)

// TestFitLogLogKnownValues checks the slope, intercept and interval
// against values worked out by hand for a small data set: log x = 0, 1, 2,
// 3 (x = e^k), log y = 1 − 0.5·log x + (+0.1, −0.1, −0.1, +0.1). Then
// x̄ = 1.5, Sxx = 5, Sxy = −2.5 (the residual pattern is orthogonal to
// log x), slope −0.5, intercept 1 + 0 = 1; residual sum of squares 0.04
// less the part of the pattern explained by the intercept (mean 0): 0.04,
// so se = √(0.04/2/5) = √0.004 and the 95% half-width is t(0.975, 2)·se,
// where Student's t with 2 degrees of freedom has the closed-form
// quantile t_q = a·√(2/(1 − a²)), a = 2q − 1 (≈ 4.3027). gonum's quantile
// is an iterative inversion, good to ~1e−11 here, hence the tolerance.
func TestFitLogLogKnownValues(t *testing.T) {
	noise := []float64{0.1, -0.1, -0.1, 0.1}
	var xs, ys []float64
	for k := range 4 {
		xs = append(xs, math.Exp(float64(k)))
		ys = append(ys, math.Exp(1-0.5*float64(k)+noise[k]))
	}
	f := fitLogLog(xs, ys, 0)
	a := 2*0.975 - 1
	half := a * math.Sqrt(2/(1-a*a)) * math.Sqrt(0.004)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"slope", f.Slope, -0.5},
		{"intercept", f.Intercept, 1},
		{"lower", f.Lo, -0.5 - half},
		{"upper", f.Hi, -0.5 + half},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %.15g, want %.15g", c.name, c.got, c.want)
		}
	}
	if !f.OK || f.N != 4 {
		t.Errorf("fit %+v: want OK with 4 points", f)
	}
	// Points below xmin, and y ≤ 0, are left out.
	g := fitLogLog(append([]float64{0.5, 0.5}, xs...), append([]float64{7, -1}, ys...), 1)
	if g.N != 4 || g.Slope != f.Slope {
		t.Errorf("xmin/positivity filter: %+v", g)
	}
}

// TestAnchor: with the slope fixed, the constant is the geometric mean of
// y·x^{−slope}.
func TestAnchor(t *testing.T) {
	xs := []float64{1, 4, 16, 64}
	ys := []float64{2, 1.1, 0.45, 0.26} // y·x^{1/2} = 2, 2.2, 1.8, 2.08
	want := math.Pow(2*2.2*1.8*2.08, 0.25)
	if got := anchor(xs, ys, -0.5, 0); math.Abs(got-want) > 1e-12 {
		t.Errorf("anchor = %v, want %v", got, want)
	}
	if got := anchor(xs, ys, -0.5, 100); !math.IsNaN(got) {
		t.Errorf("anchor with no point above xmin = %v, want NaN", got)
	}
}
