package numerics

import (
	"fmt"
	"math"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/krylov"
)

// streamStats is the random stream of block sampling and of the Lanczos
// start vector in ComputeHessianStats.
const streamStats uint64 = 0x7374_6174_7300 // "stats"

// StatsMethod selects how ComputeHessianStats obtains block norms.
type StatsMethod string

const (
	// StatsAuto uses StatsDense when the Hessian has at most
	// StatsOptions.MaxDenseParams parameters and fits the memory limit,
	// StatsStructured otherwise.
	StatsAuto StatsMethod = "auto"
	// StatsDense forms H and computes every block norm exactly.
	StatsDense StatsMethod = "dense"
	// StatsStructured computes every block norm sum exactly without
	// forming H (Problem.StructuredStats: O(N²·C) time, O(N²) memory).
	StatsStructured StatsMethod = "structured"
	// StatsSampled computes exact norms of a seeded random sample of
	// blocks, one block at a time (O(N·size²) each, never forming H), and
	// estimates the family means, R and ρ from them. Families with no more
	// blocks than the sample size are enumerated, hence exact. Uniform
	// sampling is unbiased but inefficient when a few pairs carry most of
	// the mass, as after training on Zipf-distributed classes: on the
	// Go-text task (C = 1000, N = 4000) it gave ρ = 0.0014 ± 0.0011 where
	// the exact value is 0.077, its standard error blind to the heavy
	// pairs it did not draw. Prefer the exact methods when affordable.
	StatsSampled StatsMethod = "sampled"
)

// ParseStatsMethod accepts "auto", "dense", "structured" and "sampled".
func ParseStatsMethod(s string) (StatsMethod, error) {
	switch m := StatsMethod(s); m {
	case StatsAuto, StatsDense, StatsStructured, StatsSampled:
		return m, nil
	case "":
		return StatsAuto, nil
	}
	return "", fmt.Errorf("numerics: unknown statistics method %q (want auto, dense, structured or sampled)", s)
}

// MeasureOptions configures ComputeHessianStats. The zero value is valid:
// auto method, the defaults below, no eigenvalues.
type MeasureOptions struct {
	Method StatsMethod
	// MaxDenseParams is the largest P for which StatsAuto forms H
	// (default 2000: about a second per Hessian at N of a few thousand).
	MaxDenseParams int
	// DiagSamples is the number of diagonal blocks of each kind sampled
	// (default 64); PairSamples the number of off-diagonal pairs of each
	// family (default 256). A kind or family with at most that many
	// blocks or pairs is enumerated.
	DiagSamples, PairSamples int
	// TopEigenvalues is the number k of largest eigenvalues of H to
	// compute by Lanczos on Hessian–vector products (0: none).
	TopEigenvalues int
	// LanczosSteps is the Krylov dimension (default max(3k, 30), at most
	// P); with LanczosSteps = P the Ritz values are the exact spectrum.
	LanczosSteps int
	// Seed drives the block sample and the Lanczos start vector.
	Seed uint64
}

func (o MeasureOptions) Validate() error {
	if _, err := ParseStatsMethod(string(o.Method)); err != nil {
		return err
	}
	if o.MaxDenseParams < 0 || o.DiagSamples < 0 || o.PairSamples < 0 || o.TopEigenvalues < 0 || o.LanczosSteps < 0 {
		return fmt.Errorf("numerics: negative statistics option in %+v", o)
	}
	return nil
}

func (o MeasureOptions) withDefaults() MeasureOptions {
	if o.Method == "" {
		o.Method = StatsAuto
	}
	if o.MaxDenseParams == 0 {
		o.MaxDenseParams = 2000
	}
	if o.DiagSamples == 0 {
		o.DiagSamples = 64
	}
	if o.PairSamples == 0 {
		o.PairSamples = 256
	}
	if o.LanczosSteps == 0 {
		o.LanczosSteps = max(3*o.TopEigenvalues, 30)
	}
	return o
}

// Measurement are the block statistics and the top of the spectrum of the
// Hessian at one point.
type Measurement struct {
	// Method is StatsDense, StatsStructured or StatsSampled (never
	// StatsAuto). Dense and structured are exact.
	Method  StatsMethod `json:"method"`
	Summary Summary     `json:"summary"`
	// RatioStdErr[i] is the standard error of Summary.Ratios[i].R from
	// the block sample (delta method, independent draws), and RhoStdErr
	// that of ρ; both are 0 for the exact methods and for enumerated
	// families.
	RatioStdErr []float64 `json:"ratio_std_err,omitempty"`
	RhoStdErr   float64   `json:"rho_std_err"`
	// TopEigenvalues holds the largest Ritz values, descending; each is a
	// lower bound on the corresponding eigenvalue and exact when
	// LanczosSteps = P. LambdaMax is the first (0 when none were asked).
	TopEigenvalues []float64 `json:"top_eigenvalues,omitempty"`
	LambdaMax      float64   `json:"lambda_max"`
}

