package numerics

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// This file computes the block statistics of H without forming it, from Gram
// identities. Every block family has the form
//
//	H_ab = (1/N) Σ_n c_n[a,b] g_n h_nᵀ (+ a residual term for hidden–output),
//
// so ‖H_ab‖_F² = (1/N²) Σ_{n,n'} c_n[a,b] c_n'[a,b] (g_n·g_n')(h_n·h_n').
// Summing over pairs turns the sums over (a, b) into N×N matrices built by
// GEMMs, and the result is an O(N²) contraction; nothing of size N·P is
// allocated.
//
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
// MLP hidden–hidden (g = h = x): c_n[i,j] = C_n[i,j] with
// C_n = Φ'_n (VᵀA_nV) Φ'_n + diag(φ''_n ⊙ Vᵀr_n). The packed upper triangles
// of all C_n form an N × m(m+1)/2 matrix, from one GEMM P·K with
// K[k,(i,j)] = V_ki V_kj (CE) or from VᵀV (MSE); then
//
//	Σ_{i≠j} ‖H_ij‖² = (2/N²) Σ_{n,n'} (Gx²)_{nn'} Σ_{i<j} C_n[i,j] C_n'[i,j],
//	‖H_ii‖²         = (1/N²) c_iᵀ Gx² c_i,  c_ni = C_n[i,i].
//
// Cost N·C·m²/2 + N²·m²/4 + N²·m.
//
// MLP hidden–output: H_{w_i v_l} = (1/N) Σ_n x_n y_nᵀ with
// y_n = a_n h_n + b_n e_i, a_n = φ'_ni (A_nV)_{li}, b_n = r_nl φ'_ni, so
//
//	‖H_il‖² = (1/N²) [ aᵀ (Gx⊙Gh) a + 2 (a⊙h_{·i})ᵀ Gx b + bᵀ Gx b ].
//
// Summed over l, the first term is ⟨Gx⊙Gh, F_i F_iᵀ⟩ with F_i[n,l] = a_n (a
// symmetric rank-C update per hidden unit, over the samples with φ'_ni ≠ 0
// only: a quarter of the work for ReLU), the second 2⟨Xᵀ diag(h_i) F_i,
// Xᵀ diag(φ'_i) R⟩ (Gx has rank d, so go through X), the third
// ⟨Gx ⊙ φ'_iφ'_iᵀ, R Rᵀ⟩ with R Rᵀ shared by all i. Cost, with N_i the
// samples where φ'_ni ≠ 0: Σ_i (N_i²·C/2 + 2·N_i·d·C) + N²·C/2. For MSE
// A = I and the first two terms reduce to O(N²) per unit.

// StructuredOptions selects what StructuredStats computes beyond ρ and R.
type StructuredOptions struct {
	// Pairs lists block pairs (indices into Layout) whose ‖H_ab‖_F² is
	// reported in StructuredStats.Pairs.
	Pairs [][2]int
	// SkipBlockNorms leaves StructuredStats.DiagFrobeniusSq nil: the family
	// sums then need one symmetric product instead of a full one for the
	// output family (1.5·N²·C instead of 2·N²·C multiply–adds).
	SkipBlockNorms bool
	// ClassChunk is the number of classes streamed at once; 0 picks 2048.
	ClassChunk int
}

const defaultClassChunk = 2048

// PairNorm is ‖H_ab‖_F² for one pair of blocks.
type PairNorm struct {
	A           int     `json:"a"`
	B           int     `json:"b"`
	FrobeniusSq float64 `json:"frobenius_sq"`
}

// StructuredStats are block statistics computed without forming H.
type StructuredStats struct {
	Summary
	Layout Layout `json:"-"`
	// DiagFrobeniusSq[a] = ‖H_aa‖_F² for every block (nil with
	// SkipBlockNorms).
	DiagFrobeniusSq []float64 `json:"diag_frobenius_sq,omitempty"`
	// Sums holds the sums the summary is built from.
	Sums  BlockSums  `json:"sums"`
	Pairs []PairNorm `json:"pairs,omitempty"`
}

