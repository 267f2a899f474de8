package precond

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/krylov"
)

// approxCase is one approximation and its dense B formed independently.
type approxCase struct {
	a     Approximation
	dense *mat.SymDense // nil for Identity, whose preconditioner is I
}

func smallNetCases(t *testing.T, h *mat.SymDense, factors []Factor) []approxCase {
	t.Helper()
	p, neurons, layers := smallNet()
	bn, err := NewBlockDiagonal(h, neurons)
	if err != nil {
		t.Fatal(err)
	}
	bl, err := NewBlockDiagonal(h, layers)
	if err != nil {
		t.Fatal(err)
	}
	dg, err := DiagonalOf(h)
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewIdentity(p)
	if err != nil {
		t.Fatal(err)
	}
	kf, err := NewKFAC(p, factors)
	if err != nil {
		t.Fatal(err)
	}
	diag := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		diag.SetSym(i, i, h.At(i, i))
	}
	return []approxCase{
		{Named(bn, "per-neuron"), blockDiagDense(h, neurons)},
		{Named(bl, "per-layer"), blockDiagDense(h, layers)},
		{dg, diag},
		{id, nil},
		{kf, kronDense(p, factors)},
	}
}

// TestQualityMatchesDense: on P = 36, for every approximation and for an
// indefinite and a positive-definite H, Lanczos' extreme eigenvalues of M
// equal those of the dense S·(H + λI)·S, S = (|B| + λI)^{−1/2} formed by a
// P×P EigenSym, to 1e−8 (relative to the spectrum's scale); the condition
// number is their ratio exactly when λmin > 0.
func TestQualityMatchesDense(t *testing.T) {
	p, _, _ := smallNet()
	r := newRand(1)
	indefinite := randSym(r, p)
	psd := randPSD(r, p, 20) // rank 20 < P: λ carries the null space
	factors := smallNetFactors(r)
	for _, hc := range []struct {
		name string
		h    *mat.SymDense
	}{{"indefinite", indefinite}, {"psd", psd}} {
		for _, c := range smallNetCases(t, hc.h, factors) {
			for _, damping := range []float64{1e-3, 0.1} {
				res, err := Quality(denseOp(hc.h), c.a, damping, Options{Seed: 3, Dense: hc.h})
				if err != nil {
					t.Fatalf("%s/%s: %v", hc.name, c.a.Name(), err)
				}
				var s mat.Matrix = mat.NewDiagDense(p, ones(p))
				if c.dense != nil {
					s = denseInvSqrt(t, c.dense, damping)
				}
				want := denseMSpectrum(t, hc.h, s, damping)
				lo, hi := want[0], want[p-1]
				scale := math.Max(math.Abs(lo), math.Abs(hi))
				if math.Abs(res.LambdaMin-lo) > 1e-8*scale || math.Abs(res.LambdaMax-hi) > 1e-8*scale {
					t.Errorf("%s/%s λ=%g: Lanczos (%.12g, %.12g), dense (%.12g, %.12g)", hc.name, c.a.Name(), damping, res.LambdaMin, res.LambdaMax, lo, hi)
				}
				if lo > 1e-8*scale {
					if res.ConditionUndefined != "" || math.Abs(res.Condition-hi/lo) > 1e-7*hi/lo {
						t.Errorf("%s/%s λ=%g: condition %v (%q), want %v", hc.name, c.a.Name(), damping, res.Condition, res.ConditionUndefined, hi/lo)
					}
				} else if !math.IsNaN(res.Condition) || !strings.Contains(res.ConditionUndefined, "not positive definite") {
					t.Errorf("%s/%s λ=%g: λmin %v but condition %v (%q), want NaN with a reason", hc.name, c.a.Name(), damping, lo, res.Condition, res.ConditionUndefined)
				}
				if res.Name != c.a.Name() || res.Damping != damping || res.RelErrorUndefined != "" || res.RelErrorEstimated {
					t.Errorf("%s/%s: result %+v", hc.name, c.a.Name(), res)
				}
			}
		}
	}
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// TestDenseMatchesReference: Dense(B), built from each approximation's
// Operator, equals the independently formed B.
func TestDenseMatchesReference(t *testing.T) {
	p, _, _ := smallNet()
	r := newRand(2)
	h := randSym(r, p)
	for _, c := range smallNetCases(t, h, smallNetFactors(r)) {
		got, err := Dense(c.a)
		if err != nil {
			t.Fatal(err)
		}
		want := c.dense
		if want == nil {
			want = mat.NewSymDense(p, nil)
			for i := 0; i < p; i++ {
				want.SetSym(i, i, 1)
			}
		}
		if d := maxAbsDiff(got, want); d > 1e-13 {
			t.Errorf("%s: Dense differs from the reference by %g", c.a.Name(), d)
		}
	}
}

// TestBlockDiagonalWholeMatrix: with one range covering H, B = H and
// M = (H + λI)(|H| + λI)^{−1}, whose eigenvalues are (μ + λ)/(|μ| + λ):
// 1 for every μ ≥ 0, (λ − |μ|)/(|μ| + λ) for μ < 0.
func TestBlockDiagonalWholeMatrix(t *testing.T) {
	r := newRand(3)
	const damping = 0.01
	psd := withSpectrum(r, []float64{0, 0, 1e-4, 0.3, 1, 2, 5, 40})
	b, err := NewBlockDiagonal(psd, []Range{{0, 8}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Quality(denseOp(psd), b, damping, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.LambdaMin-1) > 1e-10 || math.Abs(res.LambdaMax-1) > 1e-10 || math.Abs(res.Condition-1) > 1e-10 {
		t.Errorf("PSD H: M spectrum [%v, %v], condition %v; want all 1", res.LambdaMin, res.LambdaMax, res.Condition)
	}

	mu := []float64{-2, -0.5, 0.1, 1, 3}
	ind := withSpectrum(r, mu)
	b, err = NewBlockDiagonal(ind, []Range{{0, 5}})
	if err != nil {
		t.Fatal(err)
	}
	res, err = Quality(denseOp(ind), b, damping, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantMin := (damping - 2) / (2 + damping)
	if math.Abs(res.LambdaMin-wantMin) > 1e-10 || math.Abs(res.LambdaMax-1) > 1e-10 {
		t.Errorf("indefinite H: M spectrum [%v, %v], want [%v, 1]", res.LambdaMin, res.LambdaMax, wantMin)
	}
	if !math.IsNaN(res.Condition) || !strings.HasPrefix(res.ConditionUndefined, UndefinedNotPositive) {
		t.Errorf("indefinite H: condition %v (%q), want NaN and %q", res.Condition, res.ConditionUndefined, UndefinedNotPositive)
	}
}

// TestIdentitySpectrum: Identity leaves M = H + λI: its extremes are
// μmin + λ and μmax + λ, the condition (μmax + λ)/(μmin + λ) when positive.
func TestIdentitySpectrum(t *testing.T) {
	r := newRand(4)
	const damping = 0.5
	for _, mu := range [][]float64{{0.25, 1, 2, 3, 7}, {-1, 0, 2, 4}} {
		h := withSpectrum(r, mu)
		id, _ := NewIdentity(len(mu))
		res, err := Quality(denseOp(h), id, damping, Options{Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := mu[0]+damping, mu[len(mu)-1]+damping
		if math.Abs(res.LambdaMin-lo) > 1e-10 || math.Abs(res.LambdaMax-hi) > 1e-10 {
			t.Errorf("μ %v: [%v, %v], want [%v, %v]", mu, res.LambdaMin, res.LambdaMax, lo, hi)
		}
		if lo > 0 && math.Abs(res.Condition-hi/lo) > 1e-9 {
			t.Errorf("μ %v: condition %v, want %v", mu, res.Condition, hi/lo)
		}
		if lo < 0 && (!math.IsNaN(res.Condition) || res.ConditionUndefined == "") {
			t.Errorf("μ %v: condition %v (%q), want undefined", mu, res.Condition, res.ConditionUndefined)
		}
	}
}

// TestQualityOptions: the relative error exact or estimated, the SLQ
// density inside the extreme eigenvalues with unit weights, an early stop
// reported with its estimates, and JSON with null for what is undefined.
func TestQualityOptions(t *testing.T) {
	p, neurons, _ := smallNet()
	r := newRand(6)
	h := randSym(r, p)
	b, err := NewBlockDiagonal(h, neurons)
	if err != nil {
		t.Fatal(err)
	}
	exact, err := RelativeError(h, b)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Quality(denseOp(h), b, 0.1, Options{Seed: 1, RelErrorProbes: 400, Density: &krylov.SLQOptions{Probes: 4, Steps: 12, Seed: 2, Reorth: krylov.ReorthFull}})
	if err != nil {
		t.Fatal(err)
	}
	// 400 probes: relative error ≈ 1/√400 = 5%; 20% is 4σ. Deterministic
	// (fixed seed); a fresh seed fails with probability ~1e−4.
	if !res.RelErrorEstimated || math.Abs(res.RelError-exact) > 0.2*exact {
		t.Errorf("estimated relative error %v (estimated %v), exact %v", res.RelError, res.RelErrorEstimated, exact)
	}
	if res.Density == nil || len(res.Density.Nodes) != 4 {
		t.Fatalf("density %+v, want 4 probes", res.Density)
	}
	for pr, nodes := range res.Density.Nodes {
		var w float64
		for j, x := range nodes {
			w += res.Density.Weights[pr][j]
			if x < res.LambdaMin-1e-8 || x > res.LambdaMax+1e-8 {
				t.Errorf("probe %d: node %v outside [%v, %v]", pr, x, res.LambdaMin, res.LambdaMax)
			}
		}
		if math.Abs(w-1) > 1e-12 {
			t.Errorf("probe %d: weights sum to %v", pr, w)
		}
	}

	none, err := Quality(denseOp(h), b, 0.1, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(none.RelError) || none.RelErrorUndefined != UndefinedNotAsked || none.Density != nil {
		t.Errorf("no options: rel error %v (%q), density %v", none.RelError, none.RelErrorUndefined, none.Density)
	}

	early, err := Quality(denseOp(h), b, 0.1, Options{Seed: 1, MaxIter: 3, Tol: 1e-14})
	if !errors.Is(err, krylov.ErrNotConverged) || early.Iterations != 3 || !(early.LambdaMax > early.LambdaMin) {
		t.Errorf("MaxIter 3: %v, %+v; want ErrNotConverged with estimates", err, early)
	}

	id, _ := NewIdentity(p)
	und, err := Quality(denseOp(h), id, 1e-3, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(und)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back["condition"] != nil || back["rel_error"] != nil || back["condition_undefined"] == "" || back["rel_error_undefined"] != UndefinedNotAsked || back["lambda_min"] != und.LambdaMin {
		t.Errorf("JSON %s: want null condition and rel_error beside their reasons", js)
	}

	zero := mat.NewSymDense(p, nil)
	bz, err := NewBlockDiagonal(zero, neurons)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := Quality(denseOp(zero), bz, 1, Options{Seed: 1, Dense: zero})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(zr.RelError) || zr.RelErrorUndefined != UndefinedZeroH || math.Abs(zr.Condition-1) > 1e-12 {
		t.Errorf("H = 0: rel error %v (%q), condition %v; want undefined, and M = I", zr.RelError, zr.RelErrorUndefined, zr.Condition)
	}
}

// TestDefaultDamping: 1e−3·λmax(H); an H without a positive eigenvalue
// has no default.
func TestDefaultDamping(t *testing.T) {
	r := newRand(7)
	h := withSpectrum(r, []float64{-3, 0.5, 2, 8})
	d, err := DefaultDamping(denseOp(h), 4, 1)
	if err != nil || math.Abs(d-8e-3) > 1e-9 {
		t.Errorf("DefaultDamping = %v, %v; want 8e-3", d, err)
	}
	neg := withSpectrum(r, []float64{-3, -1, -0.5})
	if _, err := DefaultDamping(denseOp(neg), 3, 1); err == nil || !strings.Contains(err.Error(), "no positive eigenvalue") {
		t.Errorf("negative definite H: %v, want an error", err)
	}
	for _, bad := range [][2]float64{{1, 0}, {1, -1}, {1, math.NaN()}, {math.Inf(1), 1e-3}, {math.NaN(), 1}, {1e308, 1e308}} {
		if _, err := DampingFor(bad[0], bad[1]); err == nil {
			t.Errorf("DampingFor(%v, %v) accepted", bad[0], bad[1])
		}
	}
}
