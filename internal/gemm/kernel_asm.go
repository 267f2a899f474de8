//go:build amd64 || arm64

package gemm

// kernel6x8 adds the 6×8 product of the packed micro-panels a (k×6,
// k-major) and b (k×8, k-major) to the row-major tile at c with row
// stride ldc (in elements): kernel_amd64.s (AVX2+FMA) or kernel_arm64.s
// (NEON), each bit-identical to kernelGo.
//
//go:noescape
func kernel6x8(k int, a, b, c *float64, ldc int)

func kernelAsm(k int, a, b, c []float64, ldc int) {
	// Bounds: the kernel reads k·mr of a, k·nr of b and writes rows
	// 0..mr-1, columns 0..nr-1 of c.
	_ = a[k*mr-1]
	_ = b[k*nr-1]
	_ = c[(mr-1)*ldc+nr-1]
	kernel6x8(k, &a[0], &b[0], &c[0], ldc)
}