// BlockSums are the sums of squared block norms that determine R and ρ:
// for each family the sum of ‖H_ab‖_F² over its ordered off-diagonal pairs
// (for hidden–output, the pairs (hidden, output) in that order only) and,
// for each block kind, the sum of ‖H_aa‖_F² over its diagonal blocks.
type BlockSums struct {
	Off  map[kind.Family]float64 `json:"off"`
	Diag map[kind.Layer]float64  `json:"diag"`
}

// SumsFromFrobenius computes BlockSums from a map of squared block norms,
// frobSq(a, b) = ‖H_ab‖_F², as ComputeBlockStats has it.
func SumsFromFrobenius(l Layout, frobSq func(a, b int) float64) BlockSums {
	s := BlockSums{Off: map[kind.Family]float64{}, Diag: map[kind.Layer]float64{}}
	for a, ba := range l.Blocks {
		s.Diag[ba.Kind] += frobSq(a, a)
		for b, bb := range l.Blocks {
			if a == b {
				continue
			}
			f := l.FamilyOf(a, b)
			if f == kind.HiddenOutput && !(ba.Kind == kind.Hidden && bb.Kind == kind.Output) {
				continue
			}
			s.Off[f] += frobSq(a, b)
		}
	}
	return s
}

// SummarizeSums computes R per family and ρ from block sums. It applies the
// definitions of Summarize (THEORY §4) to sums instead of a block map, so
// the structured path needs no nb×nb array.
func SummarizeSums(l Layout, sums BlockSums) Summary {
	count := map[kind.Layer]int{}
	for _, b := range l.Blocks {
		count[b.Kind]++
	}
	var s Summary
	for _, f := range l.Families() {
		ka, kb := familyKinds(f)
		nA, nB := count[ka], count[kb]
		pairs := nA * nB
		mult := 2.0 // the cross family appears in both orientations
		if ka == kb {
			pairs = nA * (nA - 1)
			mult = 1
		}
		off := sums.Off[f]
		fr := FamilyRatio{Family: f, Pairs: pairs}
		if pairs > 0 && nA > 0 && nB > 0 {
			fr.MeanOffSq = off / float64(pairs)
			// Square roots first: the product of two tiny means underflows.
			fr.MeanDiagSq = math.Sqrt(sums.Diag[ka]/float64(nA)) * math.Sqrt(sums.Diag[kb]/float64(nB))
			fr.R = ratio(fr.MeanOffSq, fr.MeanDiagSq)
		}
		s.Ratios = append(s.Ratios, fr)
		s.OffBlockSq += mult * off
	}
	s.FrobeniusSq = s.OffBlockSq
	for _, k := range []kind.Layer{kind.Hidden, kind.Output} {
		s.FrobeniusSq += sums.Diag[k]
	}
	if s.FrobeniusSq > 0 {
		s.Rho = s.OffBlockSq / s.FrobeniusSq
	}
	return s
}

// StructuredStats computes ρ, R per family, the norm of every diagonal
// block and of the requested pairs exactly, without forming H (see the
// identities at the top of structured.go). It agrees with
// ComputeBlockStats on the dense Hessian to round-off and runs where the
// dense Hessian would not fit in memory.
func (p *Problem) StructuredStats(opts StructuredOptions) (*StructuredStats, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	l := p.Layout()
	for _, pr := range opts.Pairs {
		if pr[0] < 0 || pr[1] < 0 || pr[0] >= len(l.Blocks) || pr[1] >= len(l.Blocks) {
			return nil, fmt.Errorf("numerics: block pair (%d, %d) out of range [0, %d)", pr[0], pr[1], len(l.Blocks))
		}
	}
	if opts.ClassChunk < 0 {
		return nil, fmt.Errorf("numerics: ClassChunk = %d, want ≥ 0", opts.ClassChunk)
	}
	if err := p.CheckStructured(opts); err != nil {
		return nil, err
	}
	if opts.ClassChunk == 0 {
		opts.ClassChunk = defaultClassChunk
	}
	var st *StructuredStats
	var err error
	if p.cfg.Model == kind.Linear {
		st, err = p.structuredLinear(opts)
	} else {
		st, err = p.structuredMLP(opts)
	}
	if err != nil {
		return nil, err
	}
	st.Layout = l
	st.Summary = SummarizeSums(l, st.Sums)
	if err := st.checkFinite(); err != nil {
		return nil, err
	}
	return st, nil
}

