package numerics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
	"gonum.org/v1/gonum/mat"
)

// operatorCase is one operator of a Problem with its dense matrix.
type operatorCase struct {
	name string
	op   krylov.Operator
	m    *mat.SymDense
}

// operatorCases returns H, blockdiag(H) and H − blockdiag(H) of p, each as
// its operator and its dense matrix, in that order.
func operatorCases(t *testing.T, p *Problem) []operatorCase {
	h, bd, off := denseParts(t, p)
	return []operatorCase{{"H", p.HessVecOperator(), h}, {"blockdiag", p.BlockDiagVecOperator(), bd}, {"off-block", p.OffBlockVecOperator(), off}}
}

// denseParts returns H, blockdiag(H) and H − blockdiag(H).
func denseParts(t *testing.T, p *Problem) (h, bd, off *mat.SymDense) {
	t.Helper()
	h, err := p.Hessian()
	if err != nil {
		t.Fatal(err)
	}
	l := p.Layout()
	np := p.NumParams()
	bd = mat.NewSymDense(np, nil)
	off = mat.NewSymDense(np, nil)
	for i := 0; i < np; i++ {
		for j := i; j < np; j++ {
			if l.BlockOf(i) == l.BlockOf(j) {
				bd.SetSym(i, j, h.At(i, j))
			} else {
				off.SetSym(i, j, h.At(i, j))
			}
		}
	}
	return h, bd, off
}

func TestBlockDiagAndOffBlockOperators(t *testing.T) {
	for _, cfg := range append(smallConfigs(), spectralConfigs()...) {
		p, _ := NewProblem(cfg)
		np := p.NumParams()
		for _, c := range operatorCases(t, p)[1:] {
			checkProducts(t, cfg.String()+" "+c.name+"·v", c.op, c.m, 1, 1e-11)
			mustPanic(t, c.name+"(short vector)", func() { c.op(nil, make([]float64, np-1)) })
		}
	}
}

func TestLanczosExtremeEigenvalues(t *testing.T) {
	for _, cfg := range spectralConfigs() {
		p, _ := NewProblem(cfg)
		for _, c := range operatorCases(t, p) {
			ev, err := Eigenvalues(c.m)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := ev[0], ev[len(ev)-1]
			scale := math.Max(math.Abs(lo), math.Abs(hi))
			for _, reorth := range []krylov.Reorth{krylov.ReorthFull, krylov.ReorthNone} {
				got, err := krylov.Lanczos(c.op, p.NumParams(), krylov.LanczosOptions{Seed: 3, Reorth: reorth, Tol: 1e-10})
				if err != nil {
					t.Fatalf("%s %s: %v", cfg, c.name, err)
				}
				if math.Abs(got.Max-hi) > 1e-8*scale || math.Abs(got.Min-lo) > 1e-8*scale {
					t.Errorf("%s %s reorth %d: Lanczos [%.12g, %.12g], dense [%.12g, %.12g]", cfg, c.name, reorth, got.Min, got.Max, lo, hi)
				}
				// The residual bound must cover the actual error.
				if math.Abs(got.Max-hi) > got.MaxResidual+1e-12*scale {
					t.Errorf("%s %s: |λmax error| %.2e above the residual bound %.2e", cfg, c.name, math.Abs(got.Max-hi), got.MaxResidual)
				}
			}
		}
	}
}

func TestLanczosNotConverged(t *testing.T) {
	p, _ := NewProblem(spectralConfigs()[0])
	got, err := krylov.Lanczos(p.HessVecOperator(), p.NumParams(), krylov.LanczosOptions{MaxIter: 3, Tol: 1e-14})
	if !errors.Is(err, krylov.ErrNotConverged) || got == nil || got.Converged {
		t.Errorf("3 steps at tol 1e-14: err = %v, result %+v; want ErrNotConverged and estimates", err, got)
	}
	if _, err := krylov.Lanczos(nil, 3, krylov.LanczosOptions{}); err == nil {
		t.Error("nil operator accepted")
	}
}

