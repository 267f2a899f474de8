package krylov

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// withSpectrum returns U diag(lambda) Uᵀ for a random orthogonal U (the Q
// factor of a Gaussian matrix) drawn from seed.
func withSpectrum(lambda []float64, seed uint64) *mat.SymDense {
	n := len(lambda)
	r := rand.New(rand.NewPCG(seed, 11))
	g := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			g.Set(i, j, r.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var u mat.Dense
	qr.QTo(&u)
	a := mat.NewSymDense(n, nil)
	for i, l := range lambda {
		a.SymRankOne(a, l, u.ColView(i))
	}
	return a
}

// checkPairs compares the pairs with a dense eigendecomposition of a: values
// to 1e-8·‖A‖, residuals to tol·‖A‖, orthonormality to 1e-12, and each
// vector inside the eigenspace of its eigenvalue (‖v − P v‖ ≤ 1e-6, P the
// projector on the eigenvectors within 1e-6·‖A‖ of it), which also covers
// degenerate eigenvalues whose vectors are not unique.
func checkPairs(t *testing.T, name string, a *mat.SymDense, got *Eigenpairs, k int, smallest bool) {
	t.Helper()
	var eig mat.EigenSym
	if !eig.Factorize(a, true) {
		t.Fatal("dense eigendecomposition failed")
	}
	vals := eig.Values(nil)
	var u mat.Dense
	eig.VectorsTo(&u)
	n := len(vals)
	norm := math.Max(math.Abs(vals[0]), math.Abs(vals[n-1]))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if !smallest {
		sort.Slice(order, func(x, y int) bool { return vals[order[x]] > vals[order[y]] })
	}
	if len(got.Values) != k || len(got.Vectors) != k || len(got.Residuals) != k {
		t.Fatalf("%s: %d values, %d vectors, %d residuals, want %d", name, len(got.Values), len(got.Vectors), len(got.Residuals), k)
	}
	for i := 0; i < k; i++ {
		want := vals[order[i]]
		if math.Abs(got.Values[i]-want) > 1e-8*norm {
			t.Errorf("%s: value %d = %.12g, dense %.12g", name, i, got.Values[i], want)
		}
		if got.Residuals[i] > 1e-10*norm {
			t.Errorf("%s: residual %d = %.3g", name, i, got.Residuals[i])
		}
		v := got.Vectors[i]
		av := make([]float64, n)
		mat.NewVecDense(n, av).MulVec(a, mat.NewVecDense(n, v))
		var rn float64
		for l := range av {
			rn += (av[l] - got.Values[i]*v[l]) * (av[l] - got.Values[i]*v[l])
		}
		if math.Abs(math.Sqrt(rn)-got.Residuals[i]) > 1e-12*norm {
			t.Errorf("%s: reported residual %d = %.3g, recomputed %.3g", name, i, got.Residuals[i], math.Sqrt(rn))
		}
		// Component of v outside its eigenspace.
		var inside float64
		for j := 0; j < n; j++ {
			if math.Abs(vals[j]-want) <= 1e-6*norm {
				c := mat.Dot(u.ColView(j), mat.NewVecDense(n, v))
				inside += c * c
			}
		}
		if out := math.Sqrt(math.Max(0, 1-inside)); out > 1e-6 {
			t.Errorf("%s: vector %d has %.3g outside the eigenspace of %.6g", name, i, out, want)
		}
		for j := 0; j <= i; j++ {
			want := 0.0
			if i == j {
				want = 1
			}
			if d := dot(v, got.Vectors[j]); math.Abs(d-want) > 1e-12 {
				t.Errorf("%s: v%d·v%d = %.3g, want %v", name, i, j, d, want)
			}
		}
	}
}

func TestTopEigenpairsClusteredDegenerate(t *testing.T) {
	const n = 120
	lambda := make([]float64, n)
	r := rand.New(rand.NewPCG(3, 3))
	for i := range lambda {
		lambda[i] = 2 * r.Float64() // bulk in [0, 2]
	}
	// A triple eigenvalue at the top, a tight cluster below it, a double at
	// the bottom, and a negative triple for the smallest end.
	copy(lambda, []float64{10, 10, 10, 9.99999, 9.99998, 9, -3, -3, -3, -2.999999})
	a := withSpectrum(lambda, 1)
	for _, c := range []struct {
		name     string
		k, block int
		smallest bool
	}{
		{"top 6", 6, 0, false},
		{"top 4, block 3", 4, 3, false},
		{"bottom 5", 5, 0, true},
		{"top 1", 1, 3, false},
	} {
		got, err := TopEigenpairs(dense(a), n, c.k, EigenpairOptions{Seed: 2, BlockSize: c.block, Smallest: c.smallest})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !got.Converged || got.Applications > n {
			t.Errorf("%s: converged %v after %d products", c.name, got.Converged, got.Applications)
		}
		checkPairs(t, c.name, a, got, c.k, c.smallest)
	}
}

// On random Gaussian symmetric matrices (well-separated spectra) block size
// 1 is plain Lanczos with full reorthogonalization.
func TestTopEigenpairsRandom(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		n := 50 + 30*int(seed)
		a := lowRankPlus(n, nil, nil, 1, seed)
		for _, smallest := range []bool{false, true} {
			got, err := TopEigenpairs(dense(a), n, 4, EigenpairOptions{Seed: seed, BlockSize: 1, Smallest: smallest})
			if err != nil {
				t.Fatal(err)
			}
			checkPairs(t, "random", a, got, 4, smallest)
		}
	}
	// k = n: the whole spectrum.
	a := lowRankPlus(12, nil, nil, 1, 9)
	got, err := TopEigenpairs(dense(a), 12, 12, EigenpairOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkPairs(t, "k = n", a, got, 12, false)
}

func TestTopEigenpairsNotConvergedAndBadInput(t *testing.T) {
	n := 1000
	d := make([]float64, n)
	for i := range d {
		d[i] = math.Sin(float64(i))
	}
	within(t, "TopEigenpairs", func() {
		got, err := TopEigenpairs(diagonal(d), n, 2, EigenpairOptions{MaxIter: 10, Tol: 1e-14, Seed: 1})
		if !errors.Is(err, ErrNotConverged) || got == nil || got.Converged || got.Applications != 10 || len(got.Values) != 2 {
			t.Errorf("err = %v, result %+v; want ErrNotConverged with 2 estimates after 10 products", err, got)
		}
		// The default cap: 300 products on 1000 eigenvalues spread over
		// [-1, 1] at a tolerance at round-off.
		got, err = TopEigenpairs(diagonal(d), n, 3, EigenpairOptions{Tol: 1e-16, Seed: 1, BlockSize: 1})
		if !errors.Is(err, ErrNotConverged) || got == nil || got.Applications != 300 {
			t.Errorf("default cap: err = %v, %d products; want ErrNotConverged after 300", err, got.Applications)
		}
	})
	op := diagonal([]float64{1, 2, 3})
	nan := func(dst, vec []float64) ([]float64, error) { return []float64{0, math.NaN(), 0}, nil }
	for _, c := range []struct {
		op      Operator
		n, k    int
		opts    EigenpairOptions
		mention string
	}{
		{op, 3, 0, EigenpairOptions{}, "k = 0"},
		{op, 3, 4, EigenpairOptions{}, "k = 4"},
		{nil, 3, 1, EigenpairOptions{}, "nil"},
		{op, 0, 1, EigenpairOptions{}, "n ≥ 1"},
		{op, 3, 2, EigenpairOptions{MaxIter: 1}, "MaxIter"},
		{op, 3, 2, EigenpairOptions{Tol: math.NaN()}, "Tol"},
		{op, 3, 2, EigenpairOptions{BlockSize: -1}, "BlockSize"},
		{nan, 3, 1, EigenpairOptions{}, "NaN"},
	} {
		if _, err := TopEigenpairs(c.op, c.n, c.k, c.opts); err == nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("n = %d, k = %d, %+v: err = %v, want one mentioning %q", c.n, c.k, c.opts, err, c.mention)
		}
	}
	if b := TopEigenpairsBytes(1000, 5, EigenpairOptions{}); b != 8*(2*300*1000+2*300*300+5*1000+4*1000) {
		t.Errorf("TopEigenpairsBytes = %d", b)
	}
	if b := TopEigenpairsBytes(10, 11, EigenpairOptions{}); b != -1 {
		t.Errorf("TopEigenpairsBytes(k > n) = %d, want -1", b)
	}
}

