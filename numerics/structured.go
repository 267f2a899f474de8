package numerics

import (
	"encoding/json"
	"fmt"
	"github.com/hessblock/hessblock/internal/membudget"
	"math"
	"runtime"

	"github.com/hessblock/hessblock/kind"
)

// This file computes the block statistics of H without forming it, from Gram
// identities. Every block family has the form
//
//	H_ab = (1/N) Σ_n c_n[a,b] g_n h_nᵀ (+ a residual term for hidden–output),
//
// so ‖H_ab‖_F² = (1/N²) Σ_{n,n'} c_n[a,b] c_n'[a,b] (g_n·g_n')(h_n·h_n').
// Summing over pairs turns the sums over (a, b) into N×N matrices built by
// GEMMs, and the result is an O(N²) contraction; nothing of size N·P is
// allocated.
//

// StructuredOptions selects what StructuredStats computes beyond ρ and R.
type StructuredOptions struct {
	// Pairs lists block pairs (indices into Layout) whose ‖H_ab‖_F² is
	// reported in StructuredStats.Pairs.
	Pairs [][2]int
	// SkipBlockNorms leaves StructuredStats.DiagFrobeniusSq nil: the family
	// sums then need one symmetric product instead of a full one for the
	// output family (1.5·N²·C instead of 2·N²·C multiply–adds).
	SkipBlockNorms bool
	// ClassChunk is the number of classes streamed at once; 0 picks 2048.
	ClassChunk int
}

const defaultClassChunk = 2048

// PairNorm is ‖H_ab‖_F² for one pair of blocks.
type PairNorm struct {
	A           int     `json:"a"`
	B           int     `json:"b"`
	FrobeniusSq float64 `json:"frobenius_sq"`
}

// StructuredStats are block statistics computed without forming H.
type StructuredStats struct {
	Summary
	Layout Layout `json:"-"`
	// DiagFrobeniusSq[a] = ‖H_aa‖_F² for every block (nil with
	// SkipBlockNorms).
	DiagFrobeniusSq []float64 `json:"diag_frobenius_sq,omitempty"`
	// Sums holds the sums the summary is built from.
	Sums  BlockSums  `json:"sums"`
	Pairs []PairNorm `json:"pairs,omitempty"`
}

// MarshalJSON writes the summary's fields (an undefined statistic as null
// with its reason) beside the others.
func (st StructuredStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		summaryJSON
		DiagFrobeniusSq []float64  `json:"diag_frobenius_sq,omitempty"`
		Sums            BlockSums  `json:"sums"`
		Pairs           []PairNorm `json:"pairs,omitempty"`
	}{st.Summary.toJSON(), st.DiagFrobeniusSq, st.Sums, st.Pairs})
}

// StructuredStats computes ρ, R per family, the norm of every diagonal
// block and of the requested pairs exactly, without forming H (see the
// identities at the top of structured.go). It agrees with
// ComputeBlockStats on the dense Hessian to round-off and runs where the
// dense Hessian would not fit in memory.
func (p *Problem) StructuredStats(opts StructuredOptions) (*StructuredStats, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if !p.cfg.legacy() { // deep networks and biases (measure.go)
		q, err := p.structuredProblem()
		if err != nil {
			return nil, err
		}
		return q.StructuredStats(opts)
	}
	l := p.Layout()
	for _, pr := range opts.Pairs {
		if pr[0] < 0 || pr[1] < 0 || pr[0] >= len(l.Blocks) || pr[1] >= len(l.Blocks) {
			return nil, fmt.Errorf("numerics: block pair (%d, %d) out of range [0, %d)", pr[0], pr[1], len(l.Blocks))
		}
	}
	if opts.ClassChunk < 0 {
		return nil, fmt.Errorf("numerics: ClassChunk = %d, want ≥ 0", opts.ClassChunk)
	}
	if err := p.CheckStructured(opts); err != nil {
		return nil, err
	}
	if opts.ClassChunk == 0 {
		opts.ClassChunk = defaultClassChunk
	}
	var st *StructuredStats
	var err error
	if p.cfg.Model == kind.Linear {
		st, err = p.structuredLinear(opts)
	} else {
		st, err = p.structuredMLP(opts)
	}
	if err != nil {
		return nil, err
	}
	st.Layout = l
	st.Summary = SummarizeSums(l, st.Sums)
	if err := st.checkFinite(); err != nil {
		return nil, err
	}
	return st, nil
}

