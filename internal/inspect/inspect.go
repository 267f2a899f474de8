// Package inspect is the measurement behind `hessblock inspect`: the block
// statistics of one configuration (numerics.Measure, with the dense
// Hessian when it fits and the structured path otherwise) gathered into
// the Result the command prints, the analyses Analyze adds to it, and the
// figures of -fig.
//
// Measure gives the Stats of H: R per family, ρ, ‖H‖_F and λmax. Analyze
// then adds, as Options asks,
//
//   - the same Stats for the two parts of H = G + Hres, the Gauss–Newton
//     matrix and the residual (numerics.Problem.GaussNewton, Residual);
//     without the dense H only their λmax, by Lanczos on G·v and Hres·v;
//   - one precond.Quality row per approximation of H (Approximations:
//     per-neuron and per-layer blockdiag(H), KFAC, diag(H), identity) at
//     one damping λ, absolute or a fraction of λmax(H) (dense H only);
//   - the top k eigenpairs of H (krylov.TopEigenpairs) with the fraction of
//     each eigenvector's ‖v‖² per layer and per block: a block-diagonal H
//     has eigenvectors inside single blocks;
//   - tr(H) by Hutchinson and Hutch++ with their standard errors, beside
//     the exact trace and the per-layer traces on the dense path.
//
// In code:
//
//	p, _ := numerics.NewProblem(cfg)
//	res, _ := inspect.Measure(p, os.Stderr)
//	err := inspect.Analyze(p, &res, inspect.Options{Curvature: true, Precond: true, Eigvecs: 3, TraceProbes: 30, Seed: 1})
//	fmt.Println(res.Residual.Frobenius, res.Preconditioners[0].Condition, res.Eigvecs[0].LayerMass)
//
// Every Lanczos run starts from Options.Seed and the trace probes are drawn
// from it, so a Result repeats exactly. Each allocation that grows with P
// (G or Hres beside H, the Krylov basis of the eigenvectors) is checked
// against the memory budget first.
package inspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/hessblock/hessblock/internal/membudget"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/precond"
)

// Result is what `hessblock inspect` prints. Field order is the JSON order.
type Result struct {
	Config numerics.Config `json:"config"`
	Params int             `json:"params"` // P
	Gamma  float64         `json:"gamma"`  // d/N
	// Method is "dense" (H formed) or "structured" (Gram identities and
	// Lanczos; H never formed), chosen by the memory guard.
	Method string `json:"method"`

	// Stats are those of H: R per family (0 for a family without
	// off-diagonal pairs, pairs = 0, an MLP with m = 1), ρ, ‖H‖_F and
	// λmax(H). An undefined R or ρ (0/0, e.g. H = 0) is NaN with a reason
	// (FamilyRatio.Undefined, RhoUndefined), and JSON holds null beside
	// "R_undefined" or "rho_undefined". LambdaMaxResidual bounds
	// |λmax − LambdaMax| on the structured path (the Lanczos residual); it
	// is 0 on the dense path, exact to round-off.
	Stats

	// EstimatedBytes is the memory estimate the budget (-max-memory) is
	// checked against (EstimatedBytes, the function).
	EstimatedBytes int64 `json:"estimated_bytes"`
	// PeakRSSBytes is the process's peak resident set size when the
	// measurement finished: getrusage(RUSAGE_SELF) ru_maxrss on Linux
	// (KiB there, converted to bytes), 0 on other systems. It covers the
	// whole process, so in a process that did more before (a test binary)
	// it is at least that.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`

	// DiagBlock is H_00, the first block (W[0]); OffBlock the first
	// off-diagonal pair of one kind (numerics.Layout.Representative).
	DiagBlock numerics.BlockSpectrum `json:"diag_block"`
	OffBlock  numerics.BlockSpectrum `json:"off_block"`

	// GaussNewton and Residual are the statistics of the two parts of
	// H = G + Hres (Options.Curvature); nil when not asked.
	GaussNewton *Stats `json:"gauss_newton,omitempty"`
	Residual    *Stats `json:"residual,omitempty"`
	// Preconditioners rate the approximations of H (Approximations, in
	// that order) with precond.Quality at one damping (Options.Precond);
	// PrecondSkipped says why there are none when they were asked for.
	Preconditioners []precond.Result `json:"preconditioners,omitempty"`
	PrecondSkipped  string           `json:"preconditioners_skipped,omitempty"`
	// Eigvecs are the top eigenpairs of H (Options.Eigvecs), largest first.
	Eigvecs []Eigvec `json:"eigvecs,omitempty"`
	// Trace holds the trace estimates (Options.TraceProbes).
	Trace *Trace `json:"trace,omitempty"`

	// Source says where the weights and data came from when they were not
	// drawn from the configuration's seed (inspect -load); then the
	// configuration's σ values and, for a file with X and y, its seed are
	// not used.
	Source string `json:"source,omitempty"`

	// BLAS names the BLAS that ran (numerics.BLASBackend): results agree
	// across backends only to round-off.
	BLAS string `json:"blas"`

	// Hessian is the dense H when the dense path computed it (for -npy
	// and -fig); nil otherwise.
	Hessian *mat.SymDense `json:"-"`
}

