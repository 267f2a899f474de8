package krylov

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// EigenpairOptions controls TopEigenpairs.
type EigenpairOptions struct {
	// MaxIter bounds the Krylov dimension, which is also the number of
	// operator applications; 0 means min(n, max(300, 4k)). It must be ≥ k.
	MaxIter int
	// Tol is the relative residual ‖Av − λv‖ ≤ Tol·max|θ| (θ over all Ritz
	// values, a lower bound on ‖A‖₂) every returned pair must meet; 0 means
	// 1e-10.
	Tol float64
	// Seed draws the Gaussian start block.
	Seed uint64
	// BlockSize is the number of vectors the Krylov space grows by per step;
	// 0 means k (capped at n). An eigenvalue of multiplicity above
	// BlockSize can be found fewer times than it occurs: a Krylov space
	// from b start vectors holds at most b directions of one eigenspace
	// (in exact arithmetic).
	BlockSize int
	// Smallest asks for the k smallest (algebraic) eigenvalues instead of
	// the k largest.
	Smallest bool
}

// Eigenpairs holds the eigenpairs TopEigenpairs found.
type Eigenpairs struct {
	// Values are the Ritz values: descending (the largest first), or
	// ascending with Smallest.
	Values []float64
	// Vectors[i] is the unit Ritz vector of Values[i]; the vectors are
	// orthonormal, each signed so that its entry of largest magnitude is
	// positive.
	Vectors [][]float64
	// Residuals[i] = ‖A v_i − λ_i v_i‖, computed from the products; for a
	// symmetric A an eigenvalue lies within it of λ_i.
	Residuals []float64
	// Applications counts the operator products (the Krylov dimension).
	Applications int
	Converged    bool
}

func (o EigenpairOptions) resolve(n, k int) (dimMax, block int, tol float64, err error) {
	if o.MaxIter < 0 || (o.MaxIter > 0 && o.MaxIter < k) {
		return 0, 0, 0, fmt.Errorf("krylov: TopEigenpairs MaxIter = %d, want 0 (default) or ≥ k = %d", o.MaxIter, k)
	}
	if !(o.Tol >= 0) || math.IsInf(o.Tol, 0) {
		return 0, 0, 0, fmt.Errorf("krylov: TopEigenpairs Tol = %v, want a finite value ≥ 0 (0: 1e-10)", o.Tol)
	}
	if o.BlockSize < 0 {
		return 0, 0, 0, fmt.Errorf("krylov: TopEigenpairs BlockSize = %d, want ≥ 0 (0: k)", o.BlockSize)
	}
	dimMax = o.MaxIter
	if dimMax == 0 {
		dimMax = max(300, 4*k)
	}
	dimMax = min(dimMax, n)
	block = o.BlockSize
	if block == 0 {
		block = k
	}
	block = min(block, dimMax)
	tol = o.Tol
	if tol == 0 {
		tol = 1e-10
	}
	return dimMax, block, tol, nil
}

// TopEigenpairsBytes returns the memory TopEigenpairs(op, n, k, opts)
// allocates at most, in bytes: the basis Q and its products AQ
// (2·MaxIter·n floats), the projected matrix and its eigenvectors
// (2·MaxIter² floats) and the k returned vectors. Callers with a memory
// budget check it before the call. It returns -1 for invalid arguments.
func TopEigenpairsBytes(n, k int, opts EigenpairOptions) int64 {
	if n <= 0 || k < 1 || k > n {
		return -1
	}
	dim, _, _, err := opts.resolve(n, k)
	if err != nil {
		return -1
	}
	d, nn := int64(dim), int64(n)
	return 8 * (2*d*nn + 2*d*d + int64(k)*nn + 4*nn)
}

