package numerics

import (
	"fmt"

	"github.com/hessblock/hessblock/kind"
)

// Block is one neuron's parameter block: θ[Start : Start+Size].
type Block struct {
	Name  string     `json:"name"`  // "W[3]", "V[17]", "W2[5]"
	Kind  kind.Layer `json:"kind"`  // hidden for layers l < L, output for l = L
	Layer int        `json:"layer"` // the 1-based weight layer l
	Index int        `json:"index"` // the row of W_l (W or V): the neuron
	Start int        `json:"start"`
	Size  int        `json:"size"`
}

// End is one past the block's last index in θ.
func (b Block) End() int { return b.Start + b.Size }

// Layout names every block of the parameter vector, in θ order.
type Layout struct {
	Blocks []Block `json:"blocks"`
	P      int     `json:"params"`
}

// Layout returns the block layout of the configuration: one block per
// neuron, layer by layer, each the neuron's incoming weight row followed by
// its bias when the layer has one. For the linear model C output blocks
// W[k] of size d (d+1 with a bias); for the one-hidden-layer MLP m hidden
// blocks W[i] followed by C output blocks V[k]; for L ≥ 3 layers the
// blocks W1[i], W2[i], …, WL[k].
func (c Config) Layout() Layout {
	var l Layout
	add := func(name string, kind kind.Layer, layer, count, size int) {
		for i := 0; i < count; i++ {
			l.Blocks = append(l.Blocks, Block{Name: fmt.Sprintf("%s[%d]", name, i), Kind: kind, Layer: layer, Index: i, Start: l.P, Size: size})
			l.P += size
		}
	}
	sizes := c.LayerSizes()
	L := len(sizes) - 1
	for layer := 1; layer <= L; layer++ {
		size := sizes[layer-1]
		if c.HasBias(layer) {
			size++
		}
		k, name := kind.Hidden, fmt.Sprintf("W%d", layer)
		if layer == L {
			k = kind.Output
		}
		switch {
		case L == 1:
			name = "W"
		case L == 2 && layer == 1:
			name = "W"
		case L == 2:
			name = "V"
		}
		add(name, k, layer, sizes[layer], size)
	}
	return l
}

// numLayers is the depth of the layout: the largest Block.Layer, or, for a
// layout built without layers, 2 when it has hidden blocks and 1 otherwise.
func (l Layout) numLayers() int {
	L := 0
	for _, b := range l.Blocks {
		L = max(L, b.Layer)
	}
	if L == 0 {
		if len(l.Of(kind.Hidden)) > 0 {
			return 2
		}
		return 1
	}
	return L
}

// deep reports whether the layout has three or more layers, so that its
// families are the layer pairs Lp-Lq.
func (l Layout) deep() bool { return l.numLayers() >= 3 }

// OfLayer returns the indices of the blocks of layer (1-based), in θ
// order.
func (l Layout) OfLayer(layer int) []int {
	var idx []int
	for i, b := range l.Blocks {
		if b.Layer == layer {
			idx = append(idx, i)
		}
	}
	return idx
}

// FamilyBlocks returns the blocks of the two sides of family f: for the
// legacy families the blocks of each kind, for Lp-Lq those of layers p and
// q. Both are empty for a family the layout does not have.
func (l Layout) FamilyBlocks(f kind.Family) (as, bs []int) {
	if p, q, ok := kind.LayerPairOf(f); ok {
		if !l.deep() {
			return nil, nil
		}
		return l.OfLayer(p), l.OfLayer(q)
	}
	if l.deep() {
		return nil, nil
	}
	ka, kb := familyKinds(f)
	return l.Of(ka), l.Of(kb)
}

// Layout returns the problem's block layout.
func (p *Problem) Layout() Layout { return p.Config().Layout() }