// Measure returns R per family, ρ and the largest eigenvalues
// of p's Hessian at the current parameters, by the method of o. It is the
// single entry point the training loop uses: callers name a method or
// let StatsAuto pick the dense path for small P and the structured one
// (exact, never forming H) for large P. The sampled path, an unbiased
// estimate with standard errors, remains for sizes where even the
// O(N²·C) structured cost is too high.
func Measure(p *Problem, o MeasureOptions) (*Measurement, error) {
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("numerics: ComputeHessianStats: %w", err)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	method := o.Method
	if method == StatsAuto {
		method = StatsStructured
		if p.NumParams() <= o.MaxDenseParams && p.CheckDense() == nil {
			method = StatsDense
		}
	}
	var st *Measurement
	switch method {
	case StatsDense:
		h, err := p.Hessian()
		if err != nil {
			return nil, err
		}
		bs, err := ComputeBlockStats(h, p.Layout())
		if err != nil {
			return nil, err
		}
		st = &Measurement{Method: StatsDense, Summary: bs.Summary, RatioStdErr: make([]float64, len(bs.Ratios))}
	case StatsStructured:
		ss, err := p.StructuredStats(StructuredOptions{SkipBlockNorms: true})
		if err != nil {
			return nil, err
		}
		st = &Measurement{Method: StatsStructured, Summary: ss.Summary, RatioStdErr: make([]float64, len(ss.Ratios))}
	case StatsSampled:
		var err error
		if st, err = sampledStats(p, o); err != nil {
			return nil, err
		}
	}
	if o.TopEigenvalues > 0 {
		ev, err := topEigenvalues(p, o.TopEigenvalues, o.LanczosSteps, o.Seed)
		if err != nil {
			return nil, err
		}
		st.TopEigenvalues = ev
		st.LambdaMax = ev[0]
	}
	return st, nil
}

// blockNorms computes ‖H_ab‖_F² for single blocks from one forward pass
// (Problem.Block redoes the forward pass on every call, which dominates at
// large C).
type blockNorms struct {
	layout Layout
	fams   []*family
	buf    []float64
}

func (p *Problem) newBlockNorms() *blockNorms {
	return &blockNorms{layout: p.Layout(), fams: p.families(p.forward())}
}

// frobSq returns ‖H_ab‖_F². It mirrors Problem.Block: the pair is ordered
// so that a precedes b in θ (‖H_ba‖ = ‖H_ab‖), and pairs outside every
// family (MSE output–output off the diagonal) are exactly zero.
func (bn *blockNorms) frobSq(a, b int) (float64, error) {
	l := bn.layout
	if l.Blocks[a].Start > l.Blocks[b].Start {
		a, b = b, a
	}
	for _, s := range bn.fams {
		ia, ib := a-s.firstA, b-s.firstB
		if ia < 0 || ia >= s.na || ib < 0 || ib >= s.nb {
			continue
		}
		if s.diagOnly && ia != ib {
			return 0, nil
		}
		if cap(bn.buf) < s.da*s.db {
			bn.buf = make([]float64, s.da*s.db)
		}
		out := bn.buf[:s.da*s.db]
		s.blockRow(ia, ib, ib+1, out, s.db)
		var sq float64
		for _, v := range out {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("numerics: Hessian block (%d, %d) has entry %v", a, b, v)
			}
			sq += v * v
		}
		return sq, nil
	}
	return 0, nil
}

// meanEstimate is a sample mean of block norms with its standard error.
type meanEstimate struct{ mean, se float64 }

func estimate(vals []float64, exact bool) meanEstimate {
	n := float64(len(vals))
	var s float64
	for _, v := range vals {
		s += v
	}
	m := s / n
	if exact || len(vals) < 2 {
		return meanEstimate{mean: m}
	}
	var ss float64
	for _, v := range vals {
		ss += (v - m) * (v - m)
	}
	return meanEstimate{mean: m, se: math.Sqrt(ss / (n - 1) / n)}
}

func relErr(e meanEstimate) float64 {
	if e.mean == 0 {
		return 0
	}
	return e.se / e.mean
}

