package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmCase is one product: op(A) m×k, op(B) k×n, with padded leading
// dimensions (lda = cols + padA, …).
type gemmCase struct {
	tA, tB           blas.Transpose
	m, n, k          int
	alpha, beta      float64
	padA, padB, padC int
	nanC             bool // fill C with NaN (only meaningful with beta = 0)
}

func (g gemmCase) String() string {
	return fmt.Sprintf("tA=%c tB=%c m=%d n=%d k=%d α=%g β=%g pad=%d,%d,%d nan=%v",
		g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.beta, g.padA, g.padB, g.padC, g.nanC)
}

// check runs the case through Implementation.Dgemm and gonum's reference
// and compares entrywise within the summation-order bound
//
//	|C − C_ref| ≤ 2(k+2)·ε·(|α|·Σ_l |a_il||b_lj| + |β|·|c_ij|)
//
// (each result is within (k+1)·ε·(…) of the exact value: k terms summed in
// some order, one product scaled by α — applied to A while packing here —
// and one β·c term; the two bounds add). Entries outside the m×n window
// (the padding of ldc) must be untouched.
func check(t testing.TB, g gemmCase, rng *rand.Rand) {
	t.Helper()
	ar, ac := g.m, g.k
	if g.tA != blas.NoTrans {
		ar, ac = g.k, g.m
	}
	br, bc := g.k, g.n
	if g.tB != blas.NoTrans {
		br, bc = g.n, g.k
	}
	lda, ldb, ldc := max(1, ac+g.padA), max(1, bc+g.padB), max(1, g.n+g.padC)
	fill := func(rows, ld int) []float64 {
		x := make([]float64, rows*ld)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		return x
	}
	a, b := fill(ar, lda), fill(br, ldb)
	c0 := fill(g.m, ldc)
	if g.nanC {
		for i := range c0 {
			c0[i] = math.NaN()
		}
	}
	c := append([]float64(nil), c0...)
	ref := append([]float64(nil), c0...)
	Implementation{}.Dgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, c, ldc)
	gonum.Implementation{}.Dgemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, a, lda, b, ldb, g.beta, ref, ldc)
	at := func(i, l int) float64 {
		if g.tA != blas.NoTrans {
			return a[l*lda+i]
		}
		return a[i*lda+l]
	}
	bt := func(l, j int) float64 {
		if g.tB != blas.NoTrans {
			return b[j*ldb+l]
		}
		return b[l*ldb+j]
	}
	eps := 0x1p-52
	for i := 0; i < g.m; i++ {
		for j := 0; j < ldc; j++ {
			got, want := c[i*ldc+j], ref[i*ldc+j]
			if j >= g.n {
				if math.Float64bits(got) != math.Float64bits(c0[i*ldc+j]) {
					t.Fatalf("%v: C[%d,%d] outside the window changed: %v → %v", g, i, j, c0[i*ldc+j], got)
				}
				continue
			}
			if math.IsNaN(got) || math.IsNaN(want) {
				t.Fatalf("%v: C[%d,%d] = %v, reference %v", g, i, j, got, want)
			}
			var s float64
			for l := 0; l < g.k; l++ {
				s += math.Abs(at(i, l) * bt(l, j))
			}
			bound := math.Abs(g.alpha) * s
			if g.beta != 0 {
				bound += math.Abs(g.beta * c0[i*ldc+j])
			}
			tol := 2 * float64(g.k+2) * eps * bound
			if d := math.Abs(got - want); d > tol {
				t.Fatalf("%v: C[%d,%d] = %v, reference %v, |diff| %.3g > tol %.3g", g, i, j, got, want, d, tol)
			}
		}
	}
	if len(c) != len(c0) {
		t.Fatal("length changed")
	}
}

// withSwitches runs f with the blocked path forced for every size, the
// given kernel and parallel threshold, restoring the defaults afterwards.
func withSwitches(t testing.TB, asm bool, kern func(int, []float64, []float64, []float64, int), par int, f func()) {
	oldAsm, oldSmall, oldPar, oldKern := useAsm, smallMin, parallelMin, kernel
	defer func() { useAsm, smallMin, parallelMin, kernel = oldAsm, oldSmall, oldPar, oldKern }()
	useAsm, smallMin, parallelMin, kernel = asm, 0, par, kern
	f()
}

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans}

