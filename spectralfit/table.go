package spectralfit

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/hessblock/hessblock/theory"
)

// table tabulates a law's density on its support once, so that the
// objective evaluates the density and CDF at every eigenvalue by
// interpolation instead of a Stieltjes solve (and a quadrature, for the
// CDF) per point. On each support interval [lo, hi] the nodes are
// x = lo + (hi−lo)·sin²(θ/2) at midpoints of a uniform θ grid on [0, π]:
// dense at both edges, where the density has its square-root (or, at a
// hard edge, inverse square-root) behaviour, and the mass
// f(x)·(hi−lo)/2·sin θ dθ is smooth in θ.
type table struct {
	atom      float64
	intervals []theory.Interval
	// Per interval: density at the nodes, and the cumulative mass at the
	// right end of each node's cell (starting from the mass below).
	dens, cum [][]float64
	// mass of each interval.
	mass []float64
}

// nodesPerInterval: the widest interval gets mainNodes, the others (GMP
// islands) islandNodes.
const (
	mainNodes   = 80
	islandNodes = 8
)

func supportOf(law theory.SpectralLaw) ([]theory.Interval, error) {
	if g, ok := law.(theory.GeneralizedMP); ok {
		return g.SupportErr()
	}
	return law.Support(), nil
}

func newTable(law theory.SpectralLaw) (*table, error) {
	iv, err := supportOf(law)
	if err != nil {
		return nil, err
	}
	if len(iv) == 0 {
		return nil, errors.New("spectralfit: law has an empty support")
	}
	t := &table{atom: law.Atom(), intervals: iv}
	widest := 0
	for i, v := range iv {
		if v.Len() > iv[widest].Len() {
			widest = i
		}
	}
	var total float64
	for i, v := range iv {
		g := islandNodes
		if i == widest {
			g = mainNodes
		}
		dens := make([]float64, g)
		cells := make([]float64, g)
		w := v.Len()
		for j := range dens {
			theta := math.Pi * (float64(j) + 0.5) / float64(g)
			h := math.Sin(theta / 2)
			f := law.Prob(v.Min + w*h*h)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("spectralfit: law density %v at %v", f, v.Min+w*h*h)
			}
			dens[j] = f
			cells[j] = f * w / 2 * math.Sin(theta) * math.Pi / float64(g)
			total += cells[j]
		}
		t.dens = append(t.dens, dens)
		t.cum = append(t.cum, cells)
	}
	if !(total > 0) {
		return nil, errors.New("spectralfit: law has no continuous mass on its tabulated support")
	}
	// The quadrature's own error is absorbed by rescaling the continuous
	// part to 1 − atom.
	norm := (1 - t.atom) / total
	acc := t.atom
	for i := range t.cum {
		start := acc
		for j := range t.cum[i] {
			t.dens[i][j] *= norm
			acc += t.cum[i][j] * norm
			t.cum[i][j] = acc
		}
		t.mass = append(t.mass, acc-start)
	}
	return t, nil
}

// locate returns the interval holding x and x's position θ/π·g − 1/2 in
// node units, or −1 when x is outside the support.
func (t *table) locate(x float64) (int, float64) {
	i := sort.Search(len(t.intervals), func(i int) bool { return t.intervals[i].Max >= x })
	if i == len(t.intervals) || x < t.intervals[i].Min {
		return -1, 0
	}
	v := t.intervals[i]
	if v.Len() == 0 {
		return i, 0
	}
	theta := 2 * math.Asin(math.Sqrt(clamp((x-v.Min)/v.Len(), 0, 1)))
	return i, theta/math.Pi*float64(len(t.dens[i])) - 0.5
}

// pdf is the density of the continuous part at x, linear in θ between
// nodes and constant beyond the outer nodes.
func (t *table) pdf(x float64) float64 {
	i, pos := t.locate(x)
	if i < 0 {
		return 0
	}
	d := t.dens[i]
	if pos <= 0 {
		return d[0]
	}
	if pos >= float64(len(d)-1) {
		return d[len(d)-1]
	}
	j := int(pos)
	f := pos - float64(j)
	return d[j]*(1-f) + d[j+1]*f
}

// cdf is P(λ ≤ x), linear in θ within each cell.
func (t *table) cdf(x float64) float64 {
	if x < 0 {
		return 0
	}
	below := t.atom
	for i, v := range t.intervals {
		if x >= v.Max {
			below = t.cum[i][len(t.cum[i])-1]
			continue
		}
		if x <= v.Min {
			return below
		}
		_, pos := t.locate(x)
		c := pos + 0.5 // cells end at integer positions
		j := int(c)
		prev := below
		if j > 0 {
			prev = t.cum[i][j-1]
		}
		if j >= len(t.cum[i]) {
			return t.cum[i][len(t.cum[i])-1]
		}
		return prev + (t.cum[i][j]-prev)*(c-float64(j))
	}
	return 1
}

// edge returns the upper end of the highest support interval holding at
// least minMass: GMP laws with spread weights have islands far out, one per
// discretization atom, each with the mass of less than one eigenvalue of
// any sample at hand, which are not the edge of the bulk.
func (t *table) edge(minMass float64) float64 {
	for i := len(t.intervals) - 1; i > 0; i-- {
		if t.mass[i] >= minMass {
			return t.intervals[i].Max
		}
	}
	return t.intervals[0].Max
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