// sampledStats estimates the Summary from a seeded sample of blocks:
// for each kind, the mean squared norm of its diagonal blocks; for each
// family, the mean over its off-diagonal pairs. R and ρ then follow as in
// Summarize with block counts in place of sums.
func sampledStats(p *Problem, o MeasureOptions) (*Measurement, error) {
	bn := p.newBlockNorms()
	l := bn.layout
	rnd := newRand(o.Seed, streamStats)

	diag := map[kind.Layer]meanEstimate{}
	count := map[kind.Layer]int{}
	for _, kind := range []kind.Layer{kind.Hidden, kind.Output} {
		idx := l.Of(kind)
		if len(idx) == 0 {
			continue
		}
		count[kind] = len(idx)
		exact := len(idx) <= o.DiagSamples
		pick := idx
		if !exact {
			pick = make([]int, o.DiagSamples)
			for i, j := range rnd.Perm(len(idx))[:o.DiagSamples] {
				pick[i] = idx[j]
			}
		}
		vals := make([]float64, len(pick))
		for i, a := range pick {
			v, err := bn.frobSq(a, a)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		diag[kind] = estimate(vals, exact)
	}

	st := &Measurement{Method: StatsSampled}
	var off, diagTotal, offVar, diagVar float64
	for _, kind := range []kind.Layer{kind.Hidden, kind.Output} {
		if e, ok := diag[kind]; ok {
			n := float64(count[kind])
			diagTotal += n * e.mean
			diagVar += n * n * e.se * e.se
		}
	}
	for _, f := range l.Families() {
		ka, kb := familyKinds(f)
		as, bs := l.Of(ka), l.Of(kb)
		pairs := len(as) * len(bs)
		if ka == kb {
			pairs = len(as) * (len(as) - 1)
		}
		fr := FamilyRatio{Family: f, Pairs: pairs}
		var oe meanEstimate
		if pairs > 0 {
			var vals []float64
			exact := pairs <= o.PairSamples
			if exact {
				for _, a := range as {
					for _, b := range bs {
						if a == b {
							continue
						}
						v, err := bn.frobSq(a, b)
						if err != nil {
							return nil, err
						}
						vals = append(vals, v)
					}
				}
			} else {
				for len(vals) < o.PairSamples {
					a, b := as[rnd.IntN(len(as))], bs[rnd.IntN(len(bs))]
					if a == b {
						continue
					}
					v, err := bn.frobSq(a, b)
					if err != nil {
						return nil, err
					}
					vals = append(vals, v)
				}
			}
			oe = estimate(vals, exact)
		}
		da, db := diag[ka], diag[kb]
		var rse float64
		if pairs > 0 {
			fr.MeanOffSq = oe.mean
			fr.MeanDiagSq = math.Sqrt(da.mean * db.mean)
			fr.R = ratio(fr.MeanOffSq, fr.MeanDiagSq)
			// R = sqrt(off / diagMean) with diagMean = dA (same kind) or
			// sqrt(dA·dB): relative errors add in quadrature, halved by
			// each square root.
			dRel := relErr(da)
			if ka != kb {
				dRel = math.Hypot(relErr(da), relErr(db)) / 2
			}
			rse = fr.R * math.Hypot(relErr(oe), dRel) / 2
		}
		st.Summary.Ratios = append(st.Summary.Ratios, fr)
		st.RatioStdErr = append(st.RatioStdErr, rse)
		// Summarize counts the hidden–output family in both orders.
		mult := 1.0
		if ka != kb {
			mult = 2
		}
		off += mult * float64(pairs) * oe.mean
		offVar += mult * mult * float64(pairs) * float64(pairs) * oe.se * oe.se
	}
	st.Summary.OffBlockSq = off
	st.Summary.FrobeniusSq = off + diagTotal
	if t := st.Summary.FrobeniusSq; t > 0 {
		st.Summary.Rho = off / t
		// ρ = off/(off+diag): ∂ρ/∂off = diag/t², ∂ρ/∂diag = −off/t².
		st.RhoStdErr = math.Sqrt(diagTotal*diagTotal*offVar+off*off*diagVar) / (t * t)
	}
	if err := st.Summary.checkFinite(); err != nil {
		return nil, err
	}
	return st, nil
}

// topEigenvalues returns the k largest Ritz values of H after `steps`
// Lanczos iterations with full reorthogonalization (the shared recurrence of
// lanczos.go, so no ghost copies), from a seeded random start, using
// Hessian–vector products only.
func topEigenvalues(p *Problem, k, steps int, seed uint64) ([]float64, error) {
	np := p.NumParams()
	steps = min(steps, np)
	rnd := newRand(seed, streamStats+1)
	q1 := make([]float64, np)
	for i := range q1 {
		q1[i] = rnd.NormFloat64()
	}
	scaleVec(q1, 1/math.Sqrt(dot(q1, q1)))
	vals, err := krylov.Ritz(p.HessVecOperator(), q1, steps, krylov.ReorthFull)
	if err != nil {
		return nil, err
	}
	k = min(k, len(vals))
	top := make([]float64, k)
	for i := range top {
		top[i] = vals[len(vals)-1-i]
	}
	return top, nil
}
