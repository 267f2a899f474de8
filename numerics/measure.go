package numerics

import (
	"errors"
	"fmt"
	"math"
	"runtime"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/krylov"
	"gonum.org/v1/gonum/mat"
)

// streamStats is the random stream of block sampling and of the Lanczos
// start vector of TopEigenvalues in Measure.
const streamStats uint64 = 0x7374_6174_7300 // "stats"

// StatsMethod selects how Measure obtains block norms.
type StatsMethod string

const (
	// StatsAuto uses StatsDense when the Hessian has at most
	// StatsOptions.MaxDenseParams parameters and fits the memory limit,
	// StatsStructured otherwise.
	StatsAuto StatsMethod = "auto"
	// StatsDense forms H and computes every block norm exactly.
	StatsDense StatsMethod = "dense"
	// StatsStructured computes every block norm sum exactly without
	// forming H (Problem.StructuredStats: O(N²·C) time, O(N²) memory).
	StatsStructured StatsMethod = "structured"
	// StatsSampled computes exact norms of a seeded random sample of
	// blocks, one block at a time (O(N·size²) each, never forming H), and
	// estimates the family means, R and ρ from them. Families with no more
	// blocks than the sample size are enumerated, hence exact. Uniform
	// sampling is unbiased but inefficient when a few pairs carry most of
	// the mass, as after training on Zipf-distributed classes: on the
	// Go-text task (C = 1000, N = 4000) it gave ρ = 0.0014 ± 0.0011 where
	// the exact value is 0.077, its standard error blind to the heavy
	// pairs it did not draw. Prefer the exact methods when affordable.
	StatsSampled StatsMethod = "sampled"
)

// ParseStatsMethod accepts "auto", "dense", "structured" and "sampled".
func ParseStatsMethod(s string) (StatsMethod, error) {
	switch m := StatsMethod(s); m {
	case StatsAuto, StatsDense, StatsStructured, StatsSampled:
		return m, nil
	case "":
		return StatsAuto, nil
	}
	return "", fmt.Errorf("numerics: unknown statistics method %q (want auto, dense, structured or sampled)", s)
}

// MeasureOptions configures Measure. The zero value is valid: auto method,
// the defaults below, no eigenvalues, no block spectra.
type MeasureOptions struct {
	Method StatsMethod
	// MaxDenseParams is the largest P for which StatsAuto forms H
	// (default 2000: about a second per Hessian at N of a few thousand;
	// math.MaxInt leaves the choice to Problem.MaxDenseBytes alone).
	MaxDenseParams int
	// DiagSamples is the number of diagonal blocks of each kind sampled
	// (default 64); PairSamples the number of off-diagonal pairs of each
	// family (default 256). A kind or family with at most that many
	// blocks or pairs is enumerated.
	DiagSamples, PairSamples int
	// TopEigenvalues is the number k of largest eigenvalues of H to
	// compute by Lanczos on Hessian–vector products (0: none).
	TopEigenvalues int
	// LanczosSteps is the Krylov dimension (default max(3k, 30), at most
	// P); with LanczosSteps = P the Ritz values are the exact spectrum.
	LanczosSteps int
	// Seed drives the block sample and the Lanczos start vectors.
	Seed uint64
	// LambdaMax asks for λmax(H) to tolerance rather than after a fixed
	// number of steps: from the eigenvalues of H on the dense path, by
	// Lanczos (relative residual 1e-8) otherwise.
	LambdaMax bool
	// Blocks asks for the spectra of each family's representative blocks.
	Blocks bool
	// KeepHessian keeps the dense H in the Measurement (for export and
	// figures) when the dense path formed it.
	KeepHessian bool
}

// Validate reports an unknown method or a negative count.
func (o MeasureOptions) Validate() error {
	if _, err := ParseStatsMethod(string(o.Method)); err != nil {
		return err
	}
	if o.MaxDenseParams < 0 || o.DiagSamples < 0 || o.PairSamples < 0 || o.TopEigenvalues < 0 || o.LanczosSteps < 0 {
		return fmt.Errorf("numerics: negative statistics option in %+v", o)
	}
	return nil
}