// TopEigenpairs returns the k largest eigenvalues of the symmetric n×n
// operator op (the k smallest with opts.Smallest) with orthonormal
// eigenvectors, by block Lanczos with full reorthogonalization: the Krylov
// space span{S, AS, A²S, …} of a Gaussian block S grows by BlockSize
// vectors per step, each orthogonalized twice against the whole basis, and
// the Rayleigh–Ritz pairs of the projection QᵀAQ are accepted when every
// one of the k wanted has residual ‖Av − λv‖ ≤ Tol·max|θ|. If the space
// becomes invariant before that, fresh random vectors continue it.
//
// If MaxIter products do not reach the tolerance, the best pairs are
// returned with an error wrapping ErrNotConverged. Errors also for a nil
// operator, n < 1, k < 1 or k > n, invalid options, and an operator that
// returns an error, a wrong length or a non-finite value.
//
// Cost: iterations × (one product + O(n·dim) orthogonalization), dim ≤
// MaxIter the Krylov dimension reached, plus a dim×dim eigenproblem and
// O(n·dim·k) for the residuals at each convergence check (every step up to
// dim 60, then each time dim has grown by a quarter, so that the checks
// cost O(dim³) in all); memory as
// TopEigenpairsBytes says.
func TopEigenpairs(op Operator, n, k int, opts EigenpairOptions) (*Eigenpairs, error) {
	if op == nil {
		return nil, errors.New("krylov: TopEigenpairs needs an operator, got nil")
	}
	if n <= 0 {
		return nil, fmt.Errorf("krylov: TopEigenpairs needs dimension n ≥ 1, got %d", n)
	}
	if k < 1 || k > n {
		return nil, fmt.Errorf("krylov: TopEigenpairs k = %d, want 1 ≤ k ≤ n = %d", k, n)
	}
	dimMax, block, tol, err := opts.resolve(n, k)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0xe16e))
	var q, aq [][]float64
	// t holds QᵀAQ, row by row, grown as the basis grows.
	var t [][]float64
	fresh := func(count int) [][]float64 {
		var out [][]float64
		for tries := 0; len(out) < count && tries < 3*count+3; tries++ {
			v := make([]float64, n)
			for i := range v {
				v[i] = r.NormFloat64()
			}
			project(q, v)
			for _, w := range out {
				c := dot(v, w)
				for i := range v {
					v[i] -= c * w[i]
				}
			}
			if nv := math.Sqrt(dot(v, v)); nv > 1e-8*math.Sqrt(float64(n)) {
				scaleVec(v, 1/nv)
				out = append(out, v)
			}
		}
		return out
	}
	next := fresh(block)
	var res *ritzResult
	lastCheck := 0
	for len(next) > 0 {
		start := len(q)
		for _, v := range next {
			av, err := apply(op, nil, v)
			if err != nil {
				return nil, err
			}
			q = append(q, v)
			aq = append(aq, av)
		}
		for j := start; j < len(q); j++ {
			row := make([]float64, j+1)
			for i := 0; i <= j; i++ {
				row[i] = dot(q[i], aq[j])
			}
			t = append(t, row)
		}
		dim := len(q)
		done := dim >= dimMax || dim == n
		if dim >= k && (done || dim <= 60 || float64(dim) >= 1.25*float64(lastCheck)) {
			lastCheck = dim
			if res, err = ritzPairs(q, aq, t, k, opts.Smallest); err != nil {
				return nil, err
			}
			res.Converged = true
			for _, rn := range res.Residuals {
				if !(rn <= tol*res.scale) {
					res.Converged = false
				}
			}
			if res.Converged || done {
				break
			}
		}
		// The next block: the products of the last one, orthogonalized
		// against the basis; directions that vanish (an invariant subspace)
		// are replaced by fresh random ones.
		want := min(block, dimMax-dim, n-dim)
		next = next[:0:0]
		for _, av := range aq[start:] {
			if len(next) == want {
				break
			}
			v := append([]float64(nil), av...)
			before := math.Sqrt(dot(v, v))
			project(q, v)
			for _, w := range next {
				c := dot(v, w)
				for i := range v {
					v[i] -= c * w[i]
				}
			}
			if nv := math.Sqrt(dot(v, v)); nv > 1e-10*before && nv > 0 {
				scaleVec(v, 1/nv)
				next = append(next, v)
			}
		}
		if len(next) < want {
			next = append(next, fresh(want-len(next))...)
		}
	}
	if res == nil {
		return nil, fmt.Errorf("krylov: TopEigenpairs found no basis of dimension ≥ k = %d", k)
	}
	out := &res.Eigenpairs
	out.Applications = len(q)
	if !out.Converged {
		worst := 0.0
		for _, rn := range out.Residuals {
			worst = math.Max(worst, rn)
		}
		return out, fmt.Errorf("%w: TopEigenpairs after %d products: largest residual %.2e, tolerance %.2e", ErrNotConverged, out.Applications, worst, tol*res.scale)
	}
	return out, nil
}

type ritzResult struct {
	Eigenpairs
	scale float64
}

