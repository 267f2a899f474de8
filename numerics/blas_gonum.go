//go:build !openblas

package numerics

import (
	"os"

	"gonum.org/v1/gonum/blas/blas64"

	fastgemm "github.com/hessblock/hessblock/internal/gemm"
)

// In the default build every BLAS call of the module (gonum's blas64, used
// by mat and by this package) goes to internal/gemm: gonum's pure-Go BLAS
// with a packed, cache-blocked Dgemm around an assembly kernel, when the
// CPU has one (amd64 with AVX2 and FMA, arm64 with NEON). Elsewhere, or
// with HESSBLOCK_BLAS=gonum in the environment, gonum's own Dgemm runs.
// No cgo, no build tag.
func init() {
	if fastgemm.Available() && os.Getenv("HESSBLOCK_BLAS") != "gonum" {
		blas64.Use(fastgemm.Implementation{})
		BLASBackend = fastgemm.Backend()
	}
}

// BLASBackend names the BLAS implementation in use: "hessblock-avx2" or
// "hessblock-neon" (internal/gemm's Dgemm with the amd64 or arm64 kernel,
// the rest gonum's), "gonum" (pure gonum), or "openblas" under the
// openblas build tag (blas_openblas.go). Read-only.
var BLASBackend = "gonum"
