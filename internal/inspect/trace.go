package inspect

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/krylov"
	"github.com/hessblock/hessblock/numerics"
)

// Trace holds the estimates of tr(H) from Probes Rademacher probes, the
// exact trace when H was formed, and the trace of each layer's diagonal
// block (the sum of its neurons' block traces).
type Trace struct {
	Probes        int
	Hutchinson    Estimate
	HutchPlusPlus Estimate
	// Exact is Σ_i H_ii on the dense path; NaN when H was not formed.
	Exact  float64
	Layers []LayerTrace
	// Diagonal is the estimate of diag(H) from the same number of probes
	// (krylov.Diagonal, Bekas et al.), with the exact diagonal beside it on
	// the dense path; nil above MaxDiagonal parameters, where
	// DiagonalOmitted says so.
	Diagonal        *Diagonal
	DiagonalOmitted string
}

// MaxDiagonal bounds the length of the per-entry diagonal inspect prints
// in JSON (three arrays of P numbers).
const MaxDiagonal = 10000

// Diagonal is a stochastic estimate of diag(H) with per-entry standard
// errors, and the exact diagonal when H was formed (nil otherwise).
// MaxAbsZ is max_i |Estimate_i − Exact_i| / StdErr_i over the entries
// with a positive standard error (NaN without the exact diagonal, or when
// every standard error is 0 or +Inf).
type Diagonal struct {
	Estimate, StdErr, Exact []float64
	MaxAbsZ                 float64
}

// MarshalJSON writes non-finite standard errors and MaxAbsZ as null.
func (d Diagonal) MarshalJSON() ([]byte, error) {
	se := make([]*float64, len(d.StdErr))
	for i, v := range d.StdErr {
		se[i] = finite(v)
	}
	return json.Marshal(struct {
		Estimate []float64  `json:"estimate"`
		StdErr   []*float64 `json:"std_err"`
		Exact    []float64  `json:"exact"`
		MaxAbsZ  *float64   `json:"max_abs_z"`
	}{d.Estimate, se, d.Exact, finite(d.MaxAbsZ)})
}

// diagonal estimates diag(H) with m probes and compares it with the exact
// diagonal of h when h is non-nil.
func diagonal(op krylov.Operator, h *mat.SymDense, n, m int, seed uint64) (*Diagonal, error) {
	est, err := krylov.Diagonal(op, n, krylov.TraceOptions{Probes: m, Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("inspect: diagonal estimate: %w", err)
	}
	d := &Diagonal{Estimate: est.Diag, StdErr: est.StdErr, MaxAbsZ: math.NaN()}
	if h == nil {
		return d, nil
	}
	d.Exact = make([]float64, n)
	for i := range d.Exact {
		d.Exact[i] = h.At(i, i)
		if se := d.StdErr[i]; se > 0 && !math.IsInf(se, 0) {
			z := math.Abs(d.Estimate[i]-d.Exact[i]) / se
			if math.IsNaN(d.MaxAbsZ) || z > d.MaxAbsZ {
				d.MaxAbsZ = z
			}
		}
	}
	return d, nil
}

// Estimate is a stochastic trace with its standard error (+Inf from a
// single probe, which leaves no spread to measure; JSON null).
type Estimate struct {
	Trace  float64
	StdErr float64
}

// LayerTrace is the trace of one layer's diagonal block: exact (StdErr 0)
// on the dense path, otherwise the mean over Probes Rademacher probes z of
// Σ_{i in the layer} z_i (Hz)_i. Those probes are drawn apart from
// krylov.Hutchinson's, so with one layer the two estimates differ within
// their errors.
type LayerTrace struct {
	Layer  string
	Trace  float64
	StdErr float64
	Exact  bool
}

// MarshalJSON writes a standard error of +Inf (one probe) as null.
func (e Estimate) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Trace  float64  `json:"trace"`
		StdErr *float64 `json:"std_err"`
	}{e.Trace, finite(e.StdErr)})
}

