package numerics

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/hessblock/hessblock/kind"
	"gonum.org/v1/gonum/mat"
)

// FamilyRatio is the pair ratio of one block family (THEORY §4):
//
//	R = sqrt( mean_{a≠b} ‖H_ab‖_F² / mean_a ‖H_aa‖_F² )
//
// over pairs of blocks of the same kind. For the hidden–output family the
// denominator is sqrt(mean_i ‖H_ii‖_F² · mean_k ‖H_kk‖_F²), the geometric
// mean of the two kinds' diagonal blocks.
//
// R is undefined when the denominator is 0 (H = 0, or the family's
// diagonal blocks vanish): then R is NaN and Undefined says why, and JSON
// holds "R": null and "R_undefined": the reason. A family without
// off-diagonal pairs (Pairs = 0) has R = 0 and no reason.
type FamilyRatio struct {
	Family     kind.Family
	R          float64
	Undefined  string  // why R is undefined; "" when it is defined
	MeanOffSq  float64 // mean ‖H_ab‖_F² over the family's off-diagonal pairs
	MeanDiagSq float64 // the denominator before the square root
	Pairs      int     // number of ordered off-diagonal pairs
}

// Reasons for an undefined statistic (FamilyRatio.Undefined,
// Summary.RhoUndefined).
const (
	UndefinedZeroH      = "H = 0"
	UndefinedZeroFamily = "the family's blocks are 0"
	UndefinedZeroDiag   = "the family's diagonal blocks are 0"
)

// Defined reports whether R is a number.
func (r FamilyRatio) Defined() bool { return r.Undefined == "" }

// familyRatioJSON is FamilyRatio's JSON form; R is null when undefined.
type familyRatioJSON struct {
	Family     kind.Family `json:"family"`
	R          *float64    `json:"R"`
	Undefined  string      `json:"R_undefined,omitempty"`
	MeanOffSq  float64     `json:"mean_off_sq"`
	MeanDiagSq float64     `json:"mean_diag_sq"`
	Pairs      int         `json:"pairs"`
}

// MarshalJSON writes an undefined R as null beside its reason.
func (r FamilyRatio) MarshalJSON() ([]byte, error) {
	return json.Marshal(familyRatioJSON{r.Family, Number(r.R), r.Undefined, r.MeanOffSq, r.MeanDiagSq, r.Pairs})
}

// UnmarshalJSON reads what MarshalJSON writes; null is NaN.
func (r *FamilyRatio) UnmarshalJSON(b []byte) error {
	var j familyRatioJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = FamilyRatio{j.Family, FromNumber(j.R), j.Undefined, j.MeanOffSq, j.MeanDiagSq, j.Pairs}
	return nil
}