// modes are the code paths under test: the blocked loop nest with the
// assembly kernel (where the CPU has it) and with the Go kernel, serial
// and split over goroutines. The fallback (gonum's Dgemm) is
// TestFallback.
func modes(t *testing.T) map[string]func(func()) {
	m := map[string]func(func()){
		"go-serial":   func(f func()) { withSwitches(t, true, kernelGo, math.MaxInt, f) },
		"go-parallel": func(f func()) { withSwitches(t, true, kernelGo, 0, f) },
	}
	if Available() {
		m["asm-serial"] = func(f func()) { withSwitches(t, true, kernelAsm, math.MaxInt, f) }
		m["asm-parallel"] = func(f func()) { withSwitches(t, true, kernelAsm, 0, f) }
	} else {
		t.Log("no AVX2+FMA on this CPU: the assembly kernel is not tested")
	}
	return m
}

// inEveryMode runs body in every kernel mode (assembly and Go, serial and
// parallel) as a subtest, with a random stream seeded by seed.
func inEveryMode(t *testing.T, seed uint64, body func(t *testing.T, rng *rand.Rand)) {
	for name, mode := range modes(t) {
		t.Run(name, func(t *testing.T) {
			mode(func() { body(t, rand.New(rand.NewPCG(seed, seed+1))) })
		})
	}
}

func TestDgemmEdgeSizes(t *testing.T) {
	sizes := []int{0, 1, 2, 5, 6, 7, 8, 9, 13, 17, 33}
	inEveryMode(t, 1, func(t *testing.T, rng *rand.Rand) {
		for _, tA := range transposes {
			for _, tB := range transposes {
				for _, m := range sizes {
					for _, n := range sizes {
						for _, k := range sizes {
							check(t, gemmCase{tA: tA, tB: tB, m: m, n: n, k: k, alpha: 1, beta: 0.5,
								padA: rng.IntN(3), padB: rng.IntN(3), padC: rng.IntN(3)}, rng)
						}
					}
				}
			}
		}
	})
}

func TestDgemmAlphaBeta(t *testing.T) {
	vals := []float64{0, 1, -1, 0.5}
	inEveryMode(t, 3, func(t *testing.T, rng *rand.Rand) {
		for _, tA := range transposes {
			for _, tB := range transposes {
				for _, alpha := range vals {
					for _, beta := range vals {
						for _, sh := range [][3]int{{7, 9, 5}, {13, 17, 1}, {25, 31, 300}} {
							g := gemmCase{tA: tA, tB: tB, m: sh[0], n: sh[1], k: sh[2], alpha: alpha, beta: beta, padA: 2, padB: 1, padC: 3}
							check(t, g, rng)
							if beta == 0 {
								g.nanC = true // β = 0 must overwrite NaN in C
								check(t, g, rng)
							}
						}
					}
				}
			}
		}
	})
}

// TestDgemmLarge crosses every blocking boundary: k > kc, m > mc, n > nc,
// tall/skinny and k = 1 shapes.
func TestDgemmLarge(t *testing.T) {
	shapes := [][3]int{
		{mc + 7, 2*nr + 3, 2*kc + 5}, {3*mc + 1, 50, 40}, {11, nc + 13, 9},
		{1000, 3, 17}, {3, 1000, 17}, {200, 300, 1}, {1, 517, 300}, {517, 1, 300},
		{97, 101, 103},
	}
	inEveryMode(t, 5, func(t *testing.T, rng *rand.Rand) {
		for _, tA := range transposes {
			for _, tB := range transposes {
				for _, sh := range shapes {
					check(t, gemmCase{tA: tA, tB: tB, m: sh[0], n: sh[1], k: sh[2], alpha: -0.5, beta: 1, padA: 3, padB: 5, padC: 1}, rng)
				}
			}
		}
	})
}

