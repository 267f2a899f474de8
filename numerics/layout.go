package numerics

import (
	"fmt"

	"github.com/hessblock/hessblock/kind"
)

// Block is one neuron's parameter block: θ[Start : Start+Size].
type Block struct {
	Name  string     `json:"name"` // "W[3]", "V[17]"
	Kind  kind.Layer `json:"kind"`
	Index int        `json:"index"` // the row of W or V
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

// Layout returns the block layout of the configuration: for the linear
// model C output blocks W[k] of size d; for the MLP m hidden blocks W[i] of
// size d followed by C output blocks V[k] of size m.
func (c Config) Layout() Layout {
	var l Layout
	add := func(name string, kind kind.Layer, count, size int) {
		for i := 0; i < count; i++ {
			l.Blocks = append(l.Blocks, Block{Name: fmt.Sprintf("%s[%d]", name, i), Kind: kind, Index: i, Start: l.P, Size: size})
			l.P += size
		}
	}
	if c.Model == kind.MLP {
		add("W", kind.Hidden, c.M, c.D)
		add("V", kind.Output, c.C, c.M)
	} else {
		add("W", kind.Output, c.C, c.D)
	}
	return l
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
// model; hidden-hidden, output-output and hidden-output for the MLP.
func (l Layout) Families() []kind.Family {
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
// border between hidden and output blocks): where a figure of H draws thin
// and thick grid lines.
func (l Layout) Boundaries() (within, kind []int) {
	for i, b := range l.Blocks {
		if i == 0 {
			continue
		}
		if b.Kind != l.Blocks[i-1].Kind {
			kind = append(kind, b.Start)
		} else {
			within = append(within, b.Start)
		}
	}
	return within, kind
}