// Number is v for JSON: nil (null) when v is NaN or infinite, which
// encoding/json refuses; the caller writes the reason beside it.
func Number(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// FromNumber is the inverse of Number: NaN for null.
func FromNumber(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// Summary holds the scalar block statistics. ρ is undefined when
// ‖H‖_F² = 0: then Rho is NaN, RhoUndefined says why, and JSON holds
// "rho": null and "rho_undefined": the reason.
type Summary struct {
	Ratios       []FamilyRatio
	Rho          float64 // ‖H − blockdiag(H)‖_F² / ‖H‖_F²
	RhoUndefined string  // why ρ is undefined; "" when it is defined
	FrobeniusSq  float64 // ‖H‖_F²
	OffBlockSq   float64 // ‖H − blockdiag(H)‖_F²
}

type summaryJSON struct {
	Ratios       []FamilyRatio `json:"ratios"`
	Rho          *float64      `json:"rho"`
	RhoUndefined string        `json:"rho_undefined,omitempty"`
	FrobeniusSq  float64       `json:"frobenius_sq"`
	OffBlockSq   float64       `json:"off_block_sq"`
}

// MarshalJSON writes an undefined ρ as null beside its reason.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(s.toJSON())
}

func (s Summary) toJSON() summaryJSON {
	return summaryJSON{s.Ratios, Number(s.Rho), s.RhoUndefined, s.FrobeniusSq, s.OffBlockSq}
}

// UnmarshalJSON reads what MarshalJSON writes; null is NaN.
func (s *Summary) UnmarshalJSON(b []byte) error {
	var j summaryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Summary{j.Ratios, FromNumber(j.Rho), j.RhoUndefined, j.FrobeniusSq, j.OffBlockSq}
	return nil
}

// markUndefined makes 0/0 explicit: ρ when ‖H‖_F² = 0, R when the
// family's diagonal mean is 0 (with off-diagonal pairs), each NaN with a
// reason. Every path (dense, structured, sampled) ends with it.
func (s *Summary) markUndefined() {
	zeroH := s.FrobeniusSq == 0
	if zeroH {
		s.Rho, s.RhoUndefined = math.NaN(), UndefinedZeroH
	}
	for i := range s.Ratios {
		r := &s.Ratios[i]
		if r.Pairs == 0 || r.MeanDiagSq != 0 {
			continue
		}
		switch {
		case zeroH:
			r.Undefined = UndefinedZeroH
		case r.MeanOffSq == 0:
			r.Undefined = UndefinedZeroFamily
		default:
			r.Undefined = UndefinedZeroDiag
		}
		r.R = math.NaN()
	}
}

// Ratio returns the pair ratio of family f, or NaN if f is absent.
func (s Summary) Ratio(f kind.Family) float64 {
	for _, r := range s.Ratios {
		if r.Family == f {
			return r.R
		}
	}
	return math.NaN()
}

// BlockStats holds the block statistics of a dense Hessian. Its JSON form
// is that of the Summary.
type BlockStats struct {
	Summary
	Layout Layout
	// FrobeniusSq[a][b] = ‖H_ab‖_F² (nb × nb).
	FrobeniusSq *mat.Dense
	// MeanAbs[a][b] = mean |H_ij| over the entries of block (a, b): the
	// block-averaged |H| map.
	MeanAbs *mat.Dense
}

// ComputeBlockStats computes block norms, the |H| map, R per family and ρ
// of h, whose rows and columns follow layout l.
func ComputeBlockStats(h mat.Symmetric, l Layout) (*BlockStats, error) {
	if err := checkLayout(h, l); err != nil {
		return nil, err
	}
	nb := len(l.Blocks)
	fro := mat.NewDense(nb, nb, nil)
	mabs := mat.NewDense(nb, nb, nil)
	for a, ba := range l.Blocks {
		for b := a; b < nb; b++ {
			bb := l.Blocks[b]
			var sq, ab float64
			for i := ba.Start; i < ba.End(); i++ {
				for j := bb.Start; j < bb.End(); j++ {
					v := h.At(i, j)
					if math.IsNaN(v) || math.IsInf(v, 0) {
						return nil, fmt.Errorf("numerics: Hessian entry (%d, %d) is %v", i, j, v)
					}
					sq += v * v
					ab += math.Abs(v)
				}
			}
			ab /= float64(ba.Size * bb.Size)
			fro.Set(a, b, sq)
			fro.Set(b, a, sq)
			mabs.Set(a, b, ab)
			mabs.Set(b, a, ab)
		}
	}
	bs := &BlockStats{
		Summary:     Summarize(l, fro.At),
		Layout:      l,
		FrobeniusSq: fro,
		MeanAbs:     mabs,
	}
	if err := bs.Summary.checkFinite(); err != nil {
		return nil, err
	}
	return bs, nil
}

// checkFinite reports sums of squared norms that overflowed float64 (H
// entries beyond ~1e154), which would make ρ a NaN.
func (s Summary) checkFinite() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	if bad(s.FrobeniusSq) || bad(s.OffBlockSq) || (bad(s.Rho) && s.RhoUndefined == "") {
		return fmt.Errorf("numerics: block statistics are not finite (‖H‖_F² = %v, ρ = %v): float64 overflowed", s.FrobeniusSq, s.Rho)
	}
	for _, r := range s.Ratios {
		if (bad(r.R) && r.Defined()) || bad(r.MeanOffSq) || bad(r.MeanDiagSq) {
			return fmt.Errorf("numerics: %s statistics are not finite (mean off %v, mean diag %v)", r.Family, r.MeanOffSq, r.MeanDiagSq)
		}
	}
	return nil
}

