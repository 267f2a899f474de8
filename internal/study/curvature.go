package study

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/internal/sweep"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
	"github.com/hessblock/hessblock/train"
)

// CurvatureOptions sizes the sections on the Gauss–Newton and residual
// parts of H and on block preconditioners: one-hidden-layer networks under
// CE, small enough that H, G = (1/N)Σ JᵀAJ and Hres = H − G are formed
// densely, measured at initialization over a C grid and along one
// full-batch gradient-descent run per activation.
type CurvatureOptions struct {
	D, N, M     int
	CMax        int               // initialization grid C = 2, 4, …, ≤ CMax
	Seeds       int               // seeds 1…Seeds per grid point
	Activations []kind.Activation // e.g. relu, tanh
	TrainC      int               // classes of the training run
	Steps       int               // GD steps
	LR          float64           // GD learning rate
	Checkpoints []int             // steps at which H is measured, in [0, Steps]
	// Dampings are the damping factors of the preconditioner section:
	// λ = factor·λmax(H) (precond.DampingFor).
	Dampings []float64
}

// DefaultCurvature is the default run's setting: a few seconds on two cores.
func DefaultCurvature() CurvatureOptions {
	return CurvatureOptions{D: 8, N: 128, M: 8, CMax: 32, Seeds: 2,
		Activations: []kind.Activation{kind.ReLU, kind.Tanh},
		TrainC:      8, Steps: 400, LR: 0.5, Checkpoints: []int{0, 25, 50, 100, 200, 400},
		Dampings: []float64{1e-3, 1e-1, 1}}
}

// QuickCurvature is a tiny setting for tests.
func QuickCurvature() CurvatureOptions {
	return CurvatureOptions{D: 4, N: 24, M: 4, CMax: 8, Seeds: 2,
		Activations: []kind.Activation{kind.ReLU, kind.Tanh},
		TrainC:      4, Steps: 20, LR: 0.5, Checkpoints: []int{0, 10, 20},
		Dampings: []float64{1e-3, 1e-1, 1}}
}

// Cs returns the initialization grid's class counts.
func (c CurvatureOptions) Cs() []int {
	var cs []int
	for k := 2; k <= c.CMax; k *= 2 {
		cs = append(cs, k)
	}
	return cs
}

func (c CurvatureOptions) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.D < 1 || c.N < 1 || c.M < 1 || c.Seeds < 1 {
		bad("curvature: d, N, m, seeds = %d, %d, %d, %d, want all ≥ 1", c.D, c.N, c.M, c.Seeds)
	}
	if c.CMax < 8 || c.CMax > maxCMax {
		bad("curvature: cmax = %d, want 8 … %d (fits need three values of C)", c.CMax, maxCMax)
	}
	if len(c.Activations) == 0 {
		bad("curvature: no activations")
	}
	for _, a := range c.Activations {
		if _, err := kind.ParseActivation(string(a)); err != nil || a == kind.None || a == kind.Identity {
			bad("curvature: activation %q, want a nonlinear activation", a)
		}
	}
	if c.TrainC < 2 {
		bad("curvature: training C = %d, want ≥ 2", c.TrainC)
	}
	if c.Steps < 1 || !(c.LR > 0) || math.IsInf(c.LR, 0) {
		bad("curvature: steps = %d, learning rate = %v, want ≥ 1 and a finite value > 0", c.Steps, c.LR)
	}
	if len(c.Checkpoints) < 2 {
		bad("curvature: %d checkpoints, want ≥ 2", len(c.Checkpoints))
	}
	for i, s := range c.Checkpoints {
		if s < 0 || s > c.Steps || (i > 0 && s <= c.Checkpoints[i-1]) {
			bad("curvature: checkpoints %v, want increasing steps in [0, %d]", c.Checkpoints, c.Steps)
			break
		}
	}
	if len(c.Dampings) == 0 {
		bad("curvature: no damping factors")
	}
	for _, f := range c.Dampings {
		if !(f > 0) || f > 1e6 {
			bad("curvature: damping factor %v, want 0 < factor ≤ 1e6", f)
		}
	}
	return errors.Join(errs...)
}

func (c CurvatureOptions) config(act kind.Activation, classes int, seed uint64) numerics.Config {
	return numerics.Config{Model: kind.MLP, Activation: act, Loss: kind.CE,
		C: classes, D: c.D, N: c.N, M: c.M, SigmaW: 1, SigmaV: 1, Seed: seed}
}

// bytes is the peak memory of one measured problem: the problem, H, G and
// Hres, one dense copy inside each of block statistics and preconditioner
// construction, and KFAC's work arrays (bounded by the per-sample
// Jacobians, N·C·(m + C) floats).
func (c CurvatureOptions) bytes() int64 {
	big := c.config(kind.Tanh, max(c.CMax, c.TrainC), 1)
	jac := 8 * int64(c.N) * int64(big.C) * int64(c.M+big.C)
	return big.ProblemBytes() + 6*big.DenseBytes() + jac
}

// The three matrices of the Gauss–Newton section.
const (
	partH   = "H"
	partG   = "G"
	partRes = "Hres"
)

var curvParts = []string{partG, partRes, partH}

// curvCaseID names a grid case of the Gauss–Newton section.
func curvCaseID(act kind.Activation, part string) string { return "curv-" + string(act) + "-" + part }