// TestDgemmRandom draws shapes, transposes, strides and α, β at random.
func TestDgemmRandom(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 60
	}
	vals := []float64{0, 1, -1, 0.5, 2.5}
	inEveryMode(t, 7, func(t *testing.T, rng *rand.Rand) {
		for range n {
			check(t, gemmCase{
				tA: transposes[rng.IntN(2)], tB: transposes[rng.IntN(2)],
				m: rng.IntN(90), n: rng.IntN(90), k: rng.IntN(300),
				alpha: vals[rng.IntN(len(vals))], beta: vals[rng.IntN(len(vals))],
				padA: rng.IntN(4), padB: rng.IntN(4), padC: rng.IntN(4),
			}, rng)
		}
	})
}

// TestFallback forces the path taken on CPUs without AVX2+FMA: Dgemm must
// then be gonum's, bit for bit.
func TestFallback(t *testing.T) {
	old := useAsm
	defer func() { useAsm = old }()
	useAsm = false
	if Backend() != "gonum" {
		t.Fatalf("Backend() = %q with the assembly kernel off", Backend())
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tA := range transposes {
		for _, tB := range transposes {
			m, n, k := 70, 65, 130
			a, b := normals(rng, m*k), normals(rng, k*n)
			lda, ldb := k, n
			if tA == blas.Trans {
				lda = m
			}
			if tB == blas.Trans {
				ldb = k
			}
			c := make([]float64, m*n)
			ref := make([]float64, m*n)
			Implementation{}.Dgemm(tA, tB, m, n, k, 0.5, a, lda, b, ldb, 0, c, n)
			gonum.Implementation{}.Dgemm(tA, tB, m, n, k, 0.5, a, lda, b, ldb, 0, ref, n)
			for i := range c {
				if math.Float64bits(c[i]) != math.Float64bits(ref[i]) {
					t.Fatalf("fallback differs from gonum at %d: %v vs %v", i, c[i], ref[i])
				}
			}
		}
	}
}

// TestDeterministic: the result is bit-for-bit the same serial and split
// over goroutines (the sum order over k does not depend on the split).
func TestDeterministic(t *testing.T) {
	if !Available() {
		t.Skip("no AVX2+FMA")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	m, n, k := 301, 203, 517
	a, b := normals(rng, m*k), normals(rng, k*n)
	run := func(par int) []float64 {
		c := make([]float64, m*n)
		withSwitches(t, true, kernelAsm, par, func() {
			Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
		})
		return c
	}
	s, p := run(math.MaxInt), run(0)
	for i := range s {
		if math.Float64bits(s[i]) != math.Float64bits(p[i]) {
			t.Fatalf("serial and parallel differ at %d: %v vs %v", i, s[i], p[i])
		}
	}
}

// TestPanics: invalid arguments panic with gonum's messages.
func TestPanics(t *testing.T) {
	msg := func(f func()) (s string) {
		defer func() { s = fmt.Sprint(recover()) }()
		f()
		return ""
	}
	a := make([]float64, 100)
	for _, f := range []func(blas.Float64Level3){
		func(i blas.Float64Level3) {
			i.Dgemm(blas.NoTrans, blas.NoTrans, 10, 10, 10, 1, a[:50], 10, a, 10, 0, a, 10)
		},
		func(i blas.Float64Level3) { i.Dgemm(blas.NoTrans, blas.NoTrans, 10, 10, 10, 1, a, 5, a, 10, 0, a, 10) },
		func(i blas.Float64Level3) { i.Dgemm('x', blas.NoTrans, 10, 10, 10, 1, a, 10, a, 10, 0, a, 10) },
		func(i blas.Float64Level3) { i.Dgemm(blas.NoTrans, blas.NoTrans, -1, 10, 10, 1, a, 10, a, 10, 0, a, 10) },
	} {
		got := msg(func() { f(Implementation{}) })
		want := msg(func() { f(gonum.Implementation{}) })
		if got != want || got == "" {
			t.Errorf("panic %q, gonum %q", got, want)
		}
	}
}

// normals returns n standard normal draws.
func normals(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}
