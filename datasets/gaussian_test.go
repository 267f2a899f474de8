package datasets

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func sameSet(a, b *Set) bool {
	return mat.Equal(a.X, b.X) && slices.Equal(a.Labels, b.Labels) && a.C == b.C
}

func checkShapeAndLabels(t *testing.T, s *Set, n, d, c int) {
	t.Helper()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if r, cols := s.X.Dims(); r != n || cols != d {
		t.Fatalf("%s: X is %d×%d, want %d×%d", s.Name, r, cols, n, d)
	}
	if s.C != c || len(s.Labels) != n {
		t.Fatalf("%s: C = %d, %d labels; want %d, %d", s.Name, s.C, len(s.Labels), c, n)
	}
}

func TestGaussian(t *testing.T) {
	const n, d, c = 2000, 50, 7
	a, err := Gaussian(n, d, c, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkShapeAndLabels(t, a, n, d, c)
	b, _ := Gaussian(n, d, c, 1)
	if !sameSet(a, b) {
		t.Fatal("same seed gave different sets")
	}
	other, _ := Gaussian(n, d, c, 2)
	if mat.Equal(a.X, other.X) || slices.Equal(a.Labels, other.Labels) {
		t.Fatal("different seeds gave the same X or labels")
	}
	// Labels come from their own stream: independent of d.
	narrow, _ := Gaussian(n, 3, c, 1)
	if !slices.Equal(a.Labels, narrow.Labels) {
		t.Fatal("labels depend on d")
	}

	// Moments of N(0, 1) entries: n·d = 10^5 samples.
	var sum, sumSq float64
	for _, v := range a.X.RawMatrix().Data {
		sum += v
		sumSq += v * v
	}
	m := sum / (n * d)
	v := sumSq/(n*d) - m*m
	if math.Abs(m) > 0.02 || math.Abs(v-1) > 0.03 {
		t.Fatalf("entries have mean %.4f, variance %.4f; want 0, 1", m, v)
	}
	counts := make([]int, c)
	for _, y := range a.Labels {
		counts[y]++
	}
	for k, cnt := range counts {
		if math.Abs(float64(cnt)-n/c) > 5*math.Sqrt(n/c) {
			t.Fatalf("class %d has %d samples, want ≈ %d", k, cnt, n/c)
		}
	}
}

func TestClusteredGaussian(t *testing.T) {
	const n, d, c = 600, 20, 5
	const radius = 3.0
	// spread = 0: every row is its class mean, of norm radius.
	s, err := ClusteredGaussian(n, d, c, radius, 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	checkShapeAndLabels(t, s, n, d, c)
	means := make(map[int][]float64)
	for i, y := range s.Labels {
		row := s.X.RawRowView(i)
		if mu, ok := means[y]; ok {
			if !slices.Equal(mu, row) {
				t.Fatalf("rows of class %d differ with spread 0", y)
			}
			continue
		}
		means[y] = slices.Clone(row)
		if nrm := mat.Norm(mat.NewVecDense(d, row), 2); math.Abs(nrm-radius) > 1e-12 {
			t.Fatalf("class %d mean has norm %v, want %v", y, nrm, radius)
		}
	}

	// spread > 0: same means and labels, residuals with variance spread².
	const spread = 0.5
	a, err := ClusteredGaussian(n, d, c, radius, spread, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Labels, s.Labels) {
		t.Fatal("labels depend on spread")
	}
	var sumSq float64
	for i, y := range a.Labels {
		for j, v := range a.X.RawRowView(i) {
			r := v - means[y][j]
			sumSq += r * r
		}
	}
	if v := sumSq / (n * d); math.Abs(v-spread*spread) > 0.02 {
		t.Fatalf("residual variance %.4f, want %.4f", v, spread*spread)
	}

	b, _ := ClusteredGaussian(n, d, c, radius, spread, 4)
	if !sameSet(a, b) {
		t.Fatal("same seed gave different sets")
	}
	other, _ := ClusteredGaussian(n, d, c, radius, spread, 5)
	if mat.Equal(a.X, other.X) {
		t.Fatal("different seeds gave the same X")
	}
}

func TestSyntheticErrors(t *testing.T) {
	tests := []struct {
		name string
		call func() (*Set, error)
		want string
	}{
		{"gaussian n=0", func() (*Set, error) { return Gaussian(0, 3, 2, 1) }, "n = 0"},
		{"gaussian d=0", func() (*Set, error) { return Gaussian(3, 0, 2, 1) }, "d = 0"},
		{"gaussian c=1", func() (*Set, error) { return Gaussian(3, 3, 1, 1) }, "c = 1"},
		{"gaussian huge", func() (*Set, error) { return Gaussian(1<<20, 1<<20, 2, 1) }, "exceeds the limit"},
		{"clustered c=0", func() (*Set, error) { return ClusteredGaussian(3, 3, 0, 1, 1, 1) }, "c = 0"},
		{"clustered radius<0", func() (*Set, error) { return ClusteredGaussian(3, 3, 2, -1, 1, 1) }, "radius = -1"},
		{"clustered radius NaN", func() (*Set, error) { return ClusteredGaussian(3, 3, 2, math.NaN(), 1, 1) }, "radius = NaN"},
		{"clustered spread Inf", func() (*Set, error) { return ClusteredGaussian(3, 3, 2, 1, math.Inf(1), 1) }, "spread = +Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.call()
			if err == nil || s != nil {
				t.Fatalf("got %v, %v; want an error", s, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}
