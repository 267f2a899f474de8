package numerics

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// Blocks at and above blockLanczosDim (lowered to 300 here, so that the
// full decompositions to compare with are cheap) get their extreme
// eigenvalues and largest singular value from Lanczos; they agree with the
// full decompositions to 1e-10 of ‖B‖₂ (PSD of full rank, rank-deficient PSD
// with a zero eigenvalue of multiplicity d − N, indefinite, non-symmetric
// square and both rectangular shapes).
func TestBlockExtremesMatchFull(t *testing.T) {
	defer func(d int) { blockLanczosDim = d }(blockLanczosDim)
	blockLanczosDim = 300
	r := newRand(17, 0)
	gaussian := func(rows, cols int) *mat.Dense {
		m := mat.NewDense(rows, cols, nil)
		for i := range m.RawMatrix().Data {
			m.RawMatrix().Data[i] = r.NormFloat64()
		}
		return m
	}
	// weighted is (1/N) Xᵀ diag(c) X, X N×d Gaussian: the form of every block.
	weighted := func(d, n int, coef func(int) float64) *mat.Dense {
		x := gaussian(n, d)
		cx := mat.DenseCopyOf(x)
		for i := 0; i < n; i++ {
			row := cx.RawRowView(i)
			for j := range row {
				row[j] *= coef(i)
			}
		}
		var b mat.Dense
		b.Mul(x.T(), cx)
		b.Scale(1/float64(n), &b)
		return &b
	}
	cases := map[string]*mat.Dense{
		"PSD d=400 N=800":        weighted(400, 800, func(int) float64 { return 1 }),
		"PSD rank 250 d=400":     weighted(400, 250, func(int) float64 { return 1 }),
		"indefinite d=360":       weighted(360, 900, func(i int) float64 { return float64(i%3) - 1.2 }),
		"non-symmetric d=320":    gaussian(320, 320),
		"rectangular 330×410":    gaussian(330, 410),
		"rectangular 410×330":    gaussian(410, 330),
		"small PSD d=40 (full)":  weighted(40, 60, func(int) float64 { return 1 }),
		"small rectangular 7×40": gaussian(7, 40),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			lo, hi, sigma, square, err := blockExtremes(b)
			if err != nil {
				t.Fatal(err)
			}
			want, err := SpectralNorm(b)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(sigma-want) > 1e-10*want {
				t.Errorf("σmax %v, SVD %v (relative %.1e)", sigma, want, math.Abs(sigma-want)/want)
			}
			rows, cols := b.Dims()
			if square != (rows == cols) {
				t.Fatalf("square = %v for %d×%d", square, rows, cols)
			}
			if !square {
				return
			}
			ev, err := SymmetricEigenvalues(b)
			if err != nil {
				t.Fatal(err)
			}
			scale := math.Max(math.Abs(ev[0]), math.Abs(ev[len(ev)-1]))
			if math.Abs(lo-ev[0]) > 1e-10*scale || math.Abs(hi-ev[len(ev)-1]) > 1e-10*scale {
				t.Errorf("λ ∈ [%v, %v], full decomposition [%v, %v]", lo, hi, ev[0], ev[len(ev)-1])
			}
		})
	}
}

// The representative block spectra take the Lanczos path for a linear
// model with d ≥ blockLanczosDim (lowered to 300) and agree with the full
// decompositions.
func TestRepresentativeSpectraLargeBlocks(t *testing.T) {
	defer func(d int) { blockLanczosDim = d }(blockLanczosDim)
	blockLanczosDim = 300
	cfg := Config{Model: "linear", Loss: "ce", C: 3, D: 320, N: 200, Sigma: 1, Seed: 4}
	p := mustProblem(t, cfg)
	fbs, err := p.representativeSpectra()
	if err != nil {
		t.Fatal(err)
	}
	for _, fb := range fbs {
		for _, pair := range []struct {
			s    *BlockSpectrum
			a, b int
		}{{fb.Diag, 0, 0}, {fb.Off, 0, 1}} {
			blk, err := p.Block(pair.a, pair.b)
			if err != nil {
				t.Fatal(err)
			}
			ev, _ := SymmetricEigenvalues(blk)
			sv, _ := SpectralNorm(blk)
			scale := math.Max(math.Abs(ev[0]), math.Abs(ev[len(ev)-1]))
			got := fmt.Sprintf("[%v, %v] σ %v", *pair.s.LambdaMin, *pair.s.LambdaMax, pair.s.SigmaMax)
			if math.Abs(*pair.s.LambdaMin-ev[0]) > 1e-10*scale || math.Abs(*pair.s.LambdaMax-ev[len(ev)-1]) > 1e-10*scale ||
				math.Abs(pair.s.SigmaMax-sv) > 1e-10*sv {
				t.Errorf("block (%d, %d): %s, full [%v, %v] σ %v", pair.a, pair.b, got, ev[0], ev[len(ev)-1], sv)
			}
		}
	}
}

// When Lanczos does not converge in blockLanczosSteps (forced here with
// 5), the full decompositions answer, exactly.
func TestBlockExtremesFallback(t *testing.T) {
	defer func(d, s int) { blockLanczosDim, blockLanczosSteps = d, s }(blockLanczosDim, blockLanczosSteps)
	blockLanczosDim, blockLanczosSteps = 50, 5
	r := newRand(3, 0)
	for _, shape := range [][2]int{{60, 60}, {60, 70}} {
		b := mat.NewDense(shape[0], shape[1], nil)
		for i := range b.RawMatrix().Data {
			b.RawMatrix().Data[i] = r.NormFloat64()
		}
		lo, hi, sigma, square, err := blockExtremes(b)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := SpectralNorm(b); sigma != want {
			t.Errorf("%v: σmax %v, SVD %v", shape, sigma, want)
		}
		if square {
			ev, _ := SymmetricEigenvalues(b)
			if lo != ev[0] || hi != ev[len(ev)-1] {
				t.Errorf("%v: [%v, %v], full [%v, %v]", shape, lo, hi, ev[0], ev[len(ev)-1])
			}
		}
	}
}

// BenchmarkBlockExtremes times a linear CE model's diagonal block (d × d,
// N = 1024) through blockExtremes (Lanczos from blockLanczosDim on) and
// through the full eigendecomposition and SVD it replaces:
//
//	go test -run '^$' -bench BlockExtremes -benchtime 1x ./numerics
func BenchmarkBlockExtremes(b *testing.B) {
	for _, d := range []int{512, 2048} {
		p, err := NewProblem(Config{Model: "linear", Loss: "ce", C: 3, D: d, N: 1024, Sigma: 1, Seed: 4})
		if err != nil {
			b.Fatal(err)
		}
		blk, err := p.Block(0, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("d=%d/auto", d), func(b *testing.B) {
			for b.Loop() {
				if _, _, _, _, err := blockExtremes(blk); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("d=%d/full", d), func(b *testing.B) {
			for b.Loop() {
				if _, err := SymmetricEigenvalues(blk); err != nil {
					b.Fatal(err)
				}
				if _, err := SpectralNorm(blk); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
