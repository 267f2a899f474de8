package precond

import (
	"testing"

	"github.com/hessblock/hessblock/krylov"
)

// BenchmarkApply compares one application of each preconditioner S =
// (|B| + λI)^{−1/2}, and one product with M = S(H + λI)S, with one dense
// H·v, on the layout of a one-hidden-layer network with m = 32 hidden
// neurons on d = 24 inputs and C = 10 outputs (P = 1088). The flops metric
// is the multiply–adds the method needs: P² for a dense H·v, 2·Σ b_i² for
// blocks of sizes b_i, 2·Σ out·in·(out + in) for KFAC layers, P for the
// diagonal.
//
//	go test -run '^$' -bench Apply ./precond
func BenchmarkApply(b *testing.B) {
	const m, d, c = 32, 24, 10
	p := m*d + c*m
	var neurons []Range
	for i := 0; i < m; i++ {
		neurons = append(neurons, Range{Start: i * d, Size: d})
	}
	for k := 0; k < c; k++ {
		neurons = append(neurons, Range{Start: m*d + k*m, Size: m})
	}
	layers := []Range{{0, m * d}, {m * d, c * m}}
	r := newRand(41)
	h := randSym(r, p)
	factors := []Factor{
		{Start: 0, Output: randPSD(r, m, m), Input: randPSD(r, d, d)},
		{Start: m * d, Output: randPSD(r, c, c), Input: randPSD(r, m, m)},
	}
	bn, err := NewBlockDiagonal(h, neurons)
	if err != nil {
		b.Fatal(err)
	}
	bl, err := NewBlockDiagonal(h, layers)
	if err != nil {
		b.Fatal(err)
	}
	kf, err := NewKFAC(p, factors)
	if err != nil {
		b.Fatal(err)
	}
	dg, _ := DiagonalOf(h)
	id, _ := NewIdentity(p)
	sumSq := func(rs []Range) float64 {
		var s float64
		for _, r := range rs {
			s += 2 * float64(r.Size) * float64(r.Size)
		}
		return s
	}
	kfacFlops := 2 * float64(m*d*(m+d)+c*m*(c+m))

	v := make([]float64, p)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	run := func(name string, op krylov.Operator, flops float64) {
		b.Run(name, func(b *testing.B) {
			dst := make([]float64, p)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if dst, err = op(dst, v); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops, "flops/op")
		})
	}
	hv := denseOp(h)
	run("Hv-dense", hv, float64(p)*float64(p))
	const damping = 1e-3
	for _, a := range []struct {
		a     Approximation
		flops float64
	}{
		{Named(bn, "per-neuron"), sumSq(neurons)},
		{Named(bl, "per-layer"), sumSq(layers)},
		{kf, kfacFlops},
		{dg, float64(p)},
		{id, float64(p)},
	} {
		s, err := a.a.InvSqrt(damping)
		if err != nil {
			b.Fatal(err)
		}
		run("S-"+a.a.Name(), s, a.flops)
		mop, err := Preconditioned(hv, a.a, damping)
		if err != nil {
			b.Fatal(err)
		}
		run("M-"+a.a.Name(), mop, float64(p)*float64(p)+2*a.flops)
	}
}
