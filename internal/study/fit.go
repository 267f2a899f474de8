package study

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// slopeFit is a least-squares fit of log y = a + s·log x.
type slopeFit struct {
	Slope, Lo, Hi float64 // slope and its 95% interval
	Intercept     float64
	N             int
	OK            bool // at least three points and two distinct x
}

// fitLogLog fits all points with x ≥ xmin and y > 0. The interval is the
// Student-t interval from the residual variance, with n − 2 degrees of
// freedom; when the residuals vanish (exact laws) it has zero width.
func fitLogLog(xs, ys []float64, xmin float64) slopeFit {
	var lx, ly []float64
	for i := range xs {
		if xs[i] >= xmin && ys[i] > 0 && xs[i] > 0 {
			lx = append(lx, math.Log(xs[i]))
			ly = append(ly, math.Log(ys[i]))
		}
	}
	n := len(lx)
	f := slopeFit{N: n}
	if n < 3 {
		return f
	}
	var mx, my float64
	for i := range lx {
		mx += lx[i]
		my += ly[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxx, sxy float64
	for i := range lx {
		sxx += (lx[i] - mx) * (lx[i] - mx)
		sxy += (lx[i] - mx) * (ly[i] - my)
	}
	if sxx == 0 {
		return f
	}
	f.Slope = sxy / sxx
	f.Intercept = my - f.Slope*mx
	var ssr float64
	for i := range lx {
		r := ly[i] - f.Intercept - f.Slope*lx[i]
		ssr += r * r
	}
	se := math.Sqrt(ssr / float64(n-2) / sxx)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}.Quantile(0.975)
	f.Lo, f.Hi = f.Slope-t*se, f.Slope+t*se
	f.OK = true
	return f
}

// anchor returns the constant c of y = c·x^slope fitted in log space to the
// points with x ≥ xmin (slope fixed).
func anchor(xs, ys []float64, slope, xmin float64) float64 {
	var s float64
	var n int
	for i := range xs {
		if xs[i] >= xmin && ys[i] > 0 {
			s += math.Log(ys[i]) - slope*math.Log(xs[i])
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return math.Exp(s / float64(n))
}
