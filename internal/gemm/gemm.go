// Package gemm is a packed, cache-blocked float64 GEMM for gonum's blas64.
//
// Implementation embeds gonum's pure-Go BLAS and overrides Dgemm (and Dsyrk,
// as Dgemm on tiles of the requested triangle, syrk.go). Where the CPU has
// an assembly micro-kernel (detected at run time with golang.org/x/sys/cpu)
// the product runs as a BLIS-style loop nest around a 6×8
// register-blocked micro-kernel: on amd64 with AVX2 and FMA
// (kernel_amd64.s), on arm64 with Advanced SIMD, NEON (kernel_arm64.s). On
// every other CPU Dgemm is gonum's own. Backend names which one runs.
//
// Both kernels compute exactly what the portable kernelGo does (the sum
// over k ascending, one fused multiply–add per term, then one add into C),
// so a product gives the same bits on amd64 and arm64.
//
// Blocking (chosen for the 32 KiB L1d, 512 KiB L2 per core and 32 MiB L3
// of the development machine, AMD EPYC with AVX2+FMA; arm64 uses the same
// constants, not tuned on hardware):
//
//   - MR×NR = 6×8: on amd64 12 YMM accumulators, 2 YMM for a row of B and
//     2 for broadcasts of A, 12 FMAs per 2 loads + 6 broadcasts; on arm64
//     24 of the 32 128-bit V registers accumulate, 4 hold a row of B and 4
//     the broadcasts of A, 24 FMLAs per 1 load + 6 broadcasts;
//   - KC = 256: one packed B micro-panel (KC×NR, 16 KiB) stays in L1;
//   - MC = 144: one packed A block (MC×KC, 288 KiB) stays in L2;
//   - NC = 3072: one packed B panel (KC×NC, 6 MiB) stays in L3.
//
// Products with m·n·k ≥ parallelMin are split over GOMAXPROCS goroutines
// along the larger of m and n (in multiples of the register block); each
// goroutine packs its own panels. Every entry of C is summed over k in the
// same order (KC blocks in turn, k ascending inside the kernel, one FMA
// per term) whatever the number of goroutines, so results are bit-for-bit
// identical for any thread count.
package gemm

