package numerics

import (
	"fmt"
	"math"
)

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

	diag := map[string]meanEstimate{}
	count := map[string]int{}
	names, members := l.sideGroups()
	for g, group := range names {
		idx := members[g]
		count[group] = len(idx)
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
		diag[group] = estimate(vals, exact)
	}

	st := &Measurement{Method: StatsSampled}
	var off, diagTotal, offVar, diagVar float64
	for _, group := range names {
		if e, ok := diag[group]; ok {
			n := float64(count[group])
			diagTotal += n * e.mean
			diagVar += n * n * e.se * e.se
		}
	}
	for _, f := range l.Families() {
		ka, kb := l.familySides(f)
		as, bs := l.FamilyBlocks(f)
		pairs := len(as) * len(bs)
		if ka == kb {
			pairs = len(as) * (len(as) - 1)
		}
		fr := FamilyRatio{Family: f, Pairs: pairs}
		var oe meanEstimate
		if pairs > 0 {
			var vals []float64
			// add records ‖H_ab‖² of an off-diagonal pair (a ≠ b).
			add := func(a, b int) error {
				v, err := bn.frobSq(a, b)
				vals = append(vals, v)
				return err
			}
			exact := pairs <= o.PairSamples
			for i := 0; exact && i < len(as); i++ {
				for _, b := range bs {
					if as[i] != b {
						if err := add(as[i], b); err != nil {
							return nil, err
						}
					}
				}
			}
			for !exact && len(vals) < o.PairSamples {
				if a, b := as[rnd.IntN(len(as))], bs[rnd.IntN(len(bs))]; a != b {
					if err := add(a, b); err != nil {
						return nil, err
					}
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
			if fr.MeanDiagSq > 0 {
				rse = fr.R * math.Hypot(relErr(oe), dRel) / 2
			}
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
	st.Summary.markUndefined()
	if err := st.Summary.checkFinite(); err != nil {
		return nil, err
	}
	return st, nil
}
