package numerics

import (
	"errors"
	"fmt"
	"math"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/blas"
)

// Linear model (and the MLP's output–output family with g = h = φ(u)), with
// G = X Xᵀ and G² its elementwise square:
//
//	Σ_{k≠l} ‖H_kl‖² = (1/N²) Σ_{n,n'} G²_{nn'} [ (p_n·p_n')² − Σ_k p_nk² p_n'k² ]
//	‖H_kk‖²        = (1/N²) q_kᵀ G² q_k,  q_nk = A_n[k,k] = p_nk (1 − p_nk),
//
// for CE (A = diag(p) − p pᵀ); for MSE A = I, so off-diagonal blocks vanish
// and ‖H_kk‖² = (1/N²) 1ᵀ G² 1 for every k. The N×N matrices P Pᵀ and
// (P⊙P)(P⊙P)ᵀ come from two symmetric rank-k updates streamed over chunks of
// classes (the logits are recomputed per chunk from a stored log-sum-exp),
// G² Q from one GEMM: about 2·N²·C multiply–adds (1.5·N²·C without the
// per-block norms), plus 2·N·C·d for the logits, memory O(N² + N·chunk).
//

func (p *Problem) structuredLinear(opts StructuredOptions) (*StructuredStats, error) {
	cfg := p.cfg
	n, d, c := cfg.N, cfg.D, cfg.C
	x := p.x.RawMatrix().Data
	of := newOutputFamily(x, n, d, p.w.RawMatrix().Data, c, cfg.Loss == kind.CE)
	of.run(opts.ClassChunk, !opts.SkipBlockNorms)
	if err := of.checkPrecision(); err != nil {
		return nil, err
	}
	st := &StructuredStats{Sums: BlockSums{
		Off:  map[kind.Family]float64{kind.OutputOutput: of.offSum},
		Diag: map[kind.Layer]float64{kind.Output: of.diagSum},
	}}
	st.DiagFrobeniusSq = of.diag
	for _, pr := range opts.Pairs {
		st.Pairs = append(st.Pairs, PairNorm{A: pr[0], B: pr[1], FrobeniusSq: of.pairSq(pr[0], pr[1])})
	}
	return st, nil
}

// outputFamily holds the statistics of H_kl = (1/N) Σ_n A_n[k,l] g_n g_nᵀ,
// g_n the rows of feat (N×f), logits z_n = wout g_n (wout C×f).
type outputFamily struct {
	feat    []float64
	n, f, c int
	wout    []float64
	ce      bool
	g2      []float64 // (G⊙G), N×N, full
	lse     []float64 // log-sum-exp of the logits per sample (CE)
	offSum  float64   // Σ_{k≠l} ‖H_kl‖²
	offMag  float64   // Σ G²·(p·p')², the size of the terms offSum cancels
	diagSum float64   // Σ_k ‖H_kk‖²
	diag    []float64 // ‖H_kk‖² per class, if asked
}

func newOutputFamily(feat []float64, n, f int, wout []float64, c int, ce bool) *outputFamily {
	of := &outputFamily{feat: feat, n: n, f: f, wout: wout, c: c, ce: ce}
	of.g2 = gramSquared(feat, n, f)
	return of
}

// maxCancellation bounds offMag/offSum: beyond it the output family's
// off-diagonal sum, a difference of terms offMag times larger, keeps fewer
// than about eight correct digits.
const maxCancellation = 1e8

// checkPrecision reports an output family whose off-diagonal sum was lost
// to cancellation. That happens when the softmax is saturated at every
// sample (1 − max_k p_nk below ~1e-4 everywhere), where (p·p')² and
// Σ_k p_k² p'_k² agree to all but their last digits; the result could even
// come out negative and make R a NaN.
func (of *outputFamily) checkPrecision() error {
	if !of.ce || of.offMag == 0 {
		return nil
	}
	if of.offSum <= 0 || of.offMag/of.offSum > maxCancellation {
		return fmt.Errorf("numerics: structured output–output sum lost to cancellation (%.3g left of terms of size %.3g): "+
			"the softmax is saturated at every sample (1 − max_k p_k below ~1e-4), so H is near the level of rounding; "+
			"the dense statistics (StatsDense) stay accurate there: %w", of.offSum, of.offMag, ErrSaturated)
	}
	return nil
}

// ErrSaturated is wrapped by the structured statistics' refusal of a
// softmax saturated at every sample, where their identities keep only
// rounding (the dense statistics stay accurate).
var ErrSaturated = errors.New("structured statistics refused")