// DefaultMaxStructuredBytes is the default limit on the work arrays of
// StructuredStats (Config.StructuredBytes).
const DefaultMaxStructuredBytes int64 = 16 << 30

// StructuredTooLargeError is returned when the work arrays of
// StructuredStats (mostly N×N) would need more memory than allowed.
type StructuredTooLargeError struct {
	N     int   // samples
	Bytes int64 // estimated peak of the N×N arrays
	Limit int64
}

func (e *StructuredTooLargeError) Error() string {
	return fmt.Sprintf("numerics: the structured statistics at N = %d samples need about %s of work arrays, over the limit of %s; "+
		"use the sampled statistics (Measure with StatsSampled, or Problem.Block on chosen pairs), "+
		"fewer samples, or raise Problem.MaxStructuredBytes",
		e.N, formatBytes(e.Bytes), formatBytes(e.Limit))
}

// StructuredBytes estimates the peak memory StructuredStats with opts
// allocates beyond the forward pass: for the linear model one N×N array
// (MSE) or three, four with SkipBlockNorms, plus five N×min(C, ClassChunk)
// chunks (CE); for the MLP the larger of that output-family phase and the
// hidden–output phase, seven N×N arrays plus, per worker (GOMAXPROCS), an
// N×N Gram matrix and for CE 3·N·C + N·d + 2·d·C floats. It returns
// math.MaxInt64 when the count overflows int64.
func (c Config) StructuredBytes(opts StructuredOptions) int64 {
	n, cc, d := float64(c.N), float64(c.C), float64(c.D)
	chunk := opts.ClassChunk
	if chunk <= 0 {
		chunk = defaultClassChunk
	}
	ce := c.Loss == kind.CE
	out := n * n // output family
	if ce {
		out = 3*n*n + 5*n*math.Min(cc, float64(chunk))
		if opts.SkipBlockNorms {
			out += n * n
		}
	}
	floats := out
	if c.Model == kind.MLP {
		perWorker := n * n
		if ce {
			perWorker += 3*n*cc + n*d + 2*d*cc
		}
		floats = math.Max(out, 7*n*n+float64(runtime.GOMAXPROCS(0))*perWorker)
	}
	if b := 8 * floats; b < math.MaxInt64 {
		return int64(b)
	}
	return math.MaxInt64
}

func (p *Problem) maxStructuredBytes() int64 {
	if p.MaxStructuredBytes > 0 {
		return p.MaxStructuredBytes
	}
	return DefaultMaxStructuredBytes
}

// CheckStructured returns a *StructuredTooLargeError if the work arrays of
// StructuredStats with opts would exceed the memory limit.
func (p *Problem) CheckStructured(opts StructuredOptions) error {
	if err := p.check(); err != nil {
		return err
	}
	if b := p.cfg.StructuredBytes(opts); b > p.maxStructuredBytes() {
		return &StructuredTooLargeError{N: p.cfg.N, Bytes: b, Limit: p.maxStructuredBytes()}
	}
	return nil
}

func (st *StructuredStats) checkFinite() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	if bad(st.FrobeniusSq) || bad(st.OffBlockSq) {
		return fmt.Errorf("numerics: structured statistics are not finite (‖H‖_F² = %v)", st.FrobeniusSq)
	}
	if err := st.Summary.checkFinite(); err != nil {
		return err
	}
	for _, pr := range st.Pairs {
		if bad(pr.FrobeniusSq) {
			return fmt.Errorf("numerics: ‖H_ab‖_F² of pair (%d, %d) is %v", pr.A, pr.B, pr.FrobeniusSq)
		}
	}
	return nil
}

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

