package hessblock_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/theory"
)

// --- theory ---
//
// Density evaluation on a 1000-point grid spanning the support; ns/op is the
// time per grid, points/s the evaluation rate.

const theoryGridPoints = 1000

func benchTheoryDensity(b *testing.B, law theory.SpectralLaw) {
	iv := law.Support()
	lo, hi := iv[0].Min, iv[len(iv)-1].Max
	grid := make([]float64, theoryGridPoints)
	for i := range grid {
		grid[i] = lo + (hi-lo)*(float64(i)+0.5)/theoryGridPoints
	}
	b.ResetTimer()
	sink := 0.0
	for i := 0; i < b.N; i++ {
		for _, x := range grid {
			sink += law.Prob(x)
		}
	}
	b.StopTimer()
	if math.IsNaN(sink) {
		b.Fatal("NaN density")
	}
	b.ReportMetric(float64(b.N*theoryGridPoints)/b.Elapsed().Seconds(), "points/s")
}

func BenchmarkTheoryMPDensity(b *testing.B) {
	benchTheoryDensity(b, theory.MarchenkoPastur{Gamma: 0.5, Scale: 1})
}

func BenchmarkTheoryGMPLogNormalDensity(b *testing.B) {
	law, err := theory.NewGeneralizedMP(0.5, theory.LogNormalWeights{Mu: -1 * 1 / 2, Sigma: 1}) // 100 Gauss–Hermite nodes
	if err != nil {
		b.Fatal(err)
	}
	benchTheoryDensity(b, law)
}

func BenchmarkTheoryGMPEmpiricalDensity(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	samples := make([]float64, 1000)
	for i := range samples {
		samples[i] = math.Exp(-0.5 + rng.NormFloat64())
	}
	law, err := theory.NewGeneralizedMP(0.5, theory.EmpiricalWeights{Samples: samples})
	if err != nil {
		b.Fatal(err)
	}
	benchTheoryDensity(b, law)
}

// --- end theory ---

// --- numerics ---
//
// Benchmarks of the numerics kernels, at three or more sizes each. The
// problem (and, where the kernel is an operator, its forward pass) is built
// before the timed loop; one iteration of b.Loop is one call of the kernel,
// so ns/op is the time of one call. Two throughput metrics:
//
//	params/s = P / (seconds per call)
//	GFLOP/s  = flop model / (seconds per call) / 1e9
//
// The flop model of each benchmark (2 flops per multiply–add) counts the
// dominant matrix work of the algorithm as written in numerics/, so GFLOP/s
// is comparable with BenchmarkReferenceGEMM's rate measured in the same run:
// their quotient is the fraction of BLAS speed a kernel reaches.
//
// The last element of every sub-benchmark name is the one size that varies
// (key=value); the earlier elements fix the others. TestBenchExponents fits
// the exponent of time against that size from saved output:
//
//	go test -run '^$' -bench . -benchtime 1x . | tee /tmp/bench.txt
//	HESSBLOCK_BENCH_FIT=/tmp/bench.txt go test -run TestBenchExponents -v .

// benchProblem builds a problem or stops the benchmark.
func benchProblem(b *testing.B, cfg numerics.Config) *numerics.Problem {
	b.Helper()
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func benchLinearCE(c, d, n int) numerics.Config {
	return numerics.Config{Model: kind.Linear, Loss: kind.CE, C: c, D: d, N: n, Sigma: 1, Seed: 1}
}

func benchMLPReLUCE(c, d, n, m int) numerics.Config {
	return numerics.Config{Model: kind.MLP, Activation: kind.ReLU, Loss: kind.CE,
		C: c, D: d, N: n, M: m, SigmaW: 1, SigmaV: 1, Seed: 1}
}

var printBLAS sync.Once

// benchLoop times f under b.Loop and reports params/s and GFLOP/s (flops
// per call from the benchmark's model; no GFLOP/s if flops is 0).
func benchLoop(b *testing.B, params int, flops float64, f func() error) {
	b.Helper()
	// A configuration line (as goos:, cpu:) naming the BLAS that ran.
	printBLAS.Do(func() { fmt.Printf("blas: %s\n", numerics.BLASBackend) })
	calls := 0
	for b.Loop() {
		if err := f(); err != nil {
			b.Fatal(err)
		}
		calls++
	}
	sec := b.Elapsed().Seconds() / float64(max(calls, 1))
	if sec <= 0 {
		return
	}
	if params > 0 {
		b.ReportMetric(float64(params)/sec, "params/s")
	}
	if flops > 0 {
		b.ReportMetric(flops/sec/1e9, "GFLOP/s")
	}
}

func benchVector(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0xbe9c))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// BenchmarkReferenceGEMM is the reference kernel of bench/gate_test.go
// (C = A·Aᵀ, n×n, through blas64 and so through the same BLAS as the
// numerics) at three sizes; 2n³ flops.
func BenchmarkReferenceGEMM(b *testing.B) {
	for _, n := range []int{128, 256, 512} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			a := make([]float64, n*n)
			for i := range a {
				a[i] = float64(i%13) - 6
			}
			c := make([]float64, n*n)
			g := blas64.General{Rows: n, Cols: n, Stride: n, Data: a}
			out := blas64.General{Rows: n, Cols: n, Stride: n, Data: c}
			benchLoop(b, 0, 2*float64(n)*float64(n)*float64(n), func() error {
				blas64.Gemm(blas.NoTrans, blas.Trans, 1, g, g, 0, out)
				return nil
			})
		})
	}
}