func checkLayout(h mat.Symmetric, l Layout) error {
	if isNilMatrix(h) {
		return fmt.Errorf("numerics: nil Hessian")
	}
	if err := l.Validate(); err != nil {
		return err
	}
	if n := h.SymmetricDim(); n != l.P {
		return fmt.Errorf("numerics: Hessian is %d×%d but the layout has %d parameters", n, n, l.P)
	}
	return nil
}

// Summarize computes R per family and ρ from the squared Frobenius norms
// of the blocks, frobSq(a, b) = ‖H_ab‖_F². The definitions live in
// SummarizeSums, which the structured path uses directly. l must be valid
// (Layout.Validate) and frobSq finite; ComputeBlockStats checks both.
func Summarize(l Layout, frobSq func(a, b int) float64) Summary {
	if l.deep() {
		return summarizeLayers(l, frobSq)
	}
	return SummarizeSums(l, SumsFromFrobenius(l, frobSq))
}

// summarizeLayers is Summarize for networks of three or more layers: the
// families are the layer pairs Lp-Lq, each same-layer family normalized by
// its layer's mean diagonal norm and each cross-layer family, like
// hidden–output, by √(mean ‖H_aa‖² · mean ‖H_bb‖²) over its two layers
// (THEORY §4), counted in both orientations in ρ.
func summarizeLayers(l Layout, frobSq func(a, b int) float64) Summary {
	names, members := l.sideGroups()
	diag := map[string]float64{}
	var s Summary
	for g, name := range names {
		for _, a := range members[g] {
			diag[name] += frobSq(a, a)
		}
		s.FrobeniusSq += diag[name]
	}
	for _, f := range l.Families() {
		as, bs := l.FamilyBlocks(f)
		ga, gb := l.familySides(f)
		var off float64
		for _, a := range as {
			for _, b := range bs {
				if a != b {
					off += frobSq(a, b)
				}
			}
		}
		pairs, mult := len(as)*len(bs), 2.0
		if ga == gb {
			pairs, mult = len(as)*(len(as)-1), 1
		}
		fr := FamilyRatio{Family: f, Pairs: pairs}
		if pairs > 0 {
			fr.MeanOffSq = off / float64(pairs)
			fr.MeanDiagSq = math.Sqrt(diag[ga]/float64(len(as))) * math.Sqrt(diag[gb]/float64(len(bs)))
			fr.R = ratio(fr.MeanOffSq, fr.MeanDiagSq)
		}
		s.Ratios = append(s.Ratios, fr)
		s.OffBlockSq += mult * off
	}
	s.FrobeniusSq += s.OffBlockSq
	if s.FrobeniusSq > 0 {
		s.Rho = s.OffBlockSq / s.FrobeniusSq
	}
	s.markUndefined()
	return s
}

// ratio is sqrt(off/diag): 0 when only off vanishes, NaN when diag does
// (Summary.markUndefined gives the reason).
func ratio(off, diag float64) float64 {
	switch {
	case diag == 0:
		return math.NaN()
	case off == 0:
		return 0
	}
	return math.Sqrt(off / diag)
}

func familyKinds(f kind.Family) (kind.Layer, kind.Layer) {
	switch f {
	case kind.HiddenHidden:
		return kind.Hidden, kind.Hidden
	case kind.OutputOutput:
		return kind.Output, kind.Output
	}
	return kind.Hidden, kind.Output
}