// gramSquared returns the elementwise square of F Fᵀ (N×N, full).
func gramSquared(feat []float64, n, f int) []float64 {
	g := make([]float64, n*n)
	syrkUpper(g, n, feat, f, f, 0)
	symmetrizeSquare(g, n, func(v float64) float64 { return v * v })
	return g
}

// symmetrizeSquare applies fn to the upper triangle of the N×N matrix a and
// mirrors it to the lower triangle.
func symmetrizeSquare(a []float64, n int, fn func(float64) float64) {
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			v := fn(a[i*n+j])
			a[i*n+j], a[j*n+i] = v, v
		}
	}
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
			"the dense statistics (StatsDense) stay accurate there", of.offSum, of.offMag)
	}
	return nil
}

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

// upperContract returns Σ_{n,n'} a_{nn'} b_{nn'} for symmetric a (full) and
// b (upper triangle valid).
func upperContract(a, b []float64, n int) float64 {
	var s float64
	for i := 0; i < n; i++ {
		s += a[i*n+i] * b[i*n+i]
		var r float64
		for j := i + 1; j < n; j++ {
			r += a[i*n+j] * b[i*n+j]
		}
		s += 2 * r
	}
	return s
}

// logits writes z[:, k0:k0+w] (N×w) for the classes k0 … k0+w−1.
func (of *outputFamily) logits(z []float64, k0, w int) {
	gemm(blas.NoTrans, blas.Trans, 1, general(of.n, of.f, of.feat), general(w, of.f, of.wout[k0*of.f:(k0+w)*of.f]), 0, general(of.n, w, z))
}