// BenchmarkDenseHessian times Problem.Hessian (forward pass included).
//
// Flop model: a family with the same features on both sides (linear;
// MLP hidden–hidden and output–output) of Pf parameters is assembled by
// assemblePacked in N·Pf²/4 multiply–adds, N·Pf²/2 flops; the MLP's
// hidden–output family (Ph × Po, block-row GEMMs) costs N·Ph·Po
// multiply–adds, 2·N·Ph·Po flops. So the linear model costs N·P²/2 flops and
// the MLP N·(Ph² + Po²)/2 + 2·N·Ph·Po, Ph = m·d, Po = C·m.
func BenchmarkDenseHessian(b *testing.B) {
	run := func(b *testing.B, cfg numerics.Config) {
		p := benchProblem(b, cfg)
		n := float64(cfg.N)
		var flops float64
		if cfg.Model == kind.Linear {
			np := float64(p.NumParams())
			flops = n * np * np / 2
		} else {
			ph, po := float64(cfg.M*cfg.D), float64(cfg.C*cfg.M)
			flops = n*(ph*ph+po*po)/2 + 2*n*ph*po
		}
		benchLoop(b, p.NumParams(), flops, func() error {
			_, err := p.Hessian()
			return err
		})
	}
	const d, n = 100, 500
	for _, c := range []int{5, 20, 40} { // P = 500, 2000, 4000
		cfg := benchLinearCE(c, d, n)
		b.Run(fmt.Sprintf("linear_d=%d_N=%d/P=%d", d, n, cfg.NumParams()), func(b *testing.B) { run(b, cfg) })
	}
	const dm, nm, m = 50, 500, 20
	for _, c := range []int{10, 50, 100} { // P = 1200, 2000, 3000
		cfg := benchMLPReLUCE(c, dm, nm, m)
		b.Run(fmt.Sprintf("mlp-relu_d=%d_m=%d_N=%d/P=%d", dm, m, nm, cfg.NumParams()), func(b *testing.B) { run(b, cfg) })
	}
}

// BenchmarkHessVec times one product of a reused HessVecOperator (the
// forward pass is done once, outside the loop), up to large C.
//
// Flop model: linear, two N×C×d GEMMs, 4·N·P flops (the O(N·C) softmax
// Jacobian product is not counted); MLP, two N×m×d and six N×C×m GEMMs,
// 4·N·m·d + 12·N·C·m flops.
func BenchmarkHessVec(b *testing.B) {
	run := func(b *testing.B, cfg numerics.Config) {
		p := benchProblem(b, cfg)
		op := p.HessVecOperator()
		v := benchVector(p.NumParams(), 3)
		dst := make([]float64, len(v))
		n, d, c, m := float64(cfg.N), float64(cfg.D), float64(cfg.C), float64(cfg.M)
		flops := 4 * n * float64(p.NumParams())
		if cfg.Model == kind.MLP {
			flops = 4*n*m*d + 12*n*c*m
		}
		benchLoop(b, p.NumParams(), flops, func() error {
			var err error
			dst, err = op(dst, v)
			return err
		})
	}
	const d, n = 128, 1024
	for _, c := range []int{100, 1000, 10000} { // P = 12800, 128000, 1.28e6
		cfg := benchLinearCE(c, d, n)
		b.Run(fmt.Sprintf("linear_d=%d_N=%d/C=%d", d, n, c), func(b *testing.B) { run(b, cfg) })
	}
	const m = 64
	for _, c := range []int{100, 1000, 4000} {
		cfg := benchMLPReLUCE(c, d, n, m)
		b.Run(fmt.Sprintf("mlp-relu_d=%d_m=%d_N=%d/C=%d", d, m, n, c), func(b *testing.B) { run(b, cfg) })
	}
}

