package sweep

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// Record is the measurement of one point: one JSON line of a sweep file.
// Field order is fixed and no field depends on time or machine, so the
// same point always serialises to the same bytes. An undefined statistic
// (0/0, e.g. H = 0) is NaN here with its reason, and null in JSON beside
// "rho_undefined" or "R_undefined"; the other fields are always finite.
type Record struct {
	Key    string
	Config numerics.Config
	Gamma  float64 // d/N
	Params int     // P
	// Rho is the off-block mass ‖H − blockdiag(H)‖_F² / ‖H‖_F².
	Rho          float64
	RhoUndefined string // why ρ is undefined; "" when it is defined
	Families     []FamilyResult
	// Curvature is the G/Hres split (MeasureCurvature); nil, and absent
	// from the JSON, unless the sweep asked for it.
	Curvature *Split
}

type recordJSON struct {
	Key          string          `json:"key"`
	Config       numerics.Config `json:"config"`
	Gamma        float64         `json:"gamma"`
	Params       int             `json:"params"`
	Rho          *float64        `json:"rho"`
	RhoUndefined string          `json:"rho_undefined,omitempty"`
	Families     []FamilyResult  `json:"families"`
	Curvature    *Split          `json:"curvature,omitempty"`
}

// MarshalJSON writes an undefined ρ as null beside its reason.
func (r Record) MarshalJSON() ([]byte, error) {
	return json.Marshal(recordJSON{r.Key, r.Config, r.Gamma, r.Params, numerics.Number(r.Rho), r.RhoUndefined, r.Families, r.Curvature})
}

// UnmarshalJSON reads what MarshalJSON writes; null is NaN. (Unknown
// fields are caught by the file reader's canonical-form check.)
func (r *Record) UnmarshalJSON(b []byte) error {
	var j recordJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Record{j.Key, j.Config, j.Gamma, j.Params, numerics.FromNumber(j.Rho), j.RhoUndefined, j.Families, j.Curvature}
	return nil
}

// FamilyResult holds the statistics of one block family.
type FamilyResult struct {
	Family kind.Family
	// R is the pair ratio sqrt(mean_{a≠b} ‖H_ab‖_F² / mean_a ‖H_aa‖_F²),
	// NaN when undefined.
	R         float64
	Undefined string // why R is undefined; "" when it is defined
	Pairs     int
	// DiagNorm is ‖H_aa‖₂ of the family's first block (the largest
	// eigenvalue in absolute value; absent for hidden–output).
	DiagNorm float64
	// OffNorm is ‖H_ab‖₂ of the family's first off-diagonal pair.
	OffNorm float64
}

type familyResultJSON struct {
	Family    kind.Family `json:"family"`
	R         *float64    `json:"R"`
	Undefined string      `json:"R_undefined,omitempty"`
	Pairs     int         `json:"pairs"`
	DiagNorm  float64     `json:"diag_norm,omitempty"`
	OffNorm   float64     `json:"off_norm"`
}

// MarshalJSON writes an undefined R as null beside its reason.
func (f FamilyResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(familyResultJSON{f.Family, numerics.Number(f.R), f.Undefined, f.Pairs, f.DiagNorm, f.OffNorm})
}

// UnmarshalJSON reads what MarshalJSON writes; null is NaN.
func (f *FamilyResult) UnmarshalJSON(b []byte) error {
	var j familyResultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = FamilyResult{j.Family, numerics.FromNumber(j.R), j.Undefined, j.Pairs, j.DiagNorm, j.OffNorm}
	return nil
}

// Family returns the result for family f and whether it is present.
func (r Record) Family(f kind.Family) (FamilyResult, bool) {
	for _, fr := range r.Families {
		if fr.Family == f {
			return fr, true
		}
	}
	return FamilyResult{}, false
}

// Measure returns the block statistics of cfg at initialization without
// forming H (numerics.Measure with StatsStructured: exact Gram identities,
// equal to the dense statistics to round-off, affordable at large C), and
// the spectral norms of each family's representative blocks
// (numerics.Layout.Representative) from single blocks.
func Measure(cfg numerics.Config) (Record, error) {
	p, err := numerics.NewProblem(cfg)
	if err != nil {
		return Record{}, err
	}
	m, err := numerics.Measure(p, numerics.MeasureOptions{Method: numerics.StatsStructured, Blocks: true})
	if err != nil {
		return Record{}, err
	}
	rec := Record{Key: Key(cfg), Config: cfg, Gamma: cfg.Gamma(), Params: p.NumParams(), Rho: m.Summary.Rho, RhoUndefined: m.Summary.RhoUndefined}
	for i, fr := range m.Summary.Ratios {
		res := FamilyResult{Family: fr.Family, R: fr.R, Undefined: fr.Undefined, Pairs: fr.Pairs}
		if b := m.Blocks[i]; b.Diag != nil {
			res.DiagNorm = b.Diag.SigmaMax
		}
		if b := m.Blocks[i]; b.Off != nil {
			res.OffNorm = b.Off.SigmaMax
		}
		rec.Families = append(rec.Families, res)
	}
	if err := rec.checkFinite(); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// checkFinite refuses records JSON cannot hold, naming the culprit.
func (r Record) checkFinite() error {
	bad := func(name string, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s is %v (undefined at this point)", name, v)
		}
		return nil
	}
	// An undefined statistic is NaN with a reason (JSON null); a NaN or
	// ±Inf without one is a failure.
	if (r.RhoUndefined != "") != math.IsNaN(r.Rho) {
		return fmt.Errorf("rho = %v with the reason %q: want NaN exactly when undefined", r.Rho, r.RhoUndefined)
	}
	if r.RhoUndefined == "" {
		if err := bad("rho", r.Rho); err != nil {
			return err
		}
	}
	for _, f := range r.Families {
		if (f.Undefined != "") != math.IsNaN(f.R) {
			return fmt.Errorf("%s R = %v with the reason %q: want NaN exactly when undefined", f.Family, f.R, f.Undefined)
		}
		r := f.R
		if f.Undefined != "" {
			r = 0
		}
		for _, x := range []struct {
			n string
			v float64
		}{{"R", r}, {"diag_norm", f.DiagNorm}, {"off_norm", f.OffNorm}} {
			if err := bad(string(f.Family)+" "+x.n, x.v); err != nil {
				return err
			}
		}
	}
	return nil
}
