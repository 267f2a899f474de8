package datasets

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func validSet() *Set {
	return &Set{
		X:      mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6}),
		Labels: []int{0, 1, 2},
		C:      3,
		Name:   "tiny",
	}
}

func TestValidate(t *testing.T) {
	if err := validSet().Validate(); err != nil {
		t.Fatalf("valid set rejected: %v", err)
	}
	withVocab := validSet()
	withVocab.Vocab = []string{"a", "b", "c"}
	if err := withVocab.Validate(); err != nil {
		t.Fatalf("valid set with vocab rejected: %v", err)
	}

	tests := []struct {
		name   string
		modify func(s *Set) *Set
		want   string // substring of the error
	}{
		{"nil set", func(*Set) *Set { return nil }, "nil *Set"},
		{"nil X", func(s *Set) *Set { s.X = nil; return s }, "X is nil"},
		{"empty X", func(s *Set) *Set { s.X = &mat.Dense{}; return s }, "X is empty"},
		{"C = 1", func(s *Set) *Set { s.C = 1; s.Labels = []int{0, 0, 0}; return s }, "at least 2 classes"},
		{"C = 0", func(s *Set) *Set { s.C = 0; return s }, "at least 2 classes"},
		{"too few labels", func(s *Set) *Set { s.Labels = s.Labels[:2]; return s }, "2 labels for 3 samples"},
		{"too many labels", func(s *Set) *Set { s.Labels = append(s.Labels, 0); return s }, "4 labels for 3 samples"},
		{"label = C", func(s *Set) *Set { s.Labels[1] = 3; return s }, "label 3 of sample 1 outside [0, 3)"},
		{"negative label", func(s *Set) *Set { s.Labels[2] = -1; return s }, "label -1 of sample 2"},
		{"NaN entry", func(s *Set) *Set { s.X.Set(1, 0, math.NaN()); return s }, "X[1,0] = NaN is not finite"},
		{"Inf entry", func(s *Set) *Set { s.X.Set(2, 1, math.Inf(-1)); return s }, "X[2,1] = -Inf is not finite"},
		{"vocab length", func(s *Set) *Set { s.Vocab = []string{"a"}; return s }, "Vocab has 1 names for C = 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.modify(validSet()).Validate()
			if err == nil {
				t.Fatal("Validate accepted a bad set")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestValidateSubmatrixView(t *testing.T) {
	// A view into a wider matrix has stride > d: entries outside the view
	// must not be inspected.
	big := mat.NewDense(2, 3, []float64{1, 2, math.NaN(), 3, 4, math.NaN()})
	s := &Set{X: big.Slice(0, 2, 0, 2).(*mat.Dense), Labels: []int{0, 1}, C: 2}
	if err := s.Validate(); err != nil {
		t.Fatalf("view rejected: %v", err)
	}
	if s.N() != 2 || s.D() != 2 {
		t.Fatalf("N, D = %d, %d, want 2, 2", s.N(), s.D())
	}
	var nilSet *Set
	if nilSet.N() != 0 || nilSet.D() != 0 {
		t.Fatal("nil set should have N = D = 0")
	}
}

func TestSampleWithoutReplacement(t *testing.T) {
	for _, tc := range []struct{ n, k int }{{10, 10}, {10, 0}, {1000, 7}, {100000, 300}, {1, 1}} {
		dense := sampleDense(tc.n, tc.k, rand.New(rand.NewPCG(1, 2)))
		sparse := sampleSparse(tc.n, tc.k, rand.New(rand.NewPCG(1, 2)))
		if !slices.Equal(dense, sparse) {
			t.Fatalf("n=%d k=%d: dense and sparse samplers differ", tc.n, tc.k)
		}
		seen := make(map[int]bool)
		for _, v := range dense {
			if v < 0 || v >= tc.n || seen[v] {
				t.Fatalf("n=%d k=%d: bad or repeated index %d", tc.n, tc.k, v)
			}
			seen[v] = true
		}
	}
	// Every element is equally likely to be picked.
	const n, k, reps = 20, 5, 20000
	rng := rand.New(rand.NewPCG(3, 4))
	var hits [n]int
	for r := 0; r < reps; r++ {
		for _, v := range sampleWithoutReplacement(n, k, rng) {
			hits[v]++
		}
	}
	want := float64(reps*k) / n // 5000, sd ≈ 61
	for i, h := range hits {
		if math.Abs(float64(h)-want) > 6*math.Sqrt(want) {
			t.Fatalf("index %d picked %d times, want ≈ %.0f", i, h, want)
		}
	}
}

func TestOnceCacheRetriesFailures(t *testing.T) {
	var c onceCache[int, int]
	calls := 0
	fail := func() (int, error) { calls++; return 0, errTest }
	ok := func() (int, error) { calls++; return 42, nil }
	if _, err := c.get(1, fail); err == nil {
		t.Fatal("want error")
	}
	if v, err := c.get(1, ok); err != nil || v != 42 {
		t.Fatalf("got %d, %v; the failure should not be cached", v, err)
	}
	if v, _ := c.get(1, fail); v != 42 || calls != 2 {
		t.Fatalf("got %d after %d calls; the success should be cached", v, calls)
	}
}

type testError string

func (e testError) Error() string { return string(e) }

const errTest = testError("test failure")