// structuredFlops is the cost model of StructuredStats with per-block norms
// (numerics/structured.go, header comment), in flops (2 per multiply–add).
//
// Linear CE: 2·N²·C (P Pᵀ, (P⊙P)(P⊙P)ᵀ, G²Q) + 2·N·C·d (logits, twice:
// log-sum-exp, then per class chunk) + N²·d/2 (Gram) multiply–adds.
//
// MLP CE: the output–output family as above with features φ(u) of width m;
// the Gram Gx, N²·d/2; hidden–hidden N·C·m²/2 + N²·m²/4 + N²·m; hidden–output
// Σ_i (N_i²·C/2 + 2·N_i·d·C) + N²·C/2 + N²·m/2 (R Rᵀ, Gh), with N_i = N/2
// (ReLU at a symmetric initialization is active on half the samples).
func structuredFlops(cfg numerics.Config) float64 {
	n, d, c := float64(cfg.N), float64(cfg.D), float64(cfg.C)
	out := func(f float64) float64 { return 2*n*n*c + 2*n*c*f + n*n*f/2 }
	if cfg.Model == kind.Linear {
		return 2 * out(d)
	}
	m := float64(cfg.M)
	ni := n / 2
	hid := n*c*m*m/2 + n*n*m*m/4 + n*n*m
	cross := m*(ni*ni*c/2+2*ni*d*c) + n*n*c/2 + n*n*m/2
	return 2 * (out(m) + n*n*d/2 + hid + cross)
}

func benchStructured(b *testing.B, cfg numerics.Config) {
	p := benchProblem(b, cfg)
	benchLoop(b, p.NumParams(), structuredFlops(cfg), func() error {
		_, err := p.StructuredStats(numerics.StructuredOptions{})
		return err
	})
}

// BenchmarkStructuredStats times StructuredStats (ρ, R per family and every
// diagonal block norm, without forming H); flops from structuredFlops.
func BenchmarkStructuredStats(b *testing.B) {
	const d, n = 128, 1024
	for _, c := range []int{10, 100, 1000} {
		cfg := benchLinearCE(c, d, n)
		b.Run(fmt.Sprintf("linear_d=%d_N=%d/C=%d", d, n, c), func(b *testing.B) { benchStructured(b, cfg) })
	}
	const dm, nm, m = 64, 512, 32
	for _, c := range []int{100, 300, 1000} {
		cfg := benchMLPReLUCE(c, dm, nm, m)
		b.Run(fmt.Sprintf("mlp-relu_d=%d_m=%d_N=%d/C=%d", dm, m, nm, c), func(b *testing.B) { benchStructured(b, cfg) })
	}
}

// BenchmarkStructuredScaling varies C, d and N of the linear CE structured
// statistics one at a time (bench/README.md fits the exponents). The model
// 2N²C + 2NCd + N²d/2 predicts exponent 1 in C, → 0 in d while d ≪ N (the
// d-terms are small beside 2N²C) and → 2 in N.
func BenchmarkStructuredScaling(b *testing.B) {
	for _, c := range []int{1000, 2000, 4000, 8000} {
		cfg := benchLinearCE(c, 64, 512)
		b.Run(fmt.Sprintf("N=512_d=64/C=%d", c), func(b *testing.B) { benchStructured(b, cfg) })
	}
	for _, d := range []int{32, 64, 128, 256, 512} {
		cfg := benchLinearCE(2000, d, 512)
		b.Run(fmt.Sprintf("C=2000_N=512/d=%d", d), func(b *testing.B) { benchStructured(b, cfg) })
	}
	for _, n := range []int{256, 512, 1024} {
		cfg := benchLinearCE(2000, 64, n)
		b.Run(fmt.Sprintf("C=2000_d=64/N=%d", n), func(b *testing.B) { benchStructured(b, cfg) })
	}
}

// lanczosFlops is the cost of k Lanczos steps with full
// reorthogonalization (two classical Gram–Schmidt passes against the j
// stored vectors at step j: 8·j·P flops) on an operator of opFlops per
// product.
func lanczosFlops(k, np int, opFlops float64) float64 {
	return float64(k)*opFlops + 8*float64(np)*float64(k*(k+1)/2)
}