// MarshalJSON writes the exact trace as null when H was not formed.
func (t Trace) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Probes        int          `json:"probes"`
		Hutchinson    Estimate     `json:"hutchinson"`
		HutchPlusPlus Estimate     `json:"hutch_plus_plus"`
		Exact         *float64     `json:"exact"`
		Layers        []LayerTrace `json:"layers"`
		Diagonal      *Diagonal    `json:"diagonal,omitempty"`
		Omitted       string       `json:"diagonal_omitted,omitempty"`
	}{t.Probes, t.Hutchinson, t.HutchPlusPlus, finite(t.Exact), t.Layers, t.Diagonal, t.DiagonalOmitted})
}

// MarshalJSON writes a standard error of +Inf as null.
func (l LayerTrace) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Layer  string   `json:"layer"`
		Trace  float64  `json:"trace"`
		StdErr *float64 `json:"std_err"`
		Exact  bool     `json:"exact"`
	}{l.Layer, l.Trace, finite(l.StdErr), l.Exact})
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// traces estimates tr(H) of the P×P operator op with m probes by
// Hutchinson and Hutch++ (the same seed for both), and gives the exact
// trace and per-layer traces from the dense h when it is non-nil.
func traces(op krylov.Operator, h *mat.SymDense, l numerics.Layout, m int, seed uint64) (*Trace, error) {
	opts := krylov.TraceOptions{Probes: m, Seed: seed}
	hu, err := krylov.Hutchinson(op, l.P, opts)
	if err != nil {
		return nil, fmt.Errorf("inspect: Hutchinson trace: %w", err)
	}
	hpp, err := krylov.HutchPlusPlus(op, l.P, opts)
	if err != nil {
		return nil, fmt.Errorf("inspect: Hutch++ trace: %w", err)
	}
	t := &Trace{Probes: m, Hutchinson: Estimate{hu.Trace, hu.StdErr}, HutchPlusPlus: Estimate{hpp.Trace, hpp.StdErr}, Exact: math.NaN()}
	if l.P <= MaxDiagonal {
		if t.Diagonal, err = diagonal(op, h, l.P, m, seed); err != nil {
			return nil, err
		}
	} else {
		t.DiagonalOmitted = fmt.Sprintf("P = %d > %d: the per-entry diagonal is not written", l.P, MaxDiagonal)
	}
	names, starts, sizes := layerRanges(l)
	if h != nil {
		t.Exact = 0
		for i, name := range names {
			var s float64
			for j := starts[i]; j < starts[i]+sizes[i]; j++ {
				s += h.At(j, j)
			}
			t.Exact += s
			t.Layers = append(t.Layers, LayerTrace{Layer: name, Trace: s, Exact: true})
		}
		return t, nil
	}
	per, err := layerHutchinson(op, l.P, starts, sizes, m, seed)
	if err != nil {
		return nil, err
	}
	for i, name := range names {
		t.Layers = append(t.Layers, LayerTrace{Layer: name, Trace: per[i].Trace, StdErr: per[i].StdErr})
	}
	return t, nil
}

// layerHutchinson estimates the trace of each range's diagonal block as
// the mean over m Rademacher probes z of Σ_{i in range} z_i (Hz)_i, with
// its standard error.
func layerHutchinson(op krylov.Operator, n int, starts, sizes []int, m int, seed uint64) ([]Estimate, error) {
	r := rand.New(rand.NewPCG(seed, 0x1a7e))
	z := make([]float64, n)
	var hz []float64
	vals := make([][]float64, len(starts))
	for p := 0; p < m; p++ {
		for i := range z {
			z[i] = float64(2*int(r.Uint64()&1) - 1)
		}
		var err error
		if hz, err = op(hz, z); err != nil {
			return nil, fmt.Errorf("inspect: per-layer trace: %w", err)
		}
		for b, s := range starts {
			var d float64
			for i := s; i < s+sizes[b]; i++ {
				d += z[i] * hz[i]
			}
			vals[b] = append(vals[b], d)
		}
	}
	out := make([]Estimate, len(starts))
	for b, v := range vals {
		var mean float64
		for _, x := range v {
			mean += x
		}
		mean /= float64(len(v))
		se := math.Inf(1)
		if len(v) > 1 {
			var ss float64
			for _, x := range v {
				ss += (x - mean) * (x - mean)
			}
			se = math.Sqrt(ss / float64(len(v)-1) / float64(len(v)))
		}
		out[b] = Estimate{mean, se}
	}
	return out, nil
}
