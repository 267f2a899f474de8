package numerics

import (
	"math"

	"github.com/hessblock/hessblock/kind"
)

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
	s.markUndefined()
	return s
}
