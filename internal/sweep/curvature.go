package sweep

import (
	"encoding/json"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// Split is the block structure of the two parts of H = G + Hres at a
// point: the Gauss–Newton part G and the residual part Hres
// (numerics.Problem.GaussNewton and Residual). Records carry it only when
// the sweep asks for it (Options.Curvature), so files without it keep
// their bytes.
type Split struct {
	GaussNewton Part `json:"gauss_newton"`
	Residual    Part `json:"residual"`
}

// Part holds ρ and R per family of one part of H, an undefined statistic
// (a zero part: Hres of the linear model) NaN with its reason.
type Part struct {
	Rho          float64
	RhoUndefined string
	Families     []PartFamily
}

// PartFamily is R of one family of a part of H.
type PartFamily struct {
	Family    kind.Family
	R         float64
	Undefined string
	Pairs     int
}

type partJSON struct {
	Rho          *float64     `json:"rho"`
	RhoUndefined string       `json:"rho_undefined,omitempty"`
	Families     []PartFamily `json:"families"`
}

type partFamilyJSON struct {
	Family    kind.Family `json:"family"`
	R         *float64    `json:"R"`
	Undefined string      `json:"R_undefined,omitempty"`
	Pairs     int         `json:"pairs"`
}

// MarshalJSON writes an undefined ρ as null beside its reason.
func (p Part) MarshalJSON() ([]byte, error) {
	return json.Marshal(partJSON{numerics.Number(p.Rho), p.RhoUndefined, p.Families})
}

// UnmarshalJSON reads what MarshalJSON writes; null is NaN.
func (p *Part) UnmarshalJSON(b []byte) error {
	var j partJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Part{numerics.FromNumber(j.Rho), j.RhoUndefined, j.Families}
	return nil
}

// MarshalJSON writes an undefined R as null beside its reason.
func (f PartFamily) MarshalJSON() ([]byte, error) {
	return json.Marshal(partFamilyJSON{f.Family, numerics.Number(f.R), f.Undefined, f.Pairs})
}

// UnmarshalJSON reads what MarshalJSON writes; null is NaN.
func (f *PartFamily) UnmarshalJSON(b []byte) error {
	var j partFamilyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = PartFamily{j.Family, numerics.FromNumber(j.R), j.Undefined, j.Pairs}
	return nil
}

// MeasureCurvature is Measure plus the Split of the point, from the dense
// G and Hres (formed one after the other: O(N·P²) time each and P² floats;
// a point over numerics.DefaultMaxDenseBytes or the memory budget fails
// with the reason).
func MeasureCurvature(cfg numerics.Config) (Record, error) {
	rec, err := Measure(cfg)
	if err != nil {
		return Record{}, err
	}
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		return Record{}, err
	}
	l := p.Layout()
	var split Split
	for _, part := range []struct {
		name  string
		dense func() (*mat.SymDense, error)
		out   *Part
	}{{"Gauss–Newton part G", p.GaussNewton, &split.GaussNewton}, {"residual part Hres", p.Residual, &split.Residual}} {
		m, err := part.dense()
		if err != nil {
			return Record{}, fmt.Errorf("sweep: %s: %w", part.name, err)
		}
		bs, err := numerics.ComputeBlockStats(m, l)
		if err != nil {
			return Record{}, fmt.Errorf("sweep: %s: %w", part.name, err)
		}
		*part.out = Part{Rho: bs.Rho, RhoUndefined: bs.RhoUndefined}
		for _, r := range bs.Ratios {
			part.out.Families = append(part.out.Families, PartFamily{r.Family, r.R, r.Undefined, r.Pairs})
		}
	}
	if err := split.checkFinite(); err != nil {
		return Record{}, err
	}
	rec.Curvature = &split
	return rec, nil
}

// MeasureCurvatureBytes estimates the peak memory of MeasureCurvature(cfg):
// the larger of Measure's and the problem with one dense part and its
// block statistics (a P×P matrix and the B×B tables, B blocks).
func MeasureCurvatureBytes(cfg numerics.Config) int64 {
	blocks := float64(len(cfg.Layout().Blocks))
	dense := membudget.Add(cfg.ProblemBytes(), membudget.Add(cfg.DenseBytes(), membudget.Floats(2*blocks*blocks)))
	return max(MeasureBytes(cfg), dense)
}

// checkFinite refuses a split JSON cannot hold: NaN exactly when a reason
// says the statistic is undefined, and never ±Inf.
func (s Split) checkFinite() error {
	for _, p := range []struct {
		name string
		part Part
	}{{"gauss_newton", s.GaussNewton}, {"residual", s.Residual}} {
		stats := []struct {
			what, undefined string
			v               float64
		}{{"rho", p.part.RhoUndefined, p.part.Rho}}
		for _, f := range p.part.Families {
			stats = append(stats, struct {
				what, undefined string
				v               float64
			}{string(f.Family) + " R", f.Undefined, f.R})
		}
		for _, st := range stats {
			if (st.undefined != "") != math.IsNaN(st.v) || math.IsInf(st.v, 0) {
				return fmt.Errorf("%s %s = %v with the reason %q: want a finite value, or NaN exactly when undefined", p.name, st.what, st.v, st.undefined)
			}
		}
	}
	return nil
}