// BlockOfMatrix returns a copy of block (a, b) of h. A layout that does not
// fit h is an error; an index out of range panics.
func BlockOfMatrix(h mat.Symmetric, l Layout, a, b int) (*mat.Dense, error) {
	if err := checkLayout(h, l); err != nil {
		return nil, err
	}
	if a < 0 || b < 0 || a >= len(l.Blocks) || b >= len(l.Blocks) {
		panic(fmt.Sprintf("numerics: block (%d, %d) out of range [0, %d)", a, b, len(l.Blocks)))
	}
	ba, bb := l.Blocks[a], l.Blocks[b]
	out := mat.NewDense(ba.Size, bb.Size, nil)
	for i := 0; i < ba.Size; i++ {
		for j := 0; j < bb.Size; j++ {
			out.Set(i, j, h.At(ba.Start+i, bb.Start+j))
		}
	}
	return out, nil
}

// SymmetricEigenvalues returns the eigenvalues, ascending, of a square
// block. Blocks of the linear model and hidden–hidden and output–output
// blocks of the MLP are symmetric; for any other square block this is the
// spectrum of its symmetric part (B + Bᵀ)/2.
func SymmetricEigenvalues(blk mat.Matrix) ([]float64, error) {
	if err := checkMatrix(blk); err != nil {
		return nil, err
	}
	r, c := blk.Dims()
	if r != c {
		return nil, fmt.Errorf("numerics: eigenvalues of a %d×%d block: not square (use SingularValues)", r, c)
	}
	s := mat.NewSymDense(r, nil)
	for i := 0; i < r; i++ {
		for j := i; j < r; j++ {
			s.SetSym(i, j, (blk.At(i, j)+blk.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(s, false) {
		return nil, fmt.Errorf("numerics: symmetric eigendecomposition did not converge")
	}
	return eig.Values(nil), nil
}

// SingularValues returns the singular values of blk, descending.
func SingularValues(blk mat.Matrix) ([]float64, error) {
	if err := checkMatrix(blk); err != nil {
		return nil, err
	}
	var svd mat.SVD
	if !svd.Factorize(blk, mat.SVDNone) {
		return nil, fmt.Errorf("numerics: SVD did not converge")
	}
	return svd.Values(nil), nil
}

// SpectralNorm returns the largest singular value of blk.
func SpectralNorm(blk mat.Matrix) (float64, error) {
	sv, err := SingularValues(blk)
	if err != nil {
		return 0, err
	}
	if len(sv) == 0 {
		return 0, nil
	}
	return sv[0], nil
}

// BlockSpectralNorms returns ‖H_ab‖_2 for every pair of blocks (nb × nb).
// It costs one SVD per pair; prefer SpectralNorm on chosen blocks when the
// layout has many blocks.
func BlockSpectralNorms(h mat.Symmetric, l Layout) (*mat.Dense, error) {
	if err := checkLayout(h, l); err != nil {
		return nil, err
	}
	nb := len(l.Blocks)
	out := mat.NewDense(nb, nb, nil)
	for a := 0; a < nb; a++ {
		for b := a; b < nb; b++ {
			blk, _ := BlockOfMatrix(h, l, a, b)
			s, err := SpectralNorm(blk)
			if err != nil {
				return nil, err
			}
			out.Set(a, b, s)
			out.Set(b, a, s)
		}
	}
	return out, nil
}

// Eigenvalues returns the eigenvalues of h, ascending.
func Eigenvalues(h mat.Symmetric) ([]float64, error) {
	if err := checkMatrix(h); err != nil {
		return nil, err
	}
	var eig mat.EigenSym
	if !eig.Factorize(h, false) {
		return nil, fmt.Errorf("numerics: symmetric eigendecomposition did not converge")
	}
	return eig.Values(nil), nil
}

// checkMatrix rejects a nil or empty matrix, whose factorization would
// panic, and non-finite entries, on which LAPACK panics or returns NaN.
func checkMatrix(m mat.Matrix) error {
	if isNilMatrix(m) {
		return fmt.Errorf("numerics: nil matrix")
	}
	r, c := m.Dims()
	if r <= 0 || c <= 0 {
		return fmt.Errorf("numerics: empty %d×%d matrix", r, c)
	}
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("numerics: matrix entry (%d, %d) is %v", i, j, v)
			}
		}
	}
	return nil
}
