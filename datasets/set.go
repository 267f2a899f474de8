package datasets

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Set is a labelled classification data set: sample n is row n of X with
// class Labels[n] ∈ [0, C).
type Set struct {
	// X holds one sample per row: N×d.
	X *mat.Dense
	// Labels has one entry per row of X, each in [0, C).
	Labels []int
	// C is the number of classes (C ≥ 2). Classes need not all occur.
	C int
	// Name describes the set and the parameters that generated it.
	Name string
	// Vocab optionally names the classes: Vocab[k] is the name of class k
	// (the token text for GoText, the digit for MNIST). It is nil for the
	// synthetic sets; when non-nil it has exactly C entries.
	Vocab []string
}

// N returns the number of samples (rows of X); 0 for a nil or empty set.
func (s *Set) N() int {
	if s == nil || s.X == nil || s.X.IsEmpty() {
		return 0
	}
	r, _ := s.X.Dims()
	return r
}

// D returns the input dimension (columns of X); 0 for a nil or empty set.
func (s *Set) D() int {
	if s == nil || s.X == nil || s.X.IsEmpty() {
		return 0
	}
	_, c := s.X.Dims()
	return c
}

// Validate checks the set's invariants: X is a non-empty N×d matrix with
// finite entries, there are exactly N labels, each in [0, C), C ≥ 2, and
// Vocab, if present, has C entries. It returns the first violation found.
func (s *Set) Validate() error {
	if s == nil {
		return errors.New("datasets: nil *Set")
	}
	if s.X == nil {
		return fmt.Errorf("datasets: set %q: X is nil", s.Name)
	}
	if s.X.IsEmpty() {
		return fmt.Errorf("datasets: set %q: X is empty", s.Name)
	}
	if s.C < 2 {
		return fmt.Errorf("datasets: set %q: C = %d, need at least 2 classes", s.Name, s.C)
	}
	n, d := s.X.Dims()
	if len(s.Labels) != n {
		return fmt.Errorf("datasets: set %q: %d labels for %d samples (rows of X)", s.Name, len(s.Labels), n)
	}
	for i, y := range s.Labels {
		if y < 0 || y >= s.C {
			return fmt.Errorf("datasets: set %q: label %d of sample %d outside [0, %d)", s.Name, y, i, s.C)
		}
	}
	for i := 0; i < n; i++ {
		for j, v := range s.X.RawRowView(i)[:d] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("datasets: set %q: X[%d,%d] = %v is not finite", s.Name, i, j, v)
			}
		}
	}
	if s.Vocab != nil && len(s.Vocab) != s.C {
		return fmt.Errorf("datasets: set %q: Vocab has %d names for C = %d classes", s.Name, len(s.Vocab), s.C)
	}
	return nil
}

// Stream constants: every random draw uses rand.NewPCG(seed, stream) with a
// stream constant fixed per purpose, so each quantity depends only on the seed
// and on the parameters that define it (e.g. Gaussian labels do not depend
// on d).
//
// Gaussian draws from streams 1 and 2, the streams numerics.NewProblem has
// always drawn its data from (it now calls Gaussian), so that the golden
// numbers of the study keep and `train -data gaussian` sees the same X as
// `inspect` at the same sizes and seed.
const (
	streamGaussX         uint64 = 1
	streamGaussLabels    uint64 = 2
	streamClusterMeans   uint64 = 0x3c6ef372fe94f82b
	streamClusterX       uint64 = 0xa54ff53a5f1d36f1
	streamClusterLabels  uint64 = 0x510e527fade682d1
	streamMNISTSample    uint64 = 0x9b05688c2b3e6c1f
	streamMNISTProject   uint64 = 0x1f83d9abfb41bd6b
	streamGoTextSample   uint64 = 0x5be0cd19137e2179
	streamGoTextEmbedder uint64 = 0xcbbb9d5dc1059ed8
)

func newRNG(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// maxElements bounds N·d so that absurd sizes give an error, not an
// out-of-memory crash (2^30 float64 = 8 GiB).
const maxElements = 1 << 30

func checkShape(what string, n, d int) error {
	if n < 1 {
		return fmt.Errorf("datasets: %s: n = %d, need at least 1 sample", what, n)
	}
	if d < 1 {
		return fmt.Errorf("datasets: %s: d = %d, need dimension at least 1", what, d)
	}
	if n > maxElements/d {
		return fmt.Errorf("datasets: %s: n·d = %d·%d exceeds the limit of %d entries", what, n, d, maxElements)
	}
	return nil
}

func checkClasses(what string, c int) error {
	if c < 2 {
		return fmt.Errorf("datasets: %s: c = %d, need at least 2 classes", what, c)
	}
	return nil
}

// uniformLabels draws n labels iid uniform on {0, …, c−1}.
func uniformLabels(n, c int, rng *rand.Rand) []int {
	y := make([]int, n)
	for i := range y {
		y[i] = rng.IntN(c)
	}
	return y
}

// sampleWithoutReplacement returns k distinct indices of [0, n) in random
// order by a partial Fisher–Yates shuffle. A dense or a sparse (map) copy of
// the permutation is used depending on k/n; both consume the same draws and
// give the same result.
func sampleWithoutReplacement(n, k int, rng *rand.Rand) []int {
	if k >= n/16 {
		return sampleDense(n, k, rng)
	}
	return sampleSparse(n, k, rng)
}

func sampleDense(n, k int, rng *rand.Rand) []int {
	out := make([]int, k)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + rng.IntN(n-i)
		perm[i], perm[j] = perm[j], perm[i]
		out[i] = perm[i]
	}
	return out
}

func sampleSparse(n, k int, rng *rand.Rand) []int {
	out := make([]int, k)
	swapped := make(map[int]int, k)
	at := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	for i := 0; i < k; i++ {
		j := i + rng.IntN(n-i)
		vi, vj := at(i), at(j)
		out[i] = vj
		swapped[j] = vi
	}
	return out
}