func (of *outputFamily) run(chunk int, blockNorms bool) {
	n, c := of.n, of.c
	inv2 := 1 / (float64(n) * float64(n))
	if !of.ce {
		// A = I: H = I_C ⊗ (1/N) Σ g gᵀ.
		v := sum(of.g2) * inv2
		of.diagSum = float64(c) * v
		if blockNorms {
			of.diag = make([]float64, c)
			for k := range of.diag {
				of.diag[k] = v
			}
		}
		return
	}
	of.lse = of.logSumExp(chunk)
	m1 := make([]float64, n*n) // P Pᵀ
	m3 := make([]float64, n*n) // (P⊙P)(P⊙P)ᵀ
	var qq []float64           // Q Qᵀ when the per-class norms are skipped
	if blockNorms {
		of.diag = make([]float64, c)
	} else {
		qq = make([]float64, n*n)
	}
	cb := min(chunk, c)
	pc := make([]float64, n*cb)
	p2 := make([]float64, n*cb)
	q := make([]float64, n*cb)
	t := make([]float64, n*cb)
	for k0 := 0; k0 < c; k0 += cb {
		w := min(cb, c-k0)
		pc, p2, q, t := pc[:n*w], p2[:n*w], q[:n*w], t[:n*w]
		of.probabilities(pc, k0, w)
		parallelRows(n, func(i0, i1 int) {
			for i := i0 * w; i < i1*w; i++ {
				v := pc[i]
				p2[i] = v * v
				q[i] = v - v*v
			}
		})
		syrkUpper(m1, n, pc, w, w, 1)
		syrkUpper(m3, n, p2, w, w, 1)
		if blockNorms {
			gemm(blas.NoTrans, blas.NoTrans, 1, general(n, n, of.g2), general(n, w, q), 0, general(n, w, t))
			for i := 0; i < n; i++ {
				qi, ti := q[i*w:(i+1)*w], t[i*w:(i+1)*w]
				for k := range qi {
					of.diag[k0+k] += qi[k] * ti[k]
				}
			}
		} else {
			syrkUpper(qq, n, q, w, w, 1)
		}
	}
	// Off-diagonal: Σ_{k≠l} p_k p_l p'_k p'_l = (p·p')² − Σ_k p_k² p'_k².
	var off, mag float64
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			a := m1[i*n+j]
			g := of.g2[i*n+j]
			v, w := g*(a*a-m3[i*n+j]), g*a*a
			if j > i {
				v, w = 2*v, 2*w
			}
			off += v
			mag += w
		}
	}
	of.offSum = off * inv2
	of.offMag = mag * inv2
	if blockNorms {
		for k := range of.diag {
			of.diag[k] *= inv2
		}
		of.diagSum = sum(of.diag)
	} else {
		of.diagSum = upperContract(of.g2, qq, n) * inv2
	}
}

// logits writes z[:, k0:k0+w] (N×w) for the classes k0 … k0+w−1.
func (of *outputFamily) logits(z []float64, k0, w int) {
	gemm(blas.NoTrans, blas.Trans, 1, general(of.n, of.f, of.feat), general(w, of.f, of.wout[k0*of.f:(k0+w)*of.f]), 0, general(of.n, w, z))
}

// logSumExp streams over class chunks with a running maximum.
func (of *outputFamily) logSumExp(chunk int) []float64 {
	n := of.n
	zmax, s := make([]float64, n), make([]float64, n)
	for i := range zmax {
		zmax[i] = math.Inf(-1)
	}
	cb := min(chunk, of.c)
	of.eachLogitRow(cb, make([]float64, n*cb), func(i, _ int, z []float64) {
		zmax[i], s[i] = addExp(zmax[i], s[i], z)
	})
	for i := range s {
		s[i] = zmax[i] + math.Log(s[i])
	}
	return s
}

// addExp extends a running log-sum-exp, Σ e^{z} = s·e^{mx} (s = 0 and
// mx = −∞ before the first class), by the logits z.
func addExp(mx, s float64, z []float64) (float64, float64) {
	m := maxOf(mx, z)
	acc := s * math.Exp(mx-m)
	if math.IsInf(mx, -1) {
		acc = 0
	}
	for _, v := range z {
		acc += math.Exp(v - m)
	}
	return m, acc
}

// probabilities writes the softmax probabilities of classes k0 … k0+w−1.
func (of *outputFamily) probabilities(pc []float64, k0, w int) {
	of.logits(pc, k0, w)
	parallelRows(of.n, func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			row := pc[i*w : (i+1)*w]
			for k, v := range row {
				row[k] = math.Exp(v - of.lse[i])
			}
		}
	})
}

// pairSq returns ‖H_kl‖² from the coefficient column c_n = A_n[k,l].
func (of *outputFamily) pairSq(k, l int) float64 {
	n := of.n
	coef := make([]float64, n)
	switch {
	case !of.ce && k != l:
		return 0
	case !of.ce:
		for i := range coef {
			coef[i] = 1
		}
	default:
		pk, pl := make([]float64, n), make([]float64, n)
		of.probabilities(pk, k, 1)
		of.probabilities(pl, l, 1)
		for i := range coef {
			coef[i] = -pk[i] * pl[i]
			if k == l {
				coef[i] += pk[i]
			}
		}
	}
	return quadForm(of.g2, coef, coef, n) / (float64(n) * float64(n))
}