// Find returns the index of the block with the given name.
func (l Layout) Find(name string) (int, error) {
	for i, b := range l.Blocks {
		if b.Name == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("numerics: no block named %q", name)
}

// Of returns the indices of the blocks of one kind, in θ order.
func (l Layout) Of(kind kind.Layer) []int {
	var idx []int
	for i, b := range l.Blocks {
		if b.Kind == kind {
			idx = append(idx, i)
		}
	}
	return idx
}

// FamilyOf returns the family of the pair of blocks (a, b), or "" if a or
// b is not a block index.
func (l Layout) FamilyOf(a, b int) kind.Family {
	if a < 0 || b < 0 || a >= len(l.Blocks) || b >= len(l.Blocks) {
		return ""
	}
	if l.deep() {
		return kind.LayerPair(l.Blocks[a].Layer, l.Blocks[b].Layer, l.numLayers())
	}
	ka, kb := l.Blocks[a].Kind, l.Blocks[b].Kind
	switch {
	case ka == kind.Hidden && kb == kind.Hidden:
		return kind.HiddenHidden
	case ka == kind.Output && kb == kind.Output:
		return kind.OutputOutput
	}
	return kind.HiddenOutput
}

// Families lists the families present: output-output only for the linear
// model; hidden-hidden, output-output and hidden-output for the MLP; the
// layer pairs of kind.LayerFamilies for three or more layers.
func (l Layout) Families() []kind.Family {
	if l.deep() {
		return kind.LayerFamilies(l.numLayers())
	}
	if len(l.Of(kind.Hidden)) == 0 {
		return []kind.Family{kind.OutputOutput}
	}
	return []kind.Family{kind.HiddenHidden, kind.OutputOutput, kind.HiddenOutput}
}

// BlockOf returns the index of the block holding parameter i, or −1 if no
// block holds it (i outside [0, P) of a valid layout).
func (l Layout) BlockOf(i int) int {
	if i < 0 {
		return -1
	}
	lo, hi := 0, len(l.Blocks)
	for lo < hi {
		mid := (lo + hi) / 2
		if l.Blocks[mid].End() <= i {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(l.Blocks) || i < l.Blocks[lo].Start {
		return -1
	}
	return lo
}

// Validate checks that there is at least one block, that the blocks tile
// [0, P) in order with positive sizes and that each is hidden or output.
func (l Layout) Validate() error {
	if len(l.Blocks) == 0 {
		return fmt.Errorf("numerics: layout has no blocks")
	}
	next := 0
	for i, b := range l.Blocks {
		if b.Size <= 0 || b.Start != next || b.Size > l.P-next {
			return fmt.Errorf("numerics: layout block %d (%s) covers [%d, %d), want a non-empty range in [%d, P = %d)", i, b.Name, b.Start, b.Start+b.Size, next, l.P)
		}
		if b.Kind != kind.Hidden && b.Kind != kind.Output {
			return fmt.Errorf("numerics: layout block %d (%s) has kind %q, want %q or %q", i, b.Name, b.Kind, kind.Hidden, kind.Output)
		}
		next = b.End()
	}
	if next != l.P {
		return fmt.Errorf("numerics: layout blocks cover %d parameters, want P = %d", next, l.P)
	}
	return nil
}

// Boundaries returns the parameter index at which every block but the first
// starts, split into starts inside a kind and starts of a new kind (the
// border between hidden and output blocks, and between layers): where a
// figure of H draws thin and thick grid lines.
func (l Layout) Boundaries() (within, kind []int) {
	for i, b := range l.Blocks {
		if i == 0 {
			continue
		}
		if b.Kind != l.Blocks[i-1].Kind || b.Layer != l.Blocks[i-1].Layer {
			kind = append(kind, b.Start)
		} else {
			within = append(within, b.Start)
		}
	}
	return within, kind
}

// sideGroups lists the groups of blocks whose diagonal norms the block
// statistics average, in order: the kinds (hidden, output) of a layout of
// at most two layers, the layers of a deeper one. members[g] holds the
// blocks of group g.
func (l Layout) sideGroups() (names []string, members [][]int) {
	if l.deep() {
		for layer := 1; layer <= l.numLayers(); layer++ {
			names = append(names, fmt.Sprintf("L%d", layer))
			members = append(members, l.OfLayer(layer))
		}
		return names, members
	}
	for _, k := range []kind.Layer{kind.Hidden, kind.Output} {
		if idx := l.Of(k); len(idx) > 0 {
			names = append(names, string(k))
			members = append(members, idx)
		}
	}
	return names, members
}

// familySides returns the names of the side groups (sideGroups) of the
// two sides of family f.
func (l Layout) familySides(f kind.Family) (a, b string) {
	if p, q, ok := kind.LayerPairOf(f); ok {
		return fmt.Sprintf("L%d", p), fmt.Sprintf("L%d", q)
	}
	ka, kb := familyKinds(f)
	return string(ka), string(kb)
}
