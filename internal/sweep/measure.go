package sweep

import (
	"fmt"
	"math"

	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// Record is the measurement of one point: one JSON line of a sweep file.
// Field order is fixed and no field depends on time or machine, so the
// same point always serialises to the same bytes.
type Record struct {
	Key    string          `json:"key"`
	Config numerics.Config `json:"config"`
	Gamma  float64         `json:"gamma"`  // d/N
	Params int             `json:"params"` // P
	// Rho is the off-block mass ‖H − blockdiag(H)‖_F² / ‖H‖_F².
	Rho      float64        `json:"rho"`
	Families []FamilyResult `json:"families"`
}

// FamilyResult holds the statistics of one block family.
type FamilyResult struct {
	Family kind.Family `json:"family"`
	// R is the pair ratio sqrt(mean_{a≠b} ‖H_ab‖_F² / mean_a ‖H_aa‖_F²).
	R     float64 `json:"R"`
	Pairs int     `json:"pairs"`
	// DiagNorm is ‖H_aa‖₂ of the family's first block (the largest
	// eigenvalue in absolute value; absent for hidden–output).
	DiagNorm float64 `json:"diag_norm,omitempty"`
	// OffNorm is ‖H_ab‖₂ of the family's first off-diagonal pair.
	OffNorm float64 `json:"off_norm"`
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
	rec := Record{Key: Key(cfg), Config: cfg, Gamma: cfg.Gamma(), Params: p.NumParams(), Rho: m.Summary.Rho}
	for i, fr := range m.Summary.Ratios {
		res := FamilyResult{Family: fr.Family, R: fr.R, Pairs: fr.Pairs}
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
	if err := bad("rho", r.Rho); err != nil {
		return err
	}
	for _, f := range r.Families {
		for _, x := range []struct {
			n string
			v float64
		}{{"R", f.R}, {"diag_norm", f.DiagNorm}, {"off_norm", f.OffNorm}} {
			if err := bad(string(f.Family)+" "+x.n, x.v); err != nil {
				return err
			}
		}
	}
	return nil
}