// BenchmarkLanczos times 20 Lanczos steps (full reorthogonalization, the
// automatic choice at these sizes) on a reused HessVecOperator of the
// linear CE model: 20 H·v products at 4·N·P flops plus the reorthogonalization.
func BenchmarkLanczos(b *testing.B) {
	const steps, d, n = 20, 64, 512
	for _, c := range []int{100, 500, 2000} { // P = 6400, 32000, 128000
		cfg := benchLinearCE(c, d, n)
		b.Run(fmt.Sprintf("linear_d=%d_N=%d_steps=%d/P=%d", d, n, steps, cfg.NumParams()), func(b *testing.B) {
			p := benchProblem(b, cfg)
			op := p.HessVecOperator()
			np := p.NumParams()
			opts := krylov.LanczosOptions{MaxIter: steps, Tol: 1e-300, Seed: 1}
			benchLoop(b, np, lanczosFlops(steps, np, 4*float64(n)*float64(np)), func() error {
				// Tol = 1e-300 cannot be met: every call runs all steps.
				if _, err := krylov.Lanczos(op, np, opts); err != nil && !errors.Is(err, krylov.ErrNotConverged) {
					return err
				}
				return nil
			})
		})
	}
}

// BenchmarkSLQ times stochastic Lanczos quadrature (2 probes × 20 steps,
// full reorthogonalization) of H, blockdiag(H) and H − blockdiag(H) for the
// linear CE model, operators built once outside the loop. Per product:
// H·v 4·N·P flops, blockdiag(H)·v 4·N·P (two N×C×d GEMMs), the off-block
// operator both, 8·N·P.
func BenchmarkSLQ(b *testing.B) {
	const probes, steps, d, n = 2, 20, 64, 512
	ops := []struct {
		name  string
		op    func(*numerics.Problem) krylov.Operator
		flops float64 // per product, in units of N·P
	}{
		{"H", func(p *numerics.Problem) krylov.Operator { return p.HessVecOperator() }, 4},
		{"blockdiag", (*numerics.Problem).BlockDiagVecOperator, 4},
		{"offblock", (*numerics.Problem).OffBlockVecOperator, 8},
	}
	for _, o := range ops {
		for _, c := range []int{20, 100, 500} { // P = 1280, 6400, 32000
			cfg := benchLinearCE(c, d, n)
			name := fmt.Sprintf("%s_linear_d=%d_N=%d_probes=%d_steps=%d/P=%d", o.name, d, n, probes, steps, cfg.NumParams())
			b.Run(name, func(b *testing.B) {
				p := benchProblem(b, cfg)
				op := o.op(p)
				np := p.NumParams()
				opts := krylov.SLQOptions{Probes: probes, Steps: steps, Seed: 1, Reorth: krylov.ReorthFull}
				flops := probes * lanczosFlops(steps, np, o.flops*float64(n)*float64(np))
				benchLoop(b, np, flops, func() error {
					_, err := krylov.SLQ(op, np, opts)
					return err
				})
			})
		}
	}
}

