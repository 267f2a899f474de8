package inspect

import (
	"errors"
	"fmt"
	"sort"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/krylov"
	"github.com/hessblock/hessblock/numerics"
)

// topBlocks is how many of an eigenvector's heaviest blocks the table and
// JSON list by name (the full per-block mass is in BlockMass).
const topBlocks = 5

// Eigvec is one of the top eigenpairs of H and how its eigenvector spreads
// over the blocks of θ.
type Eigvec struct {
	Value    float64 `json:"value"`
	Residual float64 `json:"residual"` // ‖Hv − λv‖: an eigenvalue lies within it of Value
	// Participation is (Σ v_i²)²/Σ v_i⁴, the effective number of entries
	// of v (1 … P).
	Participation float64 `json:"participation_ratio"`
	// LayerMass is the fraction of ‖v‖² in each layer, first to last.
	LayerMass []Mass `json:"layer_mass"`
	// TopBlocks are the heaviest blocks, heaviest first (at most 5).
	TopBlocks []Mass `json:"top_blocks"`
	// BlockMass is the fraction of ‖v‖² in each block, in layout order;
	// it sums to 1.
	BlockMass []float64 `json:"block_mass"`
	// Vector is the unit eigenvector (signed so that its largest entry is
	// positive), for -fig and tests; not in the JSON.
	Vector []float64 `json:"-"`
}

// Mass is the fraction of an eigenvector's ‖v‖² in a named part of θ.
type Mass struct {
	Name string  `json:"name"`
	Mass float64 `json:"mass"`
}

// LayerName is how inspect names layer l of the layout: the kind ("hidden",
// "output") for networks of at most two layers, "L1", "L2", … beyond, as
// the family names do.
func LayerName(l numerics.Layout, layer int) string {
	layers := 0
	for _, b := range l.Blocks {
		layers = max(layers, b.Layer)
	}
	if layers > 2 {
		return fmt.Sprintf("L%d", layer)
	}
	for _, b := range l.Blocks {
		if b.Layer == layer {
			return string(b.Kind)
		}
	}
	return fmt.Sprintf("L%d", layer)
}

// layerRanges returns, per layer first to last, its name and the range of θ
// it holds (θ runs layer by layer).
func layerRanges(l numerics.Layout) (names []string, starts, sizes []int) {
	for i, b := range l.Blocks {
		if i == 0 || b.Layer != l.Blocks[i-1].Layer {
			names = append(names, LayerName(l, b.Layer))
			starts = append(starts, b.Start)
			sizes = append(sizes, 0)
		}
		sizes[len(sizes)-1] = b.End() - starts[len(starts)-1]
	}
	return names, starts, sizes
}

// topEigvecs computes the k largest eigenpairs of the P×P operator h by
// krylov.TopEigenpairs and their block masses.
func topEigvecs(h krylov.Operator, l numerics.Layout, k int, seed uint64) ([]Eigvec, error) {
	opts := krylov.EigenpairOptions{Seed: seed, Tol: 1e-8}
	if err := membudget.Check(fmt.Sprintf("the Krylov basis for %d eigenvectors (P = %d)", k, l.P), krylov.TopEigenpairsBytes(l.P, k, opts), membudget.Limit(), "ask for fewer with -eigvecs"); err != nil {
		return nil, err
	}
	top, err := krylov.TopEigenpairs(h, l.P, k, opts)
	if err != nil && !(errors.Is(err, krylov.ErrNotConverged) && top != nil) {
		return nil, fmt.Errorf("inspect: top %d eigenpairs of H: %w", k, err)
	}
	starts, sizes := make([]int, len(l.Blocks)), make([]int, len(l.Blocks))
	for i, b := range l.Blocks {
		starts[i], sizes[i] = b.Start, b.Size
	}
	names, lstarts, lsizes := layerRanges(l)
	out := make([]Eigvec, len(top.Values))
	for i, v := range top.Vectors {
		e := Eigvec{Value: top.Values[i], Residual: top.Residuals[i], Vector: v}
		if e.Participation, err = krylov.ParticipationRatio(v); err != nil {
			return nil, err
		}
		if e.BlockMass, err = krylov.BlockMass(v, starts, sizes); err != nil {
			return nil, err
		}
		lm, err := krylov.BlockMass(v, lstarts, lsizes)
		if err != nil {
			return nil, err
		}
		for j, n := range names {
			e.LayerMass = append(e.LayerMass, Mass{Name: n, Mass: lm[j]})
		}
		order := make([]int, len(e.BlockMass))
		for j := range order {
			order[j] = j
		}
		sort.SliceStable(order, func(a, b int) bool { return e.BlockMass[order[a]] > e.BlockMass[order[b]] })
		for _, j := range order[:min(topBlocks, len(order))] {
			e.TopBlocks = append(e.TopBlocks, Mass{Name: l.Blocks[j].Name, Mass: e.BlockMass[j]})
		}
		out[i] = e
	}
	return out, nil
}
