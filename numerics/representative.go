package numerics

import (
	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
)

// Representative returns the blocks that stand for family f in reports:
// a, the first block of the family's left kind (its diagonal block H_aa,
// meaningful for hidden–hidden and output–output), and (a, b), the
// family's first off-diagonal pair. ok is false when the family has no
// off-diagonal pair (an MLP with a single hidden neuron); b is then a.
// The one choice is shared by inspect, the sweeps and the figures so that
// they all show the same blocks.
func (l Layout) Representative(f kind.Family) (a, b int, ok bool) {
	as, bs := l.FamilyBlocks(f)
	if len(as) == 0 || len(bs) == 0 {
		return 0, 0, false
	}
	if as[0] != bs[0] {
		return as[0], bs[0], true
	}
	if len(as) < 2 {
		return as[0], as[0], false
	}
	return as[0], as[1], true
}

// BlockSpectrum summarizes one Hessian block H_ab.
type BlockSpectrum struct {
	A    string `json:"a"`
	B    string `json:"b"`
	Rows int    `json:"rows"`
	Cols int    `json:"cols"`
	// LambdaMax and LambdaMin are the extreme eigenvalues of a square block
	// (of its symmetric part, which is the block itself for every square
	// representative block). Off-diagonal blocks of CE are negative
	// semidefinite at scale 1/C², so λmin is the informative end there.
	LambdaMax *float64 `json:"lambda_max,omitempty"`
	LambdaMin *float64 `json:"lambda_min,omitempty"`
	// SigmaMax is the largest singular value, ‖H_ab‖₂; the only spectral
	// summary of a non-square (hidden–output) block.
	SigmaMax float64 `json:"sigma_max"`
}

// FamilyBlocks holds the spectra of the representative blocks of one
// family (Layout.Representative).
type FamilyBlocks struct {
	Family kind.Family `json:"family"`
	// Diag is H_aa; nil for hidden–output, which has no diagonal blocks.
	Diag *BlockSpectrum `json:"diag,omitempty"`
	// Off is H_ab; nil when the family has no off-diagonal pair.
	Off *BlockSpectrum `json:"off,omitempty"`
}

// representativeSpectra computes FamilyBlocks for every family from single
// blocks (Problem.Block), never forming H.
func (p *Problem) representativeSpectra() ([]FamilyBlocks, error) {
	l := p.Layout()
	// One forward pass (or, for the linear model, one pass of streamed
	// normalizers) serves every block.
	var block func(a, b int) (*mat.Dense, error)
	if p.cfg.streamable() {
		var err error
		if block, err = p.streamBlocks(); err != nil {
			return nil, err
		}
	} else {
		fw := p.forward()
		block = func(a, b int) (*mat.Dense, error) { return p.blockFrom(fw, a, b) }
	}
	var out []FamilyBlocks
	for _, f := range l.Families() {
		fb := FamilyBlocks{Family: f}
		a, b, ok := l.Representative(f)
		if as, bs := l.FamilyBlocks(f); len(as) > 0 && len(bs) > 0 && as[0] == bs[0] {
			s, err := blockSpectrum(block, l, a, a)
			if err != nil {
				return nil, err
			}
			fb.Diag = &s
		}
		if ok {
			s, err := blockSpectrum(block, l, a, b)
			if err != nil {
				return nil, err
			}
			fb.Off = &s
		}
		out = append(out, fb)
	}
	return out, nil
}

func blockSpectrum(block func(a, b int) (*mat.Dense, error), l Layout, a, b int) (BlockSpectrum, error) {
	blk, err := block(a, b)
	if err != nil {
		return BlockSpectrum{}, err
	}
	r, c := blk.Dims()
	s := BlockSpectrum{A: l.Blocks[a].Name, B: l.Blocks[b].Name, Rows: r, Cols: c}
	if s.SigmaMax, err = SpectralNorm(blk); err != nil {
		return s, err
	}
	if r == c {
		ev, err := SymmetricEigenvalues(blk)
		if err != nil {
			return s, err
		}
		lo, hi := ev[0], ev[len(ev)-1]
		s.LambdaMin, s.LambdaMax = &lo, &hi
	}
	return s, nil
}
