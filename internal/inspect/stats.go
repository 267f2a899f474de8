package inspect

import (
	"encoding/json"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/krylov"
	"github.com/hessblock/hessblock/numerics"
)

// Stats are the block statistics of one symmetric matrix with the layout
// of θ: H itself (the top level of Result), its Gauss–Newton part G or its
// residual part Hres. One type serves the three so that they print alike.
type Stats struct {
	// R per family; R is 0 for a family without off-diagonal pairs. An
	// undefined R or ρ (0/0, e.g. a zero matrix) is NaN with its reason.
	Ratios       []numerics.FamilyRatio `json:"ratios"`
	Rho          float64                `json:"rho"`
	RhoUndefined string                 `json:"rho_undefined,omitempty"`
	Frobenius    float64                `json:"frobenius"`  // ‖·‖_F
	LambdaMax    float64                `json:"lambda_max"` // the largest (algebraic) eigenvalue
	// LambdaMaxResidual bounds the error of a Lanczos LambdaMax; 0 when it
	// is exact to round-off.
	LambdaMaxResidual float64 `json:"lambda_max_residual,omitempty"`
	// NotComputed, when set, says why Ratios, Rho and Frobenius are absent
	// (the matrix was not formed); LambdaMax is then still given.
	NotComputed string `json:"not_computed,omitempty"`
}

// MarshalJSON writes the fields of the top level of inspect's JSON, an
// undefined or absent statistic as null. (The tags serve decoding, where
// null leaves the zero value.)
func (s Stats) MarshalJSON() ([]byte, error) {
	var frob *float64
	if s.NotComputed == "" {
		frob = &s.Frobenius
	}
	return json.Marshal(struct {
		Ratios            []numerics.FamilyRatio `json:"ratios"`
		Rho               *float64               `json:"rho"`
		RhoUndefined      string                 `json:"rho_undefined,omitempty"`
		Frobenius         *float64               `json:"frobenius"`
		LambdaMax         float64                `json:"lambda_max"`
		LambdaMaxResidual float64                `json:"lambda_max_residual,omitempty"`
		NotComputed       string                 `json:"not_computed,omitempty"`
	}{s.Ratios, numerics.Number(s.Rho), s.RhoUndefined, frob, s.LambdaMax, s.LambdaMaxResidual, s.NotComputed})
}

// denseStats computes the statistics of the dense m.
func denseStats(m *mat.SymDense, l numerics.Layout, seed uint64) (Stats, error) {
	bs, err := numerics.ComputeBlockStats(m, l)
	if err != nil {
		return Stats{}, err
	}
	s := Stats{Ratios: bs.Ratios, Rho: bs.Rho, RhoUndefined: bs.RhoUndefined, Frobenius: math.Sqrt(bs.Summary.FrobeniusSq)}
	if bs.Summary.FrobeniusSq == 0 {
		return s, nil // the zero matrix: λmax = 0, and Lanczos has nothing to start from
	}
	s.LambdaMax, s.LambdaMaxResidual, err = lambdaMax(denseOperator(m), l.P, seed)
	return s, err
}

// lambdaMax is the largest eigenvalue of op by Lanczos, to a relative
// residual of 1e−8 (as numerics.Measure's structured path), with the
// residual that bounds its error.
func lambdaMax(op krylov.Operator, n int, seed uint64) (float64, float64, error) {
	ext, err := krylov.Lanczos(op, n, krylov.LanczosOptions{Tol: 1e-8, Seed: seed, LargestOnly: true})
	if err != nil {
		return 0, 0, fmt.Errorf("λmax by Lanczos: %w", err)
	}
	return ext.Max, ext.MaxResidual, nil
}

// denseOperator applies the dense symmetric m, faster than the
// Hessian–vector products of numerics once m is formed.
func denseOperator(m *mat.SymDense) krylov.Operator {
	n := m.SymmetricDim()
	return func(dst, v []float64) ([]float64, error) {
		if len(v) != n {
			return nil, fmt.Errorf("inspect: vector of length %d for a %d×%d matrix", len(v), n, n)
		}
		if len(dst) != n {
			dst = make([]float64, n)
		}
		mat.NewVecDense(n, dst).MulVec(m, mat.NewVecDense(n, v))
		return dst, nil
	}
}
