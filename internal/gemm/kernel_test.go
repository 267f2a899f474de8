//go:build amd64 || arm64

package gemm

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// exactValues returns n values in [-1, 1) built from random bits with exact
// operations only (no math.Exp or math.Log, whose last bit may differ
// between architectures), times scale; about one in eight is +0 or −0.
func exactValues(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		switch rng.IntN(16) {
		case 0:
			v[i] = 0
		case 1:
			v[i] = math.Copysign(0, -1)
		default:
			v[i] = float64(int64(rng.Uint64()>>11)-1<<52) * 0x1p-52 * scale
		}
	}
	return v
}

// kernelCase is one call of a micro-kernel on packed panels a (k×mr), b
// (k×nr) and a tile c with row stride ldc whose padding must survive.
type kernelCase struct {
	k, ldc  int
	a, b, c []float64
}

func newKernelCase(rng *rand.Rand, k, ldc int, scale float64) kernelCase {
	return kernelCase{k: k, ldc: ldc,
		a: exactValues(rng, max(1, k*mr), scale),
		b: exactValues(rng, max(1, k*nr), scale),
		// C is scaled too, so that the tiny case adds subnormals to
		// subnormals.
		c: exactValues(rng, (mr-1)*ldc+nr, scale*scale),
	}
}

// run applies kern (kernelGo or kernelAsm) to a copy of C; k = 0 calls the
// assembly directly, as kernelAsm's bounds checks need k ≥ 1.
func (tc kernelCase) run(asm bool) []float64 {
	c := append([]float64(nil), tc.c...)
	switch {
	case !asm:
		kernelGo(tc.k, tc.a, tc.b, c, tc.ldc)
	case tc.k == 0:
		kernel6x8(0, &tc.a[0], &tc.b[0], &c[0], tc.ldc)
	default:
		kernelAsm(tc.k, tc.a, tc.b, c, tc.ldc)
	}
	return c
}

// TestKernelAsmExact: the assembly micro-kernel (AVX2+FMA on amd64, NEON
// on arm64) computes the same sum as kernelGo in the same order with the
// same fused roundings, so C must agree bit for bit — including signed
// zeros (k = 0 turns −0 in C into +0) and gradual underflow (scale 2⁻⁵³⁰
// makes every product subnormal: a flush-to-zero mode would show) — and
// the padding of ldc must be untouched.
func TestKernelAsmExact(t *testing.T) {
	if !Available() {
		t.Skip("no assembly kernel on this CPU")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	ks := []int{0, 1, 2, 3, 7, 8, 255, kc, kc + 1, 1001}
	for range 20 {
		ks = append(ks, rng.IntN(600))
	}
	for _, scale := range []float64{1, 0x1p-530} {
		for _, k := range ks {
			for _, ldc := range []int{nr, nr + 1, nr + 5, 3 * nr} {
				tc := newKernelCase(rng, k, ldc, scale)
				got, want := tc.run(true), tc.run(false)
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("k=%d ldc=%d scale=%g: C[%d,%d] = %v (%#x), kernelGo %v (%#x)",
							k, ldc, scale, i/ldc, i%ldc, got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
					}
					if i%ldc >= nr && math.Float64bits(got[i]) != math.Float64bits(tc.c[i]) {
						t.Fatalf("k=%d ldc=%d: padding C[%d,%d] changed", k, ldc, i/ldc, i%ldc)
					}
				}
			}
		}
	}
}

// goldenKernelHash is the FNV-64a hash of the bits of C after TestKernelGolden's
// kernel calls, recorded with kernelGo and the AVX2 kernel on amd64.
const goldenKernelHash = 0x2a8852084f67ea4f

// TestKernelGolden: kernelGo and the assembly kernel reproduce the result
// recorded on amd64, so that a run on arm64 (under qemu in CI) shows the
// NEON kernel bit-identical to the AVX2 one, not only to kernelGo there.
// The inputs are built with exact operations (exactValues) and math.FMA
// is exactly rounded on every architecture.
func TestKernelGolden(t *testing.T) {
	hash := func(asm bool) uint64 {
		rng := rand.New(rand.NewPCG(17, 18))
		h := fnv.New64a()
		var buf [8]byte
		for _, k := range []int{1, 5, 300} {
			for _, scale := range []float64{1, 0x1p-530} {
				tc := newKernelCase(rng, k, nr+3, scale)
				for _, x := range tc.run(asm) {
					u := math.Float64bits(x)
					for i := range buf {
						buf[i] = byte(u >> (8 * i))
					}
					h.Write(buf[:])
				}
			}
		}
		return h.Sum64()
	}
	if got := hash(false); got != goldenKernelHash {
		t.Errorf("kernelGo: hash %#x, recorded %#x", got, uint64(goldenKernelHash))
	}
	if !Available() {
		t.Log("no assembly kernel on this CPU: only kernelGo checked")
		return
	}
	if got := hash(true); got != goldenKernelHash {
		t.Errorf("assembly kernel: hash %#x, recorded %#x", got, uint64(goldenKernelHash))
	}
}

// TestBackendName: Backend names the kernel of this architecture.
func TestBackendName(t *testing.T) {
	if !Available() {
		t.Skip("no assembly kernel on this CPU")
	}
	want := map[string]string{"amd64": "hessblock-avx2", "arm64": "hessblock-neon"}[runtime.GOARCH]
	if got := Backend(); got != want {
		t.Fatalf("Backend() = %q on %s, want %q", got, runtime.GOARCH, want)
	}
}
