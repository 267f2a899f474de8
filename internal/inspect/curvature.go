package inspect

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/krylov"
	"github.com/hessblock/hessblock/numerics"
)

// notFormed is the reason the split has no block statistics on the
// structured path.
const notFormed = "G and Hres were not formed (H is over -max-dense-bytes); λmax is by Lanczos on G·v and Hres·v"

// curvatureSplit returns the statistics of the Gauss–Newton part G and the
// residual part Hres of H = G + Hres. With the dense H (h non-nil) both
// parts are formed, one at a time beside H, and get every statistic; without
// it only their λmax is computed, matrix-free.
func curvatureSplit(p *numerics.Problem, h *mat.SymDense, seed uint64) (g, res *Stats, err error) {
	l := p.Layout()
	parts := []struct {
		name  string
		dense func() (*mat.SymDense, error)
		op    func() krylov.Operator
	}{
		{"Gauss–Newton part G", p.GaussNewton, p.GaussNewtonVec},
		{"residual part Hres", p.Residual, p.ResidualVec},
	}
	out := make([]*Stats, 2)
	for i, part := range parts {
		if h == nil {
			lm, r, err := lambdaMax(part.op(), l.P, seed)
			if err != nil {
				return nil, nil, fmt.Errorf("inspect: %s: %w", part.name, err)
			}
			out[i] = &Stats{Rho: math.NaN(), LambdaMax: lm, LambdaMaxResidual: r, NotComputed: notFormed}
			continue
		}
		// H stays formed while each part is: two P×P arrays and the data.
		cfg := p.Config()
		need := membudget.Add(membudget.Mul(cfg.DenseBytes(), 2), cfg.ProblemBytes())
		if err := membudget.Check("the "+part.name+" beside H", need, budget(p), "turn the split off with -curvature=false"); err != nil {
			return nil, nil, err
		}
		m, err := part.dense()
		if err != nil {
			return nil, nil, fmt.Errorf("inspect: %s: %w", part.name, err)
		}
		s, err := denseStats(m, l, seed)
		if err != nil {
			return nil, nil, fmt.Errorf("inspect: %s: %w", part.name, err)
		}
		out[i] = &s
	}
	return out[0], out[1], nil
}

// budget is the memory budget p's allocations are checked against.
func budget(p *numerics.Problem) int64 {
	if p.MaxBytes > 0 {
		return p.MaxBytes
	}
	return membudget.Limit()
}
