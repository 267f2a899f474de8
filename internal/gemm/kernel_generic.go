package gemm

import "math"

// kernelGo is the portable micro-kernel: c[r*ldc+j] += Σ_l a[l*mr+r]·b[l*nr+j]
// for the mr×nr tile, the sum over l ascending with one fused multiply–add
// per term, as the assembly kernel.
func kernelGo(k int, a, b, c []float64, ldc int) {
	var acc [mr][nr]float64
	a, b = a[:k*mr], b[:k*nr]
	for l := 0; l < k; l++ {
		bl := b[l*nr : l*nr+nr]
		al := a[l*mr : l*mr+mr]
		for r, av := range al {
			for j, bv := range bl {
				acc[r][j] = math.FMA(av, bv, acc[r][j])
			}
		}
	}
	for r := range acc {
		row := c[r*ldc : r*ldc+nr]
		for j := range row {
			row[j] += acc[r][j]
		}
	}
}
