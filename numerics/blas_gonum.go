//go:build !openblas

package numerics

// BLASBackend names the BLAS implementation in use: gonum's pure-Go
// kernels by default, OpenBLAS under the openblas build tag
// (blas_openblas.go).
const BLASBackend = "gonum"