// ritzPairs returns the k wanted Rayleigh–Ritz pairs of the basis q with
// products aq and projection t (lower triangle by rows), with their
// residuals computed from aq.
func ritzPairs(q, aq [][]float64, t [][]float64, k int, smallest bool) (*ritzResult, error) {
	dim := len(q)
	n := len(q[0])
	sym := mat.NewSymDense(dim, nil)
	for j, row := range t {
		for i, x := range row {
			sym.SetSym(i, j, x)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, true) {
		return nil, errors.New("krylov: TopEigenpairs: eigendecomposition of the projected matrix did not converge")
	}
	vals := eig.Values(nil)
	var s mat.Dense
	eig.VectorsTo(&s)
	res := &ritzResult{}
	for _, v := range vals {
		res.scale = math.Max(res.scale, math.Abs(v))
	}
	idx := make([]int, dim)
	for i := range idx {
		idx[i] = i
	}
	if !smallest {
		sort.Slice(idx, func(a, b int) bool { return vals[idx[a]] > vals[idx[b]] })
	}
	for _, j := range idx[:k] {
		y := make([]float64, n)
		ay := make([]float64, n)
		for i := 0; i < dim; i++ {
			c := s.At(i, j)
			for l := range y {
				y[l] += c * q[i][l]
				ay[l] += c * aq[i][l]
			}
		}
		// Renormalize against the round-off of Q's orthogonality.
		ny := math.Sqrt(dot(y, y))
		scaleVec(y, 1/ny)
		scaleVec(ay, 1/ny)
		big := 0
		for l := range y {
			if math.Abs(y[l]) > math.Abs(y[big]) {
				big = l
			}
		}
		if y[big] < 0 {
			scaleVec(y, -1)
			scaleVec(ay, -1)
		}
		theta := vals[j]
		var rn float64
		for l := range y {
			d := ay[l] - theta*y[l]
			rn += d * d
		}
		res.Values = append(res.Values, theta)
		res.Vectors = append(res.Vectors, y)
		res.Residuals = append(res.Residuals, math.Sqrt(rn))
	}
	return res, nil
}

// BlockMass returns, for each index range [starts[b], starts[b]+sizes[b]),
// the fraction of ‖v‖² it holds: Σ_{i in block} v_i² / Σ_i v_i². The ranges
// need not cover v or be disjoint (a range per family, say, alongside one
// per neuron); when they partition v the fractions sum to 1. Errors for
// mismatched starts and sizes, a range outside v, a zero or non-finite v.
func BlockMass(v []float64, starts, sizes []int) ([]float64, error) {
	if len(starts) != len(sizes) {
		return nil, fmt.Errorf("krylov: BlockMass got %d starts and %d sizes", len(starts), len(sizes))
	}
	scale, err := maxAbs(v, "BlockMass")
	if err != nil {
		return nil, err
	}
	var total float64
	for _, x := range v {
		total += (x / scale) * (x / scale)
	}
	out := make([]float64, len(starts))
	for b, s := range starts {
		if s < 0 || sizes[b] < 0 || s > len(v)-sizes[b] {
			return nil, fmt.Errorf("krylov: BlockMass range %d = [%d, %d+%d) outside a vector of length %d", b, s, s, sizes[b], len(v))
		}
		var m float64
		for _, x := range v[s : s+sizes[b]] {
			m += (x / scale) * (x / scale)
		}
		out[b] = m / total
	}
	return out, nil
}

// ParticipationRatio returns (Σ v_i²)² / Σ v_i⁴, the effective number of
// entries v is spread over: 1 for a vector with one nonzero entry, n for
// one of n entries of equal magnitude. It is unnormalized (divide by n for
// a fraction in (0, 1]) and does not depend on ‖v‖. Errors for a zero or
// non-finite v.
func ParticipationRatio(v []float64) (float64, error) {
	scale, err := maxAbs(v, "ParticipationRatio")
	if err != nil {
		return 0, err
	}
	var s2, s4 float64
	for _, x := range v {
		y := (x / scale) * (x / scale)
		s2 += y
		s4 += y * y
	}
	return s2 * s2 / s4, nil
}

// maxAbs returns max|v_i| > 0, by which v is scaled before squaring so that
// neither tiny nor huge entries underflow or overflow.
func maxAbs(v []float64, what string) (float64, error) {
	var m float64
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("krylov: %s: entry %d is %v", what, i, x)
		}
		m = math.Max(m, math.Abs(x))
	}
	if m == 0 {
		return 0, fmt.Errorf("krylov: %s of a zero vector (length %d) is undefined", what, len(v))
	}
	return m, nil
}
