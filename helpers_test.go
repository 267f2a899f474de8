package hessblock_test

import (
	"flag"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/theory"
)

// userRapidChecks is true when -rapid.checks (or RAPID_CHECKS) was given:
// the user's count then wins over the per-property counts below.
var userRapidChecks bool

func TestMain(m *testing.M) {
	flag.Parse()
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "rapid.checks" {
			userRapidChecks = true
		}
	})
	if _, ok := os.LookupEnv("RAPID_CHECKS"); ok {
		userRapidChecks = true
	}
	os.Exit(m.Run())
}

// check runs a rapid property with n checks (rapid divides by 5 under
// -short) unless the user chose a count. Every rapid property here is exact
// up to round-off: any draw must pass, so the count trades coverage for time
// and never affects the false-failure rate.
func check(t *testing.T, n int, prop func(*rapid.T)) {
	t.Helper()
	if !userRapidChecks {
		f := flag.Lookup("rapid.checks")
		old := f.Value.String()
		if err := f.Value.Set(strconv.Itoa(n)); err != nil {
			t.Fatal(err)
		}
		defer f.Value.Set(old)
	}
	rapid.Check(t, prop)
}

// drawBounds limits the sizes rapid draws.
type drawBounds struct {
	maxC, maxD, maxN, maxM int
	maxSigma               float64
}

// small sizes keep the O(P²) finite-difference and autodiff Hessians cheap.
var smallBounds = drawBounds{maxC: 6, maxD: 5, maxN: 12, maxM: 5, maxSigma: 3}

// drawConfig draws (model, activation, loss, C, d, N, m, σ, seed). Shrinking
// moves every size towards its minimum and σ towards 0.
func drawConfig(t *rapid.T, b drawBounds, model kind.Model, loss kind.Loss) numerics.Config {
	if model == "" {
		model = rapid.SampledFrom([]kind.Model{kind.Linear, kind.MLP}).Draw(t, "model")
	}
	if loss == "" {
		loss = rapid.SampledFrom([]kind.Loss{kind.MSE, kind.CE}).Draw(t, "loss")
	}
	cfg := numerics.Config{
		Model: model,
		Loss:  loss,
		C:     rapid.IntRange(2, b.maxC).Draw(t, "C"),
		D:     rapid.IntRange(1, b.maxD).Draw(t, "d"),
		N:     rapid.IntRange(1, b.maxN).Draw(t, "N"),
		Seed:  rapid.Uint64().Draw(t, "seed"),
	}
	if model == kind.MLP {
		cfg.Activation = rapid.SampledFrom([]kind.Activation{kind.Identity, kind.ReLU, kind.Tanh}).Draw(t, "activation")
		cfg.M = rapid.IntRange(1, b.maxM).Draw(t, "m")
		cfg.SigmaW = drawSigma(t, b.maxSigma, "sigma_w")
		cfg.SigmaV = drawSigma(t, b.maxSigma, "sigma_v")
	} else {
		cfg.Sigma = drawSigma(t, b.maxSigma, "sigma")
	}
	return cfg
}

// drawSigma draws an initialization scale: exactly 0 (W = 0, the exact
// case of THEORY §2.2) or a value in [1e−3, max]. Squared block norms scale
// like σ⁸ for hidden blocks and leave the float64 range for σ ≲ 1e−38; such
// scales test the floating-point format, not the Hessian, and no study uses
// them. (The product of two diagonal means once underflowed already at
// σ_v ≈ 7e−40; numerics now takes square roots first.)
func drawSigma(t *rapid.T, max float64, label string) float64 {
	if rapid.IntRange(0, 7).Draw(t, label+" is 0") == 0 {
		return 0
	}
	return rapid.Float64Range(1e-3, max).Draw(t, label)
}

// fatalT is the part of testing.TB and *rapid.T the helpers need.
type fatalT interface {
	Helper()
	Fatalf(format string, args ...any)
}

func mustProblem(t fatalT, cfg numerics.Config) *numerics.Problem {
	t.Helper()
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		t.Fatalf("NewProblem(%v): %v", cfg, err)
	}
	return p
}

func mustHessian(t fatalT, p *numerics.Problem) *mat.SymDense {
	t.Helper()
	h, err := p.Hessian()
	if err != nil {
		t.Fatalf("Hessian(%v): %v", p.Config(), err)
	}
	return h
}

func mustStats(t fatalT, p *numerics.Problem) *numerics.BlockStats {
	t.Helper()
	st, err := numerics.ComputeBlockStats(mustHessian(t, p), p.Layout())
	if err != nil {
		t.Fatalf("ComputeBlockStats(%v): %v", p.Config(), err)
	}
	return st
}

// maxAbs is max |a_ij|.
func maxAbs(a mat.Matrix) float64 {
	r, c := a.Dims()
	var m float64
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			m = math.Max(m, math.Abs(a.At(i, j)))
		}
	}
	return m
}

// maxAbsDiff is max |a_ij − b_ij|; +Inf for different shapes.
func maxAbsDiff(a, b mat.Matrix) float64 {
	ra, ca := a.Dims()
	rb, cb := b.Dims()
	if ra != rb || ca != cb {
		return math.Inf(1)
	}
	var m float64
	for i := 0; i < ra; i++ {
		for j := 0; j < ca; j++ {
			m = math.Max(m, math.Abs(a.At(i, j)-b.At(i, j)))
		}
	}
	return m
}

// sampleCov returns S = XᵀX/N for X with one sample per row.
func sampleCov(x mat.Matrix) *mat.SymDense {
	n, d := x.Dims()
	s := mat.NewSymDense(d, nil)
	s.SymOuterK(1/float64(n), x.T())
	return s
}

// ksDistance is sup_x |F_n(x) − F(x)| between the empirical law of xs and
// the continuous-or-atomic CDF F, evaluated at both sides of every jump.
func ksDistance(xs []float64, cdf func(float64) float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := float64(len(s))
	var d float64
	for i, x := range s {
		f := cdf(x)
		// F_n jumps from i/n to (i+1)/n at x (ties handled by the sort
		// order: the last of a tie gives the full jump).
		d = math.Max(d, math.Max(math.Abs(float64(i+1)/n-f), math.Abs(f-float64(i)/n)))
	}
	return d
}

// fitSlope returns the least-squares slope of ys against xs.
func fitSlope(xs, ys []float64) float64 {
	n := float64(len(xs))
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	return sxy / sxx
}

// meanSD returns the mean and the sample standard deviation.
func meanSD(xs []float64) (mean, sd float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += x
	}
	mean /= n
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	if len(xs) > 1 {
		sd = math.Sqrt(sd / (n - 1))
	}
	return mean, sd
}

func logs(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Log(x)
	}
	return out
}

// predict evaluates the law of the table for (model, loss, family,
// activation) in s, failing the test on error.
func predict(t testing.TB, model kind.Model, loss kind.Loss, fam kind.Family, act kind.Activation, s theory.Setting) theory.Prediction {
	t.Helper()
	law, err := theory.Lookup(model, loss, fam, act)
	if err != nil {
		t.Fatal(err)
	}
	p, err := law.Predict(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