// MarshalJSON writes Result with its tags, an undefined ρ as null.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Config            numerics.Config        `json:"config"`
		Params            int                    `json:"params"`
		Gamma             float64                `json:"gamma"`
		Method            string                 `json:"method"`
		Ratios            []numerics.FamilyRatio `json:"ratios"`
		Rho               *float64               `json:"rho"`
		RhoUndefined      string                 `json:"rho_undefined,omitempty"`
		Frobenius         float64                `json:"frobenius"`
		LambdaMax         float64                `json:"lambda_max"`
		LambdaMaxResidual float64                `json:"lambda_max_residual,omitempty"`
		EstimatedBytes    int64                  `json:"estimated_bytes"`
		PeakRSSBytes      int64                  `json:"peak_rss_bytes"`
		DiagBlock         numerics.BlockSpectrum `json:"diag_block"`
		OffBlock          numerics.BlockSpectrum `json:"off_block"`
		GaussNewton       *Stats                 `json:"gauss_newton,omitempty"`
		Residual          *Stats                 `json:"residual,omitempty"`
		Preconditioners   []precond.Result       `json:"preconditioners,omitempty"`
		PrecondSkipped    string                 `json:"preconditioners_skipped,omitempty"`
		Eigvecs           []Eigvec               `json:"eigvecs,omitempty"`
		Trace             *Trace                 `json:"trace,omitempty"`
		Source            string                 `json:"source,omitempty"`
		BLAS              string                 `json:"blas"`
	}{r.Config, r.Params, r.Gamma, r.Method, r.Ratios, numerics.Number(r.Rho), r.RhoUndefined,
		r.Frobenius, r.LambdaMax, r.LambdaMaxResidual, r.EstimatedBytes, r.PeakRSSBytes, r.DiagBlock, r.OffBlock,
		r.GaussNewton, r.Residual, r.Preconditioners, r.PrecondSkipped, r.Eigvecs, r.Trace, r.Source, r.BLAS})
}

// EstimatedBytes is the memory estimate of Measure on a problem of cfg
// under budget (the process's, -max-memory): numerics.Config.MeasureBytes,
// and off the dense path at least Config.LambdaMaxBytes (Lanczos on H·v,
// its operator in the mode the budget selects).
func EstimatedBytes(cfg numerics.Config, maxDenseBytes, budget int64) int64 {
	dense := cfg.DenseBytes() <= maxDenseBytes && membudget.Add(membudget.Mul(cfg.DenseBytes(), 2), cfg.ProblemBytes()) <= budget
	return estimatedBytes(cfg, maxDenseBytes, budget, dense)
}

func estimatedBytes(cfg numerics.Config, maxDenseBytes, budget int64, dense bool) int64 {
	b := cfg.MeasureBytes(maxDenseBytes)
	if !dense {
		b = max(b, cfg.LambdaMaxBytes(budget))
	}
	return b
}

// CheckBudget returns a *membudget.Error if EstimatedBytes exceeds budget,
// with the largest N that would fit: the check to make before drawing the
// problem, so that the size the message suggests fits the whole run.
func CheckBudget(cfg numerics.Config, maxDenseBytes, budget int64) error {
	return cfg.CheckBytes(fmt.Sprintf("inspecting %v (data X %d×%d, weights, Hessian or structured work arrays, λmax)", cfg, cfg.N, cfg.D),
		budget, func(k numerics.Config) int64 { return EstimatedBytes(k, maxDenseBytes, budget) })
}

// Measure computes the statistics of p with numerics.Measure: with
// the dense Hessian when it fits under -max-dense-bytes and the memory
// budget, otherwise with the
// structured path (exact Gram identities for R and ρ, Lanczos for λmax),
// saying so on note.
func Measure(p *numerics.Problem, note io.Writer) (Result, error) {
	cfg := p.Config()
	res := Result{Config: cfg, Params: p.NumParams(), Gamma: cfg.Gamma(), BLAS: numerics.BLASBackend}
	m, err := numerics.Measure(p, numerics.MeasureOptions{
		MaxDenseParams: math.MaxInt, Seed: cfg.Seed, LambdaMax: true, Blocks: true, KeepHessian: true,
	})
	if err != nil {
		return res, err
	}
	var tooLarge *numerics.DenseTooLargeError
	if errors.As(m.DenseRefused, &tooLarge) {
		limit := "the limit of %s (-max-dense-bytes)"
		if tooLarge.Budget {
			limit = "the memory budget of %s (-max-memory), with the data and forward pass"
		}
		fmt.Fprintf(note, "hessblock inspect: the dense Hessian would need %s, over "+limit+"; "+
			"using structured statistics instead (exact R and ρ from Gram identities, λmax by Lanczos; H is not formed)\n",
			membudget.Format(tooLarge.Bytes), membudget.Format(tooLarge.Limit))
	}
	res.PeakRSSBytes = peakRSS()
	maxDense := p.MaxDenseBytes
	if maxDense <= 0 {
		maxDense = numerics.DefaultMaxDenseBytes
	}
	budget := p.MaxBytes
	if budget <= 0 {
		budget = membudget.Limit()
	}
	res.EstimatedBytes = estimatedBytes(cfg, maxDense, budget, m.Method == numerics.StatsDense)
	res.Method = string(m.Method)
	res.Ratios = m.Summary.Ratios
	res.Rho, res.RhoUndefined = m.Summary.Rho, m.Summary.RhoUndefined
	res.Frobenius = m.Frobenius()
	res.LambdaMax, res.LambdaMaxResidual = m.LambdaMax, m.LambdaMaxResidual
	res.Hessian = m.Hessian
	// The first family's diagonal block is block 0; the off-diagonal
	// block is that of the first family of one kind with a pair (the
	// output–output one for an MLP with a single hidden neuron).
	res.DiagBlock = *m.Blocks[0].Diag
	for _, fb := range m.Blocks {
		if fb.Diag != nil && fb.Off != nil {
			res.OffBlock = *fb.Off
			break
		}
	}
	return res, nil
}