func TestBlockMassParticipation(t *testing.T) {
	v := []float64{3, 4, 0, 0, 1e-200}
	got, err := BlockMass(v, []int{0, 1, 2, 0}, []int{1, 3, 3, 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{9.0 / 25, 16.0 / 25, 0, 1}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Errorf("BlockMass = %v, want %v", got, want)
			break
		}
	}
	// Scale-free even where squares would overflow.
	big := []float64{3e300, 4e300}
	if got, err := BlockMass(big, []int{0}, []int{1}); err != nil || math.Abs(got[0]-0.36) > 1e-15 {
		t.Errorf("BlockMass of huge entries = %v, %v; want 0.36", got, err)
	}
	for _, c := range []struct {
		v             []float64
		starts, sizes []int
	}{
		{v, []int{0}, []int{1, 2}},
		{v, []int{3}, []int{3}},
		{v, []int{-1}, []int{1}},
		{[]float64{0, 0}, []int{0}, []int{1}},
		{[]float64{math.Inf(1), 0}, []int{0}, []int{1}},
	} {
		if _, err := BlockMass(c.v, c.starts, c.sizes); err == nil {
			t.Errorf("BlockMass(%v, %v, %v) accepted", c.v, c.starts, c.sizes)
		}
	}
	for _, c := range []struct {
		v    []float64
		want float64
	}{
		{[]float64{0, -2, 0}, 1},
		{[]float64{1, -1, 1, -1}, 4},
		{[]float64{1e-300, 1e-300}, 2},
		{[]float64{1, 1, 0, 2}, 36.0 / 18},
	} {
		got, err := ParticipationRatio(c.v)
		if err != nil || math.Abs(got-c.want) > 1e-14 {
			t.Errorf("ParticipationRatio(%v) = %v, %v; want %v", c.v, got, err, c.want)
		}
	}
	if _, err := ParticipationRatio([]float64{0, 0}); err == nil {
		t.Error("ParticipationRatio of a zero vector accepted")
	}
}
