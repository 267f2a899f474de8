package precond

import (
	"fmt"
	"math"

	"github.com/hessblock/hessblock/krylov"
)

// DefaultDampingFactor is the damping relative to λmax(H) that
// DefaultDamping chooses: λ = 1e−3·λmax(H), small enough to leave the
// large eigenvalues alone and large enough to keep (|B| + λI)^{−1/2}
// within 1/√λ on the near-null directions of B.
const DefaultDampingFactor = 1e-3

// DampingFor returns factor·lambdaMax, which must be a finite value > 0.
func DampingFor(lambdaMax, factor float64) (float64, error) {
	d := factor * lambdaMax
	if !(lambdaMax > 0) || math.IsInf(lambdaMax, 0) {
		return 0, fmt.Errorf("precond: λmax(H) = %v, want a finite value > 0 to scale the damping by (H has no positive eigenvalue: choose the damping directly)", lambdaMax)
	}
	if err := checkDamping(d); err != nil {
		return 0, fmt.Errorf("precond: damping factor %v × λmax(H) %v: %w", factor, lambdaMax, err)
	}
	return d, nil
}

// DefaultDamping estimates λmax(H) of the p×p operator h by Lanczos (to a
// relative residual of 1e−8, start vector from seed) and returns
// DefaultDampingFactor·λmax(H).
func DefaultDamping(h krylov.Operator, p int, seed uint64) (float64, error) {
	ext, err := krylov.Lanczos(h, p, krylov.LanczosOptions{Tol: 1e-8, Seed: seed, LargestOnly: true})
	if err != nil {
		return 0, fmt.Errorf("precond: λmax(H) for the default damping: %w", err)
	}
	return DampingFor(ext.Max, DefaultDampingFactor)
}