// TestSLQMoments checks SLQ two ways. (1) Exactness: with full
// reorthogonalization a k-step Gauss quadrature integrates λ^j exactly for
// j ≤ 2k−1, so the SLQ moments equal the Hutchinson estimates q1ᵀA^j q1
// computed densely from the same Rademacher probes, to round-off. (2) The
// Hutchinson estimate is within 6 standard deviations of tr(A^j)/P, the
// variance of one Rademacher probe being 2(‖M‖_F² − Σ M_ii²)/P² for
// M = A^j (false-failure rate ≈ 2e-9 under the normal approximation of the
// mean of 30 probes, and ≤ 1/36 by Chebyshev in the worst case).
func TestSLQMoments(t *testing.T) {
	const probes, steps = 30, 6
	for _, cfg := range spectralConfigs() {
		p, _ := NewProblem(cfg)
		h, bd, off := denseParts(t, p)
		np := p.NumParams()
		for _, c := range []struct {
			name string
			op   krylov.Operator
			m    *mat.SymDense
		}{{"H", p.HessVecOperator(), h}, {"blockdiag", p.BlockDiagVecOperator(), bd}, {"off-block", p.OffBlockVecOperator(), off}} {
			sd, err := krylov.SLQ(c.op, np, krylov.SLQOptions{Probes: probes, Steps: steps, Seed: 4, Reorth: krylov.ReorthFull})
			if err != nil {
				t.Fatal(err)
			}
			// The same probes, drawn as SLQ draws them.
			r := rand.New(rand.NewPCG(4, 0x51c0))
			qs := make([]*mat.VecDense, probes)
			for pr := range qs {
				q := make([]float64, np)
				for i := range q {
					q[i] = 1 / math.Sqrt(float64(np))
					if r.Uint64()&1 != 0 {
						q[i] = -q[i]
					}
				}
				qs[pr] = mat.NewVecDense(np, q)
			}
			pow := mat.NewDense(np, np, nil)
			pow.Copy(c.m)
			for j := 1; j <= 2*steps-1; j++ {
				if j > 1 {
					pow.Mul(pow, c.m)
				}
				var hutch float64
				for _, q := range qs {
					hutch += mat.Inner(q, pow, q)
				}
				hutch /= probes
				scale := math.Pow(mat.Norm(c.m, 2), float64(j))
				got := sd.Moment(j)
				if math.Abs(got-hutch) > 1e-9*scale {
					t.Errorf("%s %s: SLQ moment %d = %.12g, same-probe Hutchinson %.12g", cfg, c.name, j, got, hutch)
				}
				if j > 4 {
					continue
				}
				var trace, fro, diag float64
				for i := 0; i < np; i++ {
					trace += pow.At(i, i)
					diag += pow.At(i, i) * pow.At(i, i)
				}
				fro = mat.Norm(pow, 2) // Frobenius for a matrix in gonum's Norm(·, 2)
				fro *= fro
				sigma := math.Sqrt(2 * (fro - diag) / float64(np*np) / probes)
				if d := math.Abs(got - trace/float64(np)); d > 6*sigma+1e-12*scale {
					t.Errorf("%s %s: moment %d = %.6g, tr/P = %.6g: off by %.1fσ", cfg, c.name, j, got, trace/float64(np), d/sigma)
				}
			}
			// The density integrates to one and lives in the spectrum's range.
			lo, hi := sd.Range()
			ev, _ := Eigenvalues(c.m)
			span := ev[len(ev)-1] - ev[0]
			if lo < ev[0]-1e-9*span || hi > ev[len(ev)-1]+1e-9*span {
				t.Errorf("%s %s: SLQ nodes [%g, %g] outside the spectrum [%g, %g]", cfg, c.name, lo, hi, ev[0], ev[len(ev)-1])
			}
			if span == 0 {
				continue // the zero operator (linear MSE off-block part)
			}
			sigma := span / 50
			grid := make([]float64, 2001)
			for i := range grid {
				grid[i] = ev[0] - 8*sigma + (span+16*sigma)*float64(i)/2000
			}
			dens, err := sd.Density(grid, sigma)
			if err != nil {
				t.Fatal(err)
			}
			var mass float64
			for i := range dens {
				mass += dens[i] * (grid[1] - grid[0])
			}
			if math.Abs(mass-1) > 1e-3 {
				t.Errorf("%s %s: density integrates to %.6f", cfg, c.name, mass)
			}
			if cdf := sd.CDF([]float64{hi}); math.Abs(cdf[0]-1) > 1e-12 {
				t.Errorf("%s %s: CDF at the top node = %g", cfg, c.name, cdf[0])
			}
		}
	}
}