// logSumExp streams over class chunks with a running maximum.
func (of *outputFamily) logSumExp(chunk int) []float64 {
	n, c := of.n, of.c
	cb := min(chunk, c)
	zmax := make([]float64, n)
	s := make([]float64, n)
	for i := range zmax {
		zmax[i] = math.Inf(-1)
	}
	z := make([]float64, n*cb)
	for k0 := 0; k0 < c; k0 += cb {
		w := min(cb, c-k0)
		z := z[:n*w]
		of.logits(z, k0, w)
		parallelRows(n, func(i0, i1 int) {
			for i := i0; i < i1; i++ {
				zi := z[i*w : (i+1)*w]
				mx := zmax[i]
				for _, v := range zi {
					mx = math.Max(mx, v)
				}
				acc := s[i] * math.Exp(zmax[i]-mx)
				if math.IsInf(zmax[i], -1) {
					acc = 0
				}
				for _, v := range zi {
					acc += math.Exp(v - mx)
				}
				zmax[i], s[i] = mx, acc
			}
		})
	}
	for i := range s {
		s[i] = zmax[i] + math.Log(s[i])
	}
	return s
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

// quadForm returns aᵀ M b for the N×N matrix m.
func quadForm(m, a, b []float64, n int) float64 {
	var s float64
	for i := 0; i < n; i++ {
		if a[i] == 0 {
			continue
		}
		var r float64
		row := m[i*n : (i+1)*n]
		for j, v := range row {
			r += v * b[j]
		}
		s += a[i] * r
	}
	return s
}

func sum(a []float64) float64 {
	var s float64
	for _, v := range a {
		s += v
	}
	return s
}

// parallelRows splits [0, n) into one contiguous range per worker.
func parallelRows(n int, fn func(i0, i1 int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 || n < 64 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for i0 := 0; i0 < n; i0 += step {
		wg.Add(1)
		go func(i0, i1 int) {
			defer wg.Done()
			fn(i0, i1)
		}(i0, min(i0+step, n))
	}
	wg.Wait()
}

// syrkTile is the tile edge of syrkUpper.
const syrkTile = 256

// syrkUpper sets the upper triangle of c (N×N, row-major) to
// a aᵀ + beta·c, with a N×k of stride lda. It runs as GEMMs on the upper
// tiles, which the BLAS parallelizes (gonum's Dsyrk is a serial loop);
// entries below the diagonal inside diagonal tiles are written too and must
// be ignored.
func syrkUpper(c []float64, n int, a []float64, k, lda int, beta float64) {
	if k == 0 {
		if beta != 1 {
			for i := range c[:n*n] {
				c[i] *= beta
			}
		}
		return
	}
	for i0 := 0; i0 < n; i0 += syrkTile {
		i1 := min(i0+syrkTile, n)
		ai := blas64.General{Rows: i1 - i0, Cols: k, Stride: lda, Data: a[i0*lda:]}
		// One GEMM for the whole tile row right of the diagonal keeps the
		// products large.
		aj := blas64.General{Rows: n - i0, Cols: k, Stride: lda, Data: a[i0*lda:]}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, ai, aj, beta, blas64.General{Rows: i1 - i0, Cols: n - i0, Stride: n, Data: c[i0*n+i0:]})
	}
}

func (p *Problem) structuredMLP(opts StructuredOptions) (*StructuredStats, error) {
	cfg := p.cfg
	n, d, c, m := cfg.N, cfg.D, cfg.C, cfg.M
	f := p.forward()
	l := p.Layout()
	ce := cfg.Loss == kind.CE
	inv2 := 1 / (float64(n) * float64(n))
	v := p.v.RawMatrix().Data
	blockNorms := !opts.SkipBlockNorms

	// Output–output: the linear identities with features h.
	of := newOutputFamily(f.h, n, m, v, c, ce)
	of.run(opts.ClassChunk, blockNorms)
	if err := of.checkPrecision(); err != nil {
		return nil, err
	}

	gx := make([]float64, n*n)
	syrkUpper(gx, n, f.x, d, d, 0)
	symmetrizeSquare(gx, n, func(v float64) float64 { return v })
	gx2 := make([]float64, n*n)
	for i, v := range gx {
		gx2[i] = v * v
	}

	// Hidden–hidden.
	hh := p.hiddenCoefficients(f)
	hid := hh.stats(gx2, blockNorms)

	// Hidden–output.
	crossOff := p.crossFamilySum(f, gx)

	st := &StructuredStats{Sums: BlockSums{
		Off:  map[kind.Family]float64{kind.HiddenHidden: hid.offSum, kind.OutputOutput: of.offSum, kind.HiddenOutput: crossOff},
		Diag: map[kind.Layer]float64{kind.Hidden: hid.diagSum, kind.Output: of.diagSum},
	}}
	if blockNorms {
		st.DiagFrobeniusSq = append(append([]float64(nil), hid.diag...), of.diag...)
	}
	for _, pr := range opts.Pairs {
		a, b := pr[0], pr[1]
		ba, bb := l.Blocks[a], l.Blocks[b]
		var sq float64
		switch {
		case ba.Kind == kind.Hidden && bb.Kind == kind.Hidden:
			coef := hh.pair(ba.Index, bb.Index)
			sq = quadForm(gx2, coef, coef, n) * inv2
		case ba.Kind == kind.Output && bb.Kind == kind.Output:
			sq = of.pairSq(ba.Index, bb.Index)
		case ba.Kind == kind.Hidden:
			sq = p.crossPairSq(f, gx, ba.Index, bb.Index)
		default:
			sq = p.crossPairSq(f, gx, bb.Index, ba.Index)
		}
		st.Pairs = append(st.Pairs, PairNorm{A: a, B: b, FrobeniusSq: sq})
	}
	return st, nil
}

// hiddenCoefs computes the coefficients C_n[i,j] of the hidden–hidden
// family, C_n = Φ'_n (VᵀA_nV) Φ'_n + diag(φ”_n ⊙ Vᵀr_n).
type hiddenCoefs struct {
	p *Problem
	f *forward
}

func (p *Problem) hiddenCoefficients(f *forward) hiddenCoefs { return hiddenCoefs{p: p, f: f} }

// block fills out (N × len(pairs)) with C_n[i,j] for the listed pairs.
func (h hiddenCoefs) block(pairs [][2]int, out []float64) {
	f := h.f
	n, c, m := f.n, f.c, f.m
	v := h.p.v.RawMatrix().Data
	np := len(pairs)
	if f.p != nil {
		// (VᵀA_nV)_ij = Σ_k p_nk (V_ki − g_ni)(V_kj − g_nj), g = Vᵀp. With
		// * the top class, p̃ = p with p_* zeroed, q = 1 − p_*, w = p̃V and
		// ū = w − q V_* (forward.vbar), this is
		//   (p̃ K)_ij − V_*i w_j − w_i V_*j + q V_*i V_*j − ū_i ū_j,
		// K[k,(i,j)] = V_ki V_kj: every term is of size q, so nothing
		// cancels when the softmax saturates (the plain Σ p V V − g g does).
		k := make([]float64, c*np)
		for kk := 0; kk < c; kk++ {
			row := v[kk*m : (kk+1)*m]
			for t, pr := range pairs {
				k[kk*np+t] = row[pr[0]] * row[pr[1]]
			}
		}
		pt := append([]float64(nil), f.p...)
		for s := 0; s < n; s++ {
			pt[s*c+f.top[s]] = 0
		}
		gemm(blas.NoTrans, blas.NoTrans, 1, general(n, c, pt), general(c, np, k), 0, general(n, np, out))
		w := make([]float64, m)
		for s := 0; s < n; s++ {
			ub := f.vbar[s*m : (s+1)*m]
			vt := v[f.top[s]*m : (f.top[s]+1)*m]
			q := f.qtop[s]
			for j := range w {
				w[j] = ub[j] + q*vt[j]
			}
			for t, pr := range pairs {
				i, j := pr[0], pr[1]
				out[s*np+t] += -vt[i]*w[j] - w[i]*vt[j] + q*vt[i]*vt[j] - ub[i]*ub[j]
			}
		}
	} else {
		for t, pr := range pairs {
			var vv float64
			for kk := 0; kk < c; kk++ {
				vv += v[kk*m+pr[0]] * v[kk*m+pr[1]]
			}
			for s := 0; s < n; s++ {
				out[s*np+t] = vv
			}
		}
	}
	for s := 0; s < n; s++ {
		dphi := f.dphi[s*m : (s+1)*m]
		for t, pr := range pairs {
			i, j := pr[0], pr[1]
			val := out[s*np+t] * dphi[i] * dphi[j]
			if i == j {
				val += f.ddphi[s*m+i] * f.vtr[s*m+i]
			}
			out[s*np+t] = val
		}
	}
}

func (h hiddenCoefs) pair(i, j int) []float64 {
	out := make([]float64, h.f.n)
	h.block([][2]int{{i, j}}, out)
	return out
}

type hiddenStats struct {
	offSum, diagSum float64
	diag            []float64
}

// pairChunk bounds the number of (i, j) pairs whose coefficients are held
// at once (N × pairChunk floats).
const pairChunk = 1024

func (h hiddenCoefs) stats(gx2 []float64, blockNorms bool) hiddenStats {
	n, m := h.f.n, h.f.m
	inv2 := 1 / (float64(n) * float64(n))
	var hs hiddenStats
	// Diagonal coefficients c_ni = C_n[i,i].
	diagPairs := make([][2]int, m)
	for i := range diagPairs {
		diagPairs[i] = [2]int{i, i}
	}
	dg := make([]float64, n*m)
	h.block(diagPairs, dg)
	if blockNorms {
		t := make([]float64, n*m)
		gemm(blas.NoTrans, blas.NoTrans, 1, general(n, n, gx2), general(n, m, dg), 0, general(n, m, t))
		hs.diag = make([]float64, m)
		for s := 0; s < n; s++ {
			for i := 0; i < m; i++ {
				hs.diag[i] += dg[s*m+i] * t[s*m+i]
			}
		}
		for i := range hs.diag {
			hs.diag[i] *= inv2
		}
		hs.diagSum = sum(hs.diag)
	} else {
		dd := make([]float64, n*n)
		syrkUpper(dd, n, dg, m, m, 0)
		hs.diagSum = upperContract(gx2, dd, n) * inv2
	}
	// Off-diagonal pairs i < j, streamed in chunks; each counts twice.
	var pairs [][2]int
	gram := make([]float64, n*n)
	buf := make([]float64, n*min(pairChunk, m*(m-1)/2+1))
	first := true
	flush := func() {
		if len(pairs) == 0 {
			return
		}
		np := len(pairs)
		cb := buf[:n*np]
		h.block(pairs, cb)
		beta := 1.0
		if first {
			beta = 0
			first = false
		}
		syrkUpper(gram, n, cb, np, np, beta)
		pairs = pairs[:0]
	}
	for i := 0; i < m; i++ {
		for j := i + 1; j < m; j++ {
			pairs = append(pairs, [2]int{i, j})
			if len(pairs) == pairChunk {
				flush()
			}
		}
	}
	flush()
	if !first {
		hs.offSum = 2 * upperContract(gx2, gram, n) * inv2
	}
	return hs
}

// crossFamilySum returns Σ_{i,l} ‖H_{w_i v_l}‖_F².
func (p *Problem) crossFamilySum(f *forward, gx []float64) float64 {
	n, d, c, m := f.n, f.d, f.c, f.m
	inv2 := 1 / (float64(n) * float64(n))
	// Third term: ⟨Gx ⊙ φ'_iφ'_iᵀ, R Rᵀ⟩ for every i, with Gx⊙RRᵀ shared.
	rr := make([]float64, n*n)
	syrkUpper(rr, n, f.r, c, c, 0)
	symmetrizeSquare(rr, n, func(v float64) float64 { return v })
	gxrr := make([]float64, n*n)
	gxgh := make([]float64, n*n) // Gx ⊙ Gh
	gh := make([]float64, n*n)
	syrkUpper(gh, n, f.h, m, m, 0)
	symmetrizeSquare(gh, n, func(v float64) float64 { return v })
	for i := range gx {
		gxrr[i] = gx[i] * rr[i]
		gxgh[i] = gx[i] * gh[i]
	}
	gh, rr = nil, nil
	v := p.v.RawMatrix().Data
	vcol := func(i int) []float64 {
		col := make([]float64, c)
		for k := range col {
			col[k] = v[k*m+i]
		}
		return col
	}

	units := make(chan int)
	// Per-unit results are summed in index order after the workers finish,
	// so the total does not depend on goroutine scheduling.
	perUnit := make([]float64, m)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fbuf, rbuf, ubuf, gram []float64
			var xa, yf, yr []float64
			for i := range units {
				dphi := make([]float64, n)
				var act []int
				for s := 0; s < n; s++ {
					dphi[s] = f.dphi[s*m+i]
					if dphi[s] != 0 {
						act = append(act, s)
					}
				}
				na := len(act)
				// Third term.
				var s3 float64
				for _, s := range act {
					row := gxrr[s*n : (s+1)*n]
					var r float64
					for _, t := range act {
						r += row[t] * dphi[t]
					}
					s3 += dphi[s] * r
				}
				if na == 0 {
					continue
				}
				vi := vcol(i)
				var s1, s2 float64
				if f.p == nil {
					// MSE: (A_nV)_{li} = V_li, so F_i F_iᵀ = ‖v^i‖² φ'φ'ᵀ and
					// Σ_l F[n,l] R[n',l] = φ'_ni (R V)_{n'i}.
					var vv float64
					for _, x := range vi {
						vv += x * x
					}
					for _, s := range act {
						row := gxgh[s*n : (s+1)*n]
						rowx := gx[s*n : (s+1)*n]
						var r1, r2 float64
						for _, t := range act {
							r1 += row[t] * dphi[t]
							r2 += rowx[t] * dphi[t] * f.vtr[t*m+i]
						}
						s1 += vv * dphi[s] * r1
						s2 += 2 * dphi[s] * f.h[s*m+i] * r2
					}
				} else {
					// F[n,l] = φ'_ni p_nl (V_li − g_ni), over active rows.
					if cap(fbuf) < na*c {
						fbuf = make([]float64, na*c)
						rbuf = make([]float64, na*c)
						ubuf = make([]float64, na*c)
						xa = make([]float64, na*d)
					}
					fm, rm, um, xm := fbuf[:na*c], rbuf[:na*c], ubuf[:na*c], xa[:na*d]
					for r, s := range act {
						ps := f.p[s*c : (s+1)*c]
						rs := f.r[s*c : (s+1)*c]
						// V_ki − g_i centred at the top class (see hid.coef).
						ub, vt := f.vbar[s*m+i], vi[f.top[s]]
						ph := dphi[s]
						hi := f.h[s*m+i]
						fr, rr, ur := fm[r*c:(r+1)*c], rm[r*c:(r+1)*c], um[r*c:(r+1)*c]
						for k, pk := range ps {
							a := ph * pk * ((vi[k] - vt) - ub)
							fr[k] = a
							ur[k] = a * hi
							rr[k] = rs[k] * ph
						}
						copy(xm[r*d:(r+1)*d], f.x[s*d:(s+1)*d])
					}
					if cap(gram) < na*na {
						gram = make([]float64, na*na)
					}
					gm := gram[:na*na]
					syrkUpper(gm, na, fm, c, c, 0)
					for r, s := range act {
						row := gxgh[s*n : (s+1)*n]
						s1 += row[s] * gm[r*na+r]
						var acc float64
						for q := r + 1; q < na; q++ {
							acc += row[act[q]] * gm[r*na+q]
						}
						s1 += 2 * acc
					}
					// Second term: 2⟨Xᵀ U, Xᵀ Rφ⟩ over the active rows.
					if cap(yf) < d*c {
						yf = make([]float64, d*c)
						yr = make([]float64, d*c)
					}
					yu, yrr := yf[:d*c], yr[:d*c]
					gemm(blas.Trans, blas.NoTrans, 1, general(na, d, xm), general(na, c, um), 0, general(d, c, yu))
					gemm(blas.Trans, blas.NoTrans, 1, general(na, d, xm), general(na, c, rm), 0, general(d, c, yrr))
					var dot float64
					for k, a := range yu {
						dot += a * yrr[k]
					}
					s2 = 2 * dot
				}
				perUnit[i] = s1 + s2 + s3
			}
		}()
	}
	for i := 0; i < m; i++ {
		units <- i
	}
	close(units)
	wg.Wait()
	var total float64
	for _, v := range perUnit {
		total += v
	}
	return total * inv2
}