func (o MeasureOptions) withDefaults() MeasureOptions {
	if o.Method == "" {
		o.Method = StatsAuto
	}
	if o.MaxDenseParams == 0 {
		o.MaxDenseParams = 2000
	}
	if o.DiagSamples == 0 {
		o.DiagSamples = 64
	}
	if o.PairSamples == 0 {
		o.PairSamples = 256
	}
	if o.LanczosSteps == 0 {
		o.LanczosSteps = max(3*o.TopEigenvalues, 30)
	}
	return o
}

// Measurement is what Measure found: the block statistics of the Hessian
// at one point and, as asked, the top of its spectrum and the spectra of
// representative blocks. Fields that were not asked for are zero and left
// out of the JSON, so a training checkpoint serialises as it always has.
type Measurement struct {
	// Method is StatsDense, StatsStructured or StatsSampled (never
	// StatsAuto). Dense and structured are exact.
	Method  StatsMethod `json:"method"`
	Summary Summary     `json:"summary"`
	// RatioStdErr[i] is the standard error of Summary.Ratios[i].R from
	// the block sample (delta method, independent draws), and RhoStdErr
	// that of ρ; both are 0 for the exact methods and for enumerated
	// families.
	RatioStdErr []float64 `json:"ratio_std_err,omitempty"`
	RhoStdErr   float64   `json:"rho_std_err"`
	// TopEigenvalues holds the largest Ritz values, descending; each is a
	// lower bound on the corresponding eigenvalue and exact when
	// LanczosSteps = P.
	TopEigenvalues []float64 `json:"top_eigenvalues,omitempty"`
	// LambdaMax is the largest eigenvalue of H: with MeasureOptions.LambdaMax,
	// exact to round-off on the dense path and a Lanczos estimate within
	// LambdaMaxResidual otherwise; without it, the first of TopEigenvalues
	// (0 when none were asked).
	LambdaMax         float64 `json:"lambda_max"`
	LambdaMaxResidual float64 `json:"lambda_max_residual,omitempty"`
	// Blocks holds, per family, the spectra of its representative blocks
	// (Layout.Representative), when MeasureOptions.Blocks asks for them.
	Blocks []FamilyBlocks `json:"blocks,omitempty"`

	// Hessian is the dense H when the dense path formed it and
	// MeasureOptions.KeepHessian asked to keep it; nil otherwise.
	Hessian *mat.SymDense `json:"-"`
	// DenseRefused is why StatsAuto did not form H (a *DenseTooLargeError
	// when it would not fit Problem.MaxDenseBytes); nil when it did or when
	// the method was named.
	DenseRefused error `json:"-"`
}

// Frobenius returns ‖H‖_F.
func (m *Measurement) Frobenius() float64 { return math.Sqrt(m.Summary.FrobeniusSq) }