func TestSLQFullKrylovRecoversSpectrum(t *testing.T) {
	// With steps = P and full reorthogonalization the quadrature nodes are
	// the distinct eigenvalues of H (a repeated eigenvalue — the CE null
	// space — is one node), including both extremes.
	cfg := Config{Model: kind.MLP, Activation: kind.Tanh, Loss: kind.CE, C: 3, D: 4, N: 20, M: 3, SigmaW: 1, SigmaV: 1, Seed: 2}
	p, _ := NewProblem(cfg)
	h, _ := p.Hessian()
	ev, _ := Eigenvalues(h)
	sd, err := krylov.SLQ(p.HessVecOperator(), p.NumParams(), krylov.SLQOptions{Probes: 1, Steps: p.NumParams(), Seed: 1, Reorth: krylov.ReorthFull})
	if err != nil {
		t.Fatal(err)
	}
	nodes := sd.Nodes[0]
	scale := math.Max(math.Abs(ev[0]), math.Abs(ev[len(ev)-1]))
	for i, x := range nodes {
		best := math.Inf(1)
		for _, e := range ev {
			best = math.Min(best, math.Abs(x-e))
		}
		if best > 1e-9*scale {
			t.Errorf("node %d = %.12g is %.2e from every eigenvalue", i, x, best)
		}
	}
	if math.Abs(nodes[0]-ev[0]) > 1e-9*scale || math.Abs(nodes[len(nodes)-1]-ev[len(ev)-1]) > 1e-9*scale {
		t.Errorf("extreme nodes %.12g, %.12g; eigenvalues %.12g, %.12g", nodes[0], nodes[len(nodes)-1], ev[0], ev[len(ev)-1])
	}
	if len(nodes) < len(ev)/2 {
		t.Errorf("only %d nodes for %d eigenvalues", len(nodes), len(ev))
	}
}

// LargestOnly stops on λmax alone: never later than the two-ended run, and
// still within the tolerance on λmax.
func TestLanczosLargestOnly(t *testing.T) {
	p := mustProblem(t, Config{Model: kind.Linear, Loss: kind.CE, C: 30, D: 20, N: 200, Sigma: 1, Seed: 8})
	h, _ := p.Hessian()
	ev, _ := Eigenvalues(h)
	want := ev[len(ev)-1]
	both, err := p.ExtremeEigenvalues(krylov.LanczosOptions{Seed: 1, Tol: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	largest, err := p.ExtremeEigenvalues(krylov.LanczosOptions{Seed: 1, Tol: 1e-6, LargestOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if largest.Iterations > both.Iterations {
		t.Errorf("LargestOnly took %d steps, both ends %d", largest.Iterations, both.Iterations)
	}
	if math.Abs(largest.Max-want) > largest.MaxResidual+1e-15 || largest.MaxResidual > 1e-6*want {
		t.Errorf("λmax = %.17g ± %.2g, dense %.17g", largest.Max, largest.MaxResidual, want)
	}
	t.Logf("steps: both ends %d, largest only %d", both.Iterations, largest.Iterations)
}