// StructuredTooLargeError is returned when the work arrays of
// StructuredStats (mostly N×N), with the problem's data and forward pass,
// would exceed the memory budget (Problem.MaxBytes). It wraps a
// *membudget.Error.
type StructuredTooLargeError struct {
	N     int   // samples
	Bytes int64 // estimated peak: work arrays, data and forward pass
	Limit int64 // the budget
	// FitN is the largest N whose estimate fits the budget at the same
	// C, d and m (0 when even N = 1 does not).
	FitN int
}

func (e *StructuredTooLargeError) Error() string { return "numerics: " + e.Unwrap().Error() }

// Unwrap returns the *membudget.Error.
func (e *StructuredTooLargeError) Unwrap() error {
	hint := "use the sampled statistics (Measure with StatsSampled, or Problem.Block on chosen pairs)"
	if e.FitN > 0 {
		hint = fmt.Sprintf("N ≤ %d would fit; or %s", e.FitN, hint)
	}
	return &membudget.Error{What: fmt.Sprintf("the structured statistics at N = %d samples (N×N work arrays, data, forward pass)", e.N),
		Need: e.Bytes, Budget: e.Limit, Hint: hint}
}

// StructuredBytes estimates the peak memory StructuredStats with opts
// allocates beyond the forward pass: for the linear model one N×N array
// (MSE) or three, four with SkipBlockNorms, plus five N×min(C, ClassChunk)
// chunks (CE); for the MLP the larger of that output-family phase and the
// hidden–output phase, seven N×N arrays plus, per worker (GOMAXPROCS), an
// N×N Gram matrix and for CE 3·N·C + N·d + 2·d·C floats. It returns
// math.MaxInt64 when the count overflows int64.
func (c Config) StructuredBytes(opts StructuredOptions) int64 {
	n, cc, d := float64(c.N), float64(c.C), float64(c.D)
	chunk := opts.ClassChunk
	if chunk <= 0 {
		chunk = defaultClassChunk
	}
	ce := c.Loss == kind.CE
	out := n * n // output family
	if ce {
		out = 3*n*n + 5*n*math.Min(cc, float64(chunk))
		if opts.SkipBlockNorms {
			out += n * n
		}
	}
	floats := out
	if c.Model == kind.MLP {
		perWorker := n * n
		if ce {
			perWorker += 3*n*cc + n*d + 2*d*cc
		}
		floats = math.Max(out, 7*n*n+float64(runtime.GOMAXPROCS(0))*perWorker)
	}
	if b := 8 * floats; b < math.MaxInt64 {
		return int64(b)
	}
	return math.MaxInt64
}

// CheckStructured returns a *StructuredTooLargeError if the work arrays of
// StructuredStats with opts, beside the problem's data and (for the MLP) a
// forward pass, would exceed the memory budget (Problem.MaxBytes).
func (p *Problem) CheckStructured(opts StructuredOptions) error {
	if err := p.check(); err != nil {
		return err
	}
	need := func(c Config) int64 {
		if c.streamable() { // the linear model's statistics need no forward pass
			return membudget.Add(c.StructuredBytes(opts), c.DataBytes())
		}
		return membudget.Add(c.StructuredBytes(opts), c.ProblemBytes())
	}
	if b := need(p.cfg); b > p.maxBytes() {
		e := &StructuredTooLargeError{N: p.cfg.N, Bytes: b, Limit: p.maxBytes()}
		e.FitN = p.cfg.fitN(e.Limit, need)
		return e
	}
	return nil
}

func (st *StructuredStats) checkFinite() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	if bad(st.FrobeniusSq) || bad(st.OffBlockSq) {
		return fmt.Errorf("numerics: structured statistics are not finite (‖H‖_F² = %v)", st.FrobeniusSq)
	}
	if err := st.Summary.checkFinite(); err != nil {
		return err
	}
	for _, pr := range st.Pairs {
		if bad(pr.FrobeniusSq) {
			return fmt.Errorf("numerics: ‖H_ab‖_F² of pair (%d, %d) is %v", pr.A, pr.B, pr.FrobeniusSq)
		}
	}
	return nil
}
