package gemm

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// FuzzDgemm checks the blocked path (assembly kernel where available,
// serial or split) against gonum's reference on fuzzed shapes,
// transposes, leading-dimension padding and α, β:
//
//	go test -run '^$' -fuzz FuzzDgemm -fuzztime 60s ./internal/gemm
func FuzzDgemm(f *testing.F) {
	f.Add(uint16(6), uint16(8), uint16(5), uint8(0), uint8(0), uint8(0), false, uint64(1))
	f.Add(uint16(1), uint16(1), uint16(1), uint8(3), uint8(0x15), uint8(7), true, uint64(2))
	f.Add(uint16(0), uint16(9), uint16(3), uint8(1), uint8(0x21), uint8(1), false, uint64(3))
	f.Add(uint16(145), uint16(17), uint16(260), uint8(2), uint8(0x32), uint8(2), true, uint64(4))
	f.Add(uint16(13), uint16(7), uint16(0), uint8(3), uint8(0x10), uint8(5), false, uint64(5))
	vals := []float64{0, 1, -1, 0.5}
	f.Fuzz(func(t *testing.T, m, n, k uint16, trans, ab, pad uint8, par bool, seed uint64) {
		m, n, k = m%200, n%200, k%600
		tA, tB := blas.NoTrans, blas.NoTrans
		if trans&1 != 0 {
			tA = blas.Trans
		}
		if trans&2 != 0 {
			tB = blas.Trans
		}
		g := gemmCase{tA: tA, tB: tB, m: int(m), n: int(n), k: int(k),
			alpha: vals[ab&3], beta: vals[(ab>>4)&3],
			padA: int(pad & 3), padB: int(pad>>2) & 3, padC: int(pad>>4) & 3,
		}
		g.nanC = g.beta == 0 && pad&0x40 != 0
		threshold := math.MaxInt
		if par {
			threshold = 0
		}
		kern := kernelGo
		if Available() {
			kern = kernelAsm
		}
		withSwitches(t, true, kern, threshold, func() {
			check(t, g, rand.New(rand.NewPCG(seed, 0)))
		})
	})
}