// curvMeasurement holds the three matrices' statistics of one problem and
// the preconditioner results of its H.
type curvMeasurement struct {
	Recs    map[string]sweep.Record // by part
	Precond []precondResult         // ReLU only (empty otherwise)
}

// measureCurvature forms H, G and Hres of p and measures their block
// statistics and, with withPrecond, the preconditioners of H.
func (c CurvatureOptions) measureCurvature(p *numerics.Problem, withPrecond bool, seed uint64) (curvMeasurement, error) {
	cfg := p.Config()
	h, err := p.Hessian()
	if err != nil {
		return curvMeasurement{}, err
	}
	g, err := p.GaussNewton()
	if err != nil {
		return curvMeasurement{}, err
	}
	res, err := p.Residual()
	if err != nil {
		return curvMeasurement{}, err
	}
	out := curvMeasurement{Recs: map[string]sweep.Record{}}
	for part, m := range map[string]*mat.SymDense{partH: h, partG: g, partRes: res} {
		rec, err := denseRecord(cfg, m)
		if err != nil {
			return curvMeasurement{}, fmt.Errorf("%s of %v: %w", part, cfg, err)
		}
		out.Recs[part] = rec
	}
	if withPrecond {
		for _, t := range []struct {
			name string
			m    *mat.SymDense
		}{{partH, h}, {partG, g}} {
			rs, err := measurePreconditioners(p, t.name, t.m, c.Dampings, seed)
			if err != nil {
				return curvMeasurement{}, fmt.Errorf("preconditioners of %s of %v: %w", t.name, cfg, err)
			}
			out.Precond = append(out.Precond, rs...)
		}
	}
	return out, nil
}

// curvInit is the initialization grid: one measurement per activation, C
// and seed.
type curvInit struct {
	Act  kind.Activation
	C    int
	Seed uint64
	curvMeasurement
}

// trainCheckpoint is one checkpoint of a training run with its
// measurements.
type trainCheckpoint struct {
	Act            kind.Activation
	Step           int
	Loss, Accuracy float64
	GradNorm       float64
	curvMeasurement
}

// measureCurvatureAll runs the initialization grid and the training runs.
// Preconditioners are measured for the first activation (the ReLU network
// of the report) only.
func (c CurvatureOptions) measureCurvatureAll(ctx context.Context, tick func(int)) (init []curvInit, runs []trainCheckpoint, err error) {
	for ai, act := range c.Activations {
		for _, cl := range c.Cs() {
			for s := 1; s <= c.Seeds; s++ {
				if err := ctx.Err(); err != nil {
					return nil, nil, err
				}
				p, err := numerics.NewProblem(c.config(act, cl, uint64(s)))
				if err != nil {
					return nil, nil, err
				}
				m, err := c.measureCurvature(p, ai == 0, uint64(s))
				if err != nil {
					return nil, nil, err
				}
				init = append(init, curvInit{act, cl, uint64(s), m})
				tick(c.pointCost(cl, ai == 0))
			}
		}
		cks, err := c.trainRun(ctx, act, ai == 0, tick)
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, cks...)
	}
	return init, runs, nil
}

// trainRun trains the network of activation act with full-batch GD from
// seed 1 and measures every checkpoint.
func (c CurvatureOptions) trainRun(ctx context.Context, act kind.Activation, withPrecond bool, tick func(int)) ([]trainCheckpoint, error) {
	p, err := numerics.NewProblem(c.config(act, c.TrainC, 1))
	if err != nil {
		return nil, err
	}
	start := p.Clone()
	cks, err := train.Run(p, train.Options{Optimizer: train.GD{LR: c.LR}, Steps: c.Steps, Checkpoints: c.Checkpoints, Seed: 1, KeepParams: true})
	if err != nil {
		return nil, fmt.Errorf("curvature: training the %s network: %w", act, err)
	}
	var out []trainCheckpoint
	for _, ck := range cks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		q := start.Clone()
		if err := q.SetParams(ck.Params); err != nil {
			return nil, err
		}
		m, err := c.measureCurvature(q, withPrecond, 1)
		if err != nil {
			return nil, fmt.Errorf("curvature: %s network at step %d: %w", act, ck.Step, err)
		}
		out = append(out, trainCheckpoint{act, ck.Step, ck.Loss, ck.Accuracy, ck.GradNorm, m})
		tick(c.pointCost(c.TrainC, withPrecond))
	}
	return out, nil
}

// pointCost is the progress weight of one measurement: three dense
// matrices (N·P² each) and, with preconditioners, their Lanczos runs
// (about 2·300·P² per matrix, approximation and damping).
func (c CurvatureOptions) pointCost(classes int, withPrecond bool) int {
	p := float64(c.config(kind.ReLU, classes, 1).NumParams())
	flops := 3 * float64(c.N) * p * p
	if withPrecond {
		flops += float64(2*5*len(c.Dampings)) * 600 * p * p
	}
	return max(1, int(flops/1e6))
}

// work is the section's total progress weight.
func (c CurvatureOptions) work() int {
	w := 0
	for ai := range c.Activations {
		for _, cl := range c.Cs() {
			w += c.Seeds * c.pointCost(cl, ai == 0)
		}
		w += len(c.Checkpoints) * c.pointCost(c.TrainC, ai == 0)
	}
	return w
}
