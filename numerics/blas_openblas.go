//go:build openblas

package numerics

// With the openblas build tag every BLAS call of the module (gonum's
// blas64, used by mat and by this package) goes to OpenBLAS through cgo:
//
//	apt-get install -y libopenblas-dev
//	go test -tags openblas ./...
//
// Measured on the 2-core development machine, GEMM runs about 5× faster
// than gonum's pure-Go kernels (bench/README.md). The default build stays
// pure Go and needs no C toolchain.

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

func init() { blas64.Use(netlib.Implementation{}) }

// BLASBackend names the BLAS implementation in use.
const BLASBackend = "openblas"