// Measure is the one entry point to the block statistics of p's Hessian at
// the current parameters: R per family, ρ and ‖H‖_F, and as o asks the
// largest eigenvalues and the spectra of representative blocks. It decides
// how: StatsAuto forms H (StatsDense) when P ≤ o.MaxDenseParams and H fits
// Problem.MaxDenseBytes, and otherwise uses the Gram identities of
// StructuredStats (StatsStructured: exact, never forming H; for networks of
// three or more layers or with biases, which have no structured path, it
// falls back to StatsSampled, and StatsStructured is an error); StatsSampled,
// an unbiased estimate with standard errors, remains for sizes where even
// the O(N²·C) structured cost is too high. The representative blocks come
// from Problem.Block, which never forms H, on every path.
func Measure(p *Problem, o MeasureOptions) (*Measurement, error) {
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("numerics: Measure: %w", err)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	method := o.Method
	var refused error
	if method == StatsAuto {
		method = StatsStructured
		if !p.structuredApplies() {
			method = StatsSampled
		}
		copies := int64(1)
		if o.LambdaMax {
			copies = 2 // λmax: Lanczos vectors (≤ min(P, 500)·P) or, as a fallback, the decomposition of a copy of H
		}
		if refused = p.checkDense(copies); refused == nil && p.NumParams() <= o.MaxDenseParams {
			method = StatsDense
		}
	}
	if err := p.checkMeasureExtras(method, o); err != nil {
		return nil, err
	}
	var st *Measurement
	var exactMax float64 // λmax from the dense eigenvalues
	switch method {
	case StatsDense:
		h, err := p.Hessian()
		if err != nil {
			return nil, err
		}
		bs, err := ComputeBlockStats(h, p.Layout())
		if err != nil {
			return nil, err
		}
		st = &Measurement{Method: StatsDense, Summary: bs.Summary, RatioStdErr: make([]float64, len(bs.Ratios))}
		if o.LambdaMax {
			var err error
			if exactMax, err = denseLambdaMax(p, h, o.Seed); err != nil {
				return nil, err
			}
		}
		if o.KeepHessian {
			st.Hessian = h
		}
	case StatsStructured:
		q, err := p.structuredProblem()
		if err != nil {
			return nil, err
		}
		ss, err := q.StructuredStats(StructuredOptions{SkipBlockNorms: true})
		if err != nil {
			return nil, err
		}
		st = &Measurement{Method: StatsStructured, Summary: ss.Summary, RatioStdErr: make([]float64, len(ss.Ratios))}
	case StatsSampled:
		var err error
		if st, err = sampledStats(p, o); err != nil {
			return nil, err
		}
	}
	st.DenseRefused = refused
	if o.TopEigenvalues > 0 {
		ev, err := topEigenvalues(p, o.TopEigenvalues, o.LanczosSteps, o.Seed)
		if err != nil {
			return nil, err
		}
		st.TopEigenvalues = ev
		st.LambdaMax = ev[0]
	}
	switch {
	case o.LambdaMax && method == StatsDense:
		st.LambdaMax = exactMax
	case o.LambdaMax:
		// λmax only: the smallest end of a Hessian is often a slowly
		// converging cluster at 0. An unconverged estimate is still the
		// best available, and its residual says how good it is.
		ext, err := p.ExtremeEigenvalues(krylov.LanczosOptions{Seed: o.Seed, Tol: 1e-8, LargestOnly: true, Reorth: p.cfg.reorth(lambdaMaxSteps, p.maxBytes())})
		if err != nil && !errors.Is(err, krylov.ErrNotConverged) {
			return nil, err
		}
		st.LambdaMax, st.LambdaMaxResidual = ext.Max, ext.MaxResidual
	}
	if o.Blocks {
		// Lanczos's operator (N×C arrays) is garbage now: collect it before
		// the forward pass of the block spectra allocates as much again,
		// so that the two do not add up in the peak.
		runtime.GC()
		var err error
		if st.Blocks, err = p.representativeSpectra(); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// lambdaMaxSteps is krylov.Lanczos's default MaxIter, the most steps
// Measure's λmax takes off the dense path.
const lambdaMaxSteps = 300

// structuredApplies reports whether the structured statistics (Gram
// identities, never forming H) exist for p's model: the linear model, with
// or without bias, and the one-hidden-layer MLP without biases.
func (p *Problem) structuredApplies() bool {
	return p.cfg.legacy() || p.cfg.NumLayers() == 1
}

// structuredProblem returns the problem whose structured statistics are
// p's: p itself for the models of the specialized engine; for the linear
// model with a bias the linear model without bias on the inputs augmented
// with a constant 1 ([x, 1], W augmented with the bias column), which has
// the same θ, blocks and Hessian. Deeper networks have no structured path.
func (p *Problem) structuredProblem() (*Problem, error) {
	if p.cfg.legacy() {
		return p, nil
	}
	if p.cfg.NumLayers() != 1 {
		return nil, fmt.Errorf("numerics: the structured statistics exist for the linear model and the one-hidden-layer MLP without biases, not for %v; use the dense method (StatsDense, Problem.Hessian) or the sampled one (StatsSampled, exact single blocks from Problem.Block)", p.cfg)
	}
	cfg := p.cfg.augmented()
	c, d := p.cfg.C, p.cfg.D
	w := make([]float64, 0, c*(d+1))
	for k := 0; k < c; k++ {
		w = append(append(w, p.ws[0].RawRowView(k)...), p.bs[0][k])
	}
	q := &Problem{cfg: cfg, x: mat.NewDense(cfg.N, cfg.D, augment(p.x.RawMatrix().Data, cfg.N, d)), labels: p.labels,
		ws: []*mat.Dense{mat.NewDense(c, d+1, w)}, bs: make([][]float64, 1), MaxDenseBytes: p.MaxDenseBytes, MaxBytes: p.MaxBytes}
	q.alias()
	return q, nil
}

// augmented is the configuration of structuredProblem for a linear model
// with a bias: the same model without bias on inputs with a trailing 1.
func (c Config) augmented() Config {
	if c.legacy() {
		return c
	}
	c.D++
	c.Bias, c.LayerBias, c.Depth = false, nil, 0
	return c
}

// checkMeasureExtras checks the Lanczos vectors and block spectra that o
// asks for against the memory budget (the dense and structured paths check
// their own arrays).
func (p *Problem) checkMeasureExtras(method StatsMethod, o MeasureOptions) error {
	steps := 0
	if o.TopEigenvalues > 0 {
		steps = o.LanczosSteps
	}
	if o.LambdaMax && method != StatsDense {
		steps = max(steps, lambdaMaxSteps)
	}
	if steps > 0 {
		if err := p.checkExtra("Lanczos on H·v", p.cfg.lanczosBytesAt(steps, o.TopEigenvalues > 0, p.maxBytes()), "ask for fewer eigenvalues or Lanczos steps, or use smaller sizes"); err != nil {
			return err
		}
	}
	if o.Blocks || method == StatsSampled {
		extra := membudget.Add(p.cfg.BlockBytes(), p.cfg.ForwardBytes())
		switch {
		case p.cfg.streamable() && method != StatsSampled:
			extra = membudget.Add(p.cfg.BlockBytes(), p.cfg.streamBytes())
		case !p.cfg.legacy():
			extra = membudget.Add(extra, p.cfg.deepJacobianBytes(true))
		}
		if err := p.checkExtra("single d×d blocks and their spectra", extra, "use a smaller d (or m)"); err != nil {
			return err
		}
	}
	return nil
}

// topEigenvalues returns the k largest Ritz values of H after `steps`
// Lanczos iterations with full reorthogonalization (krylov.Ritz, so no
// ghost copies), from a seeded random start, using Hessian–vector products
// only.
func topEigenvalues(p *Problem, k, steps int, seed uint64) ([]float64, error) {
	np := p.NumParams()
	steps = min(steps, np)
	rnd := newRand(seed, streamStats+1)
	q1 := make([]float64, np)
	for i := range q1 {
		q1[i] = rnd.NormFloat64()
	}
	vals, err := krylov.Ritz(p.HessVecOperator(), q1, steps, krylov.ReorthFull)
	if err != nil {
		return nil, err
	}
	k = min(k, len(vals))
	top := make([]float64, k)
	for i := range top {
		top[i] = vals[len(vals)-1-i]
	}
	return top, nil
}

// denseLambdaMaxTol is the relative residual at which denseLambdaMax
// accepts the largest Ritz value: for a symmetric H the eigenvalue lies
// within the residual of it, so λmax is good to this relative accuracy.
const denseLambdaMaxTol = 1e-12

// denseLambdaMax returns the largest eigenvalue of H by Lanczos on the
// matrix-free H·v (O(N·P) per step, no pass over the P² entries of the
// dense H, which made a Symv-based Lanczos memory-bound) instead of the
// full decomposition (O(P³): 100 s at P = 4000 on two cores). Should
// Lanczos not converge within its step cap, the decomposition of h decides.
func denseLambdaMax(p *Problem, h *mat.SymDense, seed uint64) (float64, error) {
	n := h.SymmetricDim()
	ext, err := p.ExtremeEigenvalues(krylov.LanczosOptions{Seed: seed, Tol: denseLambdaMaxTol, LargestOnly: true, MaxIter: min(n, 500)})
	if err == nil && ext.Converged {
		return ext.Max, nil
	}
	if err != nil && !errors.Is(err, krylov.ErrNotConverged) {
		return 0, err
	}
	ev, err := Eigenvalues(h)
	if err != nil {
		return 0, err
	}
	return ev[len(ev)-1], nil
}
