//go:build !amd64 && !arm64

package gemm

// Outside amd64 and arm64 Dgemm is gonum's; the blocked path (with kernelGo) runs
// only in tests.
var useAsm = false

func kernelAsm(k int, a, b, c []float64, ldc int) { kernelGo(k, a, b, c, ldc) }