// crossPairSq returns ‖H_{w_i v_l}‖_F².
func (p *Problem) crossPairSq(f *forward, gx []float64, i, l int) float64 {
	n, c, m := f.n, f.c, f.m
	v := p.v.RawMatrix().Data
	a := make([]float64, n)  // φ'_ni (A_nV)_{li}
	ah := make([]float64, n) // a ⊙ h_{·i}
	b := make([]float64, n)  // r_nl φ'_ni
	for s := 0; s < n; s++ {
		ph := f.dphi[s*m+i]
		av := v[l*m+i]
		if f.p != nil {
			av = f.p[s*c+l] * ((v[l*m+i] - v[f.top[s]*m+i]) - f.vbar[s*m+i])
		}
		a[s] = ph * av
		ah[s] = a[s] * f.h[s*m+i]
		b[s] = f.r[s*c+l] * ph
	}
	gxgh := make([]float64, n*n)
	gh := make([]float64, n*n)
	syrkUpper(gh, n, f.h, m, m, 0)
	symmetrizeSquare(gh, n, func(v float64) float64 { return v })
	for k := range gx {
		gxgh[k] = gx[k] * gh[k]
	}
	s := quadForm(gxgh, a, a, n) + 2*quadForm(gx, ah, b, n) + quadForm(gx, b, b, n)
	return s / (float64(n) * float64(n))
}