import (
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

const (
	mr = 6
	nr = 8
	kc = 256
	mc = 144
	nc = 3072
)

// Implementation is gonum's BLAS with a faster Dgemm where the CPU allows.
type Implementation struct {
	gonum.Implementation
}

// Available reports whether Dgemm runs the assembly kernel on this CPU
// (otherwise it is gonum's).
func Available() bool { return useAsm }

// Backend names the Dgemm that runs: "hessblock-avx2" (amd64 kernel),
// "hessblock-neon" (arm64 kernel) or "gonum".
func Backend() string {
	switch {
	case !useAsm:
		return "gonum"
	case runtime.GOARCH == "arm64":
		return "hessblock-neon"
	default:
		return "hessblock-avx2"
	}
}

// Switches for tests: useAsm is set from the CPU features at init
// (kernel_amd64.go, kernel_arm64.go); smallMin is the m·n·k below which
// gonum's Dgemm runs (packing does not pay off); parallelMin the m·n·k from which goroutines
// are used.
var (
	smallMin    = 24 * 24 * 24
	parallelMin = 96 * 96 * 96
	kernel      = kernelAuto
)

func kernelAuto(k int, a, b, c []float64, ldc int) {
	if useAsm {
		kernelAsm(k, a, b, c, ldc)
		return
	}
	kernelGo(k, a, b, c, ldc)
}

// Dgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, as
// blas.Float64Level3.
func (impl Implementation) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if !useAsm || !valid(tA, tB, m, n, k, a, lda, b, ldb, c, ldc) || m*n*k < smallMin {
		// gonum panics on invalid arguments with its own messages.
		impl.Implementation.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	dgemm(tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// valid reports whether the arguments pass gonum's checks and the product
// is not empty.
func valid(tA, tB blas.Transpose, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) bool {
	okT := func(t blas.Transpose) bool { return t == blas.NoTrans || t == blas.Trans || t == blas.ConjTrans }
	if !okT(tA) || !okT(tB) || m <= 0 || n <= 0 || k < 0 {
		return false
	}
	aT, bT := tA != blas.NoTrans, tB != blas.NoTrans
	if aT {
		if lda < max(1, m) || len(a) < (k-1)*lda+m {
			return false
		}
	} else if lda < max(1, k) || len(a) < (m-1)*lda+k {
		return false
	}
	if bT {
		if ldb < max(1, k) || len(b) < (n-1)*ldb+k {
			return false
		}
	} else if ldb < max(1, n) || len(b) < (k-1)*ldb+n {
		return false
	}
	return ldc >= max(1, n) && len(c) >= (m-1)*ldc+n
}

// dgemm runs the blocked product on valid, non-empty arguments.
func dgemm(aT, bT bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	workers := runtime.GOMAXPROCS(0)
	if m*n*k < parallelMin || workers < 2 {
		serial(aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// Split the larger dimension in multiples of the register block.
	split, unit := n, nr
	if m > n {
		split, unit = m, mr
	}
	chunk := (split + workers - 1) / workers
	chunk = (chunk + unit - 1) / unit * unit
	var wg sync.WaitGroup
	for s0 := 0; s0 < split; s0 += chunk {
		s1 := min(s0+chunk, split)
		if s1 == split && s0 == 0 {
			serial(aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			return
		}
		wg.Add(1)
		go func(s0, s1 int) {
			defer wg.Done()
			if split == n {
				boff := s0
				if bT {
					boff = s0 * ldb
				}
				serial(aT, bT, m, s1-s0, k, alpha, a, lda, b[boff:], ldb, beta, c[s0:], ldc)
			} else {
				aoff := s0 * lda
				if aT {
					aoff = s0
				}
				serial(aT, bT, s1-s0, n, k, alpha, a[aoff:], lda, b, ldb, beta, c[s0*ldc:], ldc)
			}
		}(s0, s1)
	}
	wg.Wait()
}

type buffers struct {
	a []float64 // mc×kc
	b []float64 // kc×nc
	// tile holds an edge tile's result: kept here, not on the stack,
	// because a slice passed to the kernel (through a function value)
	// escapes, and would be allocated on every macro call.
	tile [mr * nr]float64
}

// pool holds packing buffers, grown to the largest product seen (at most
// mc×kc and kc×nc: 6.3 MiB), so that medium products do not allocate the
// full panels.
var pool = sync.Pool{New: func() any { return new(buffers) }}

// scale computes C = beta·C on the m×n block.
func scale(m, n int, beta float64, c []float64, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else {
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// serial computes C = beta·C + alpha·op(A)·op(B) on one goroutine. Each
// worker scales its own block of C: at N×C = 10⁸ clearing C on one
// thread before the workers start was 4% of a large-C H·v.
func serial(aT, bT bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	scale(m, n, beta, c, ldc)
	buf := pool.Get().(*buffers)
	defer pool.Put(buf)
	if na := min(mc, (m+mr-1)/mr*mr) * min(kc, k); cap(buf.a) < na {
		buf.a = make([]float64, na)
	}
	if nb := min(kc, k) * min(nc, (n+nr-1)/nr*nr); cap(buf.b) < nb {
		buf.b = make([]float64, nb)
	}
	buf.a, buf.b = buf.a[:cap(buf.a)], buf.b[:cap(buf.b)]
	for jc := 0; jc < n; jc += nc {
		ncur := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcur := min(kc, k-pc)
			packB(buf.b, bT, b, ldb, pc, jc, kcur, ncur)
			for ic := 0; ic < m; ic += mc {
				mcur := min(mc, m-ic)
				packA(buf.a, aT, a, lda, ic, pc, mcur, kcur, alpha)
				macro(mcur, ncur, kcur, buf.a, buf.b, c[ic*ldc+jc:], ldc, &buf.tile)
			}
		}
	}
}

// packA packs alpha·op(A)[i0:i0+mcur, p0:p0+kcur] into micro-panels of mr
// rows, each stored k-major (mr values per k), zero-padded to mr rows.
func packA(dst []float64, aT bool, a []float64, lda, i0, p0, mcur, kcur int, alpha float64) {
	// op(A)(i, l) is a[l*lda+i] when A is transposed.
	pack(dst, mr, aT, a, lda, i0, p0, mcur, kcur, alpha)
}

// packB packs op(B)[p0:p0+kcur, j0:j0+ncur] into micro-panels of nr
// columns, each stored k-major (nr values per k), zero-padded to nr columns.
func packB(dst []float64, bT bool, b []float64, ldb, p0, j0, kcur, ncur int) {
	// Panel line j, step l is op(B)(l, j): b[l*ldb+j] unless B is
	// transposed, which is pack's strided layout when B is not.
	pack(dst, nr, !bT, b, ldb, j0, p0, ncur, kcur, 1)
}

// pack packs alpha·x(i, l) for i in [i0, i0+count), l in [p0, p0+kcur)
// into micro-panels of w lines, each stored k-major (w values per l),
// zero-padded to w lines. x(i, l) is x[l*ld+i] when strided (a panel's
// lines are contiguous for each l), x[i*ld+l] otherwise.
func pack(dst []float64, w int, strided bool, x []float64, ld, i0, p0, count, kcur int, alpha float64) {
	if strided {
		// Source row l outermost: each row of the block is read once,
		// contiguously. With the micro-panel outermost every panel walked
		// all kcur rows, one cache line and, for a wide source (ld = C =
		// 10⁵), one TLB miss per 6 or 8 values (a quarter of the time of
		// H·v at large C went here).
		for ir := count / w * w; ir < count; ir += w {
			clear(dst[ir*kcur : ir*kcur+w*kcur])
		}
		for l := 0; l < kcur; l++ {
			row := x[(p0+l)*ld+i0 : (p0+l)*ld+i0+count]
			for ir := 0; ir < count; ir += w {
				lines := min(w, count-ir)
				d := dst[ir*kcur+l*w : ir*kcur+l*w+lines]
				src := row[ir : ir+lines]
				if alpha == 1 {
					copy(d, src)
					continue
				}
				for r := range d {
					d[r] = alpha * src[r]
				}
			}
		}
		return
	}
	for ir := 0; ir < count; ir += w {
		lines := min(w, count-ir)
		p := dst[ir*kcur : ir*kcur+w*kcur]
		if lines < w {
			clear(p)
		}
		for r := 0; r < lines; r++ {
			src := x[(i0+ir+r)*ld+p0 : (i0+ir+r)*ld+p0+kcur]
			for l, v := range src {
				p[l*w+r] = alpha * v
			}
		}
	}
}

// macro adds packed A (mcur×kcur) times packed B (kcur×ncur) to C.
func macro(mcur, ncur, kcur int, ap, bp, c []float64, ldc int, tmp *[mr * nr]float64) {
	for jr := 0; jr < ncur; jr += nr {
		cols := min(nr, ncur-jr)
		bpan := bp[jr*kcur : jr*kcur+nr*kcur]
		for ir := 0; ir < mcur; ir += mr {
			rows := min(mr, mcur-ir)
			apan := ap[ir*kcur : ir*kcur+mr*kcur]
			if rows == mr && cols == nr {
				off := ir*ldc + jr
				kernel(kcur, apan, bpan, c[off:off+(mr-1)*ldc+nr], ldc)
				continue
			}
			clear(tmp[:])
			kernel(kcur, apan, bpan, tmp[:], nr)
			for r := 0; r < rows; r++ {
				row := c[(ir+r)*ldc+jr : (ir+r)*ldc+jr+cols]
				for j := range row {
					row[j] += tmp[r*nr+j]
				}
			}
		}
	}
}