// benchResultLine matches one result line of `go test -bench`: the name
// (without the -GOMAXPROCS suffix), the iteration count and ns/op.
var benchResultLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+([0-9.eE+-]+) ns/op`)

// benchSeries is the time of one benchmark family against its varied size.
type benchSeries struct {
	Name     string    // sub-benchmark name with the varied size as key=*
	Sizes    []float64 // ascending
	NsPerOp  []float64 // the fastest result at each size
	Exponent float64   // least-squares slope of log time against log size
	Endpoint float64   // slope between the smallest and the largest size
}

// parseBenchSeries reads `go test -bench` output and groups the results
// whose last name element is key=number by everything else in the name;
// a series needs at least two sizes. With -count > 1 the fastest run at each
// size is kept: on a shared machine load only ever adds time.
func parseBenchSeries(r io.Reader) ([]benchSeries, error) {
	best := map[string]map[float64]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := benchResultLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		name, ns := m[1], m[3]
		slash := strings.LastIndexByte(name, '/')
		if slash < 0 {
			continue
		}
		key, val, ok := strings.Cut(name[slash+1:], "=")
		if !ok {
			continue
		}
		size, err := strconv.ParseFloat(val, 64)
		if err != nil || size <= 0 {
			continue
		}
		t, err := strconv.ParseFloat(ns, 64)
		if err != nil || t <= 0 {
			return nil, fmt.Errorf("bad ns/op in %q", sc.Text())
		}
		group := name[:slash+1] + key + "=*"
		if best[group] == nil {
			best[group] = map[float64]float64{}
		}
		if old, seen := best[group][size]; !seen || t < old {
			best[group][size] = t
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []benchSeries
	for group, pts := range best {
		if len(pts) < 2 {
			continue
		}
		s := benchSeries{Name: group}
		for size := range pts {
			s.Sizes = append(s.Sizes, size)
		}
		slices.Sort(s.Sizes)
		lx, ly := make([]float64, len(s.Sizes)), make([]float64, len(s.Sizes))
		for i, size := range s.Sizes {
			s.NsPerOp = append(s.NsPerOp, pts[size])
			lx[i], ly[i] = math.Log(size), math.Log(pts[size])
		}
		s.Exponent = benchLogSlope(lx, ly)
		k := len(lx) - 1
		s.Endpoint = (ly[k] - ly[0]) / (lx[k] - lx[0])
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b benchSeries) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// benchLogSlope is the least-squares slope of y against x.
func benchLogSlope(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(x))
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	return sxy / sxx
}

// TestBenchExponentFit checks the parser and the fit on synthetic output
// with known exponents (exact power laws, so the fit is exact to round-off).
func TestBenchExponentFit(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("goos: linux\nBenchmarkReferenceGEMM/n=256-2   1   5000000 ns/op   3.4 GFLOP/s\n")
	for _, c := range []float64{1000, 2000, 8000} { // time = 3·C ns, run twice, slower copy first
		fmt.Fprintf(&sb, "BenchmarkX/N=512_d=64/C=%g-2 \t 2\t %g ns/op\t 1.5 GFLOP/s\n", c, 5*c)
		fmt.Fprintf(&sb, "BenchmarkX/N=512_d=64/C=%g-2 \t 2\t %g ns/op\n", c, 3*c)
	}
	for _, n := range []float64{256, 512, 1024} { // time = 0.5·N² ns, no GOMAXPROCS suffix
		fmt.Fprintf(&sb, "BenchmarkX/C=2000_d=64/N=%g \t 1\t %.6e ns/op\n", n, 0.5*n*n)
	}
	sb.WriteString("BenchmarkLonely/P=10-2  1  100 ns/op\nPASS\n")
	got, err := parseBenchSeries(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		exp  float64
		n    int
	}{{"BenchmarkX/C=2000_d=64/N=*", 2, 3}, {"BenchmarkX/N=512_d=64/C=*", 1, 3}}
	if len(got) != len(want) {
		t.Fatalf("got %d series %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || len(g.Sizes) != w.n {
			t.Fatalf("series %d = %s with %d sizes, want %s with %d", i, g.Name, len(g.Sizes), w.name, w.n)
		}
		// %.6e printing rounds the times by ≤ 5e-7 relative: slopes to ~1e-6.
		if math.Abs(g.Exponent-w.exp) > 1e-5 || math.Abs(g.Endpoint-w.exp) > 1e-5 {
			t.Errorf("%s: exponent %v (endpoints %v), want %v", g.Name, g.Exponent, g.Endpoint, w.exp)
		}
	}
	if got[1].NsPerOp[0] != 3000 {
		t.Errorf("kept %v ns/op for C=1000, want the faster 3000", got[1].NsPerOp[0])
	}
}

// TestBenchExponents fits time-against-size exponents from saved benchmark
// output (HESSBLOCK_BENCH_FIT names the file); it does nothing otherwise.
func TestBenchExponents(t *testing.T) {
	path := os.Getenv("HESSBLOCK_BENCH_FIT")
	if path == "" {
		t.Skip("set HESSBLOCK_BENCH_FIT to a file of `go test -bench` output")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	series, err := parseBenchSeries(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(series) == 0 {
		t.Fatalf("%s: no series of sub-benchmarks ending in key=size", path)
	}
	for _, s := range series {
		var pts []string
		for i, size := range s.Sizes {
			pts = append(pts, fmt.Sprintf("%g: %.3g s", size, s.NsPerOp[i]/1e9))
		}
		t.Logf("%s  exponent %.2f (least squares), %.2f (endpoints)  [%s]", s.Name, s.Exponent, s.Endpoint, strings.Join(pts, ", "))
	}
}

// --- end numerics ---
