package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"

	"github.com/hessblock/hessblock/numerics"
)

// streamBatch is the random stream of minibatch draws: the PCG stream
// numerics' own streams are drawn from (data, labels, W, V are streams 1–4),
// far from them so the two never collide, and unchanged by the move out of
// numerics so that training runs are reproduced bit for bit.
const streamBatch uint64 = 0x7472_6169_6e00 // "train"

// Options configures Run.
type Options struct {
	Optimizer Optimizer
	// Steps is the number of parameter updates, ≥ 0.
	Steps int
	// Checkpoints are the steps, in [0, Steps], after which the state is
	// recorded (0 = at initialization). Duplicates are merged and the order
	// does not matter. Nil means {0, Steps}.
	Checkpoints []int
	// Seed drives the minibatch draws (the initialization comes from the
	// problem's Config.Seed).
	Seed uint64
	// Stats, if not nil, computes Hessian statistics at every checkpoint
	// with numerics.Measure.
	Stats *numerics.MeasureOptions
	// KeepParams stores a copy of θ in every checkpoint.
	KeepParams bool
	// Progress, if not nil, is called after each checkpoint is recorded.
	Progress func(Checkpoint)
}

// Checkpoint is the state of training after Step updates. Loss, Accuracy
// and GradNorm are over the whole data set, not one minibatch.
type Checkpoint struct {
	Step     int                   `json:"step"`
	Loss     float64               `json:"loss"`
	Accuracy float64               `json:"accuracy"`
	GradNorm float64               `json:"grad_norm"` // ‖∇L(θ)‖₂
	Stats    *numerics.Measurement `json:"stats,omitempty"`
	Params   []float64             `json:"-"`
}

// ExplodeFactor and ExplodeOffset define an exploding loss: training has
// diverged when a loss exceeds ExplodeFactor × the initial loss +
// ExplodeOffset. Ordinary training (and noisy SGD) stays far below.
const (
	ExplodeFactor = 1e3
	ExplodeOffset = 1e3
)

// DivergedError is Run's error when training diverges: a loss (of the
// minibatch before an update, or of the whole data at a checkpoint) or the
// gradient is not finite, or the loss explodes. Step is the number of
// updates made when it was seen.
type DivergedError struct {
	Step      int
	Loss      float64 // the loss seen
	Initial   float64 // the full-data loss at step 0
	GradNorm  float64 // the gradient norm seen
	Exploded  bool    // finite, but over ExplodeFactor × Initial + ExplodeOffset
	Optimizer Optimizer
}

func (e *DivergedError) Error() string {
	var what string
	switch {
	case math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0):
		what = fmt.Sprintf("the loss is %v", e.Loss)
	case e.Exploded:
		what = fmt.Sprintf("the loss %.4g exceeds %g × the initial loss %.4g + %g",
			e.Loss, float64(ExplodeFactor), e.Initial, float64(ExplodeOffset))
	default:
		what = fmt.Sprintf("the gradient norm is %v", e.GradNorm)
	}
	return fmt.Sprintf("train: Run: %v diverged at step %d: %s; lower the learning rate", e.Optimizer, e.Step, what)
}

// Run runs the optimizer on p from its current parameters and returns
// the checkpoints in step order; p is left at the final parameters. If a
// loss or the gradient stops being finite, or a loss explodes
// (ExplodeFactor), Run stops at once with a *DivergedError and the
// checkpoints recorded before it, rather than continue with huge numbers
// or NaN.
func Run(p *numerics.Problem, opts Options) ([]Checkpoint, error) {
	if err := checkProblem(p); err != nil {
		return nil, fmt.Errorf("train: Run: %w", err)
	}
	if isNilOptimizer(opts.Optimizer) {
		return nil, errors.New("train: Run: no optimizer")
	}
	if err := opts.Optimizer.validate(); err != nil {
		return nil, fmt.Errorf("train: Run: %w", err)
	}
	if opts.Steps < 0 {
		return nil, fmt.Errorf("train: Run: %d steps, want ≥ 0", opts.Steps)
	}
	if b := opts.Optimizer.batchSize(); b > p.Config().N {
		return nil, fmt.Errorf("train: Run: batch size %d exceeds the %d samples", b, p.Config().N)
	}
	if opts.Stats != nil {
		if err := opts.Stats.Validate(); err != nil {
			return nil, fmt.Errorf("train: Run: %w", err)
		}
	}
	ckpts := opts.Checkpoints
	if ckpts == nil {
		ckpts = []int{0, opts.Steps}
	}
	ckpts = slices.Clone(ckpts)
	slices.Sort(ckpts)
	ckpts = slices.Compact(ckpts)
	for _, s := range ckpts {
		if s < 0 || s > opts.Steps {
			return nil, fmt.Errorf("train: Run: checkpoint %d outside [0, %d]", s, opts.Steps)
		}
	}

	initial := p.Loss()
	limit := ExplodeFactor*initial + ExplodeOffset
	diverged := func(step int, loss, gradNorm float64) error {
		bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
		if bad(loss) || bad(gradNorm) || loss > limit {
			return &DivergedError{Step: step, Loss: loss, Initial: initial, GradNorm: gradNorm,
				Exploded: !bad(loss) && !bad(gradNorm), Optimizer: opts.Optimizer}
		}
		return nil
	}
	if bad := diverged(0, initial, 0); bad != nil {
		return nil, bad
	}
	var out []Checkpoint
	record := func(step int) error {
		c, err := checkpoint(p, step, opts, diverged)
		if err != nil {
			return err
		}
		out = append(out, c)
		if opts.Progress != nil {
			opts.Progress(c)
		}
		return nil
	}
	next := 0 // index of the next checkpoint
	if next < len(ckpts) && ckpts[next] == 0 {
		if err := record(0); err != nil {
			return out, err
		}
		next++
	}
	np := p.NumParams()
	theta := p.Params()
	grad := make([]float64, np)
	state := opts.Optimizer.newState(np)
	batches := newBatcher(p, opts.Optimizer.batchSize(), opts.Seed)
	for t := 1; t <= opts.Steps; t++ {
		loss, _ := batches.lossGradient(grad)
		if err := diverged(t-1, loss, norm(grad)); err != nil {
			return out, err
		}
		state.step(theta, grad, t)
		if err := p.SetParams(theta); err != nil {
			return out, fmt.Errorf("train: Run: step %d (%v diverged; lower the learning rate): %w", t, opts.Optimizer, err)
		}
		if next < len(ckpts) && ckpts[next] == t {
			if err := record(t); err != nil {
				return out, err
			}
			next++
		}
	}
	return out, nil
}

// isNilOptimizer reports whether o is nil or a nil pointer such as a nil
// *GD, whose value methods would panic.
func isNilOptimizer(o Optimizer) bool {
	if o == nil {
		return true
	}
	v := reflect.ValueOf(o)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// norm is the Euclidean norm of g: +Inf or NaN when g is not finite.
func norm(g []float64) float64 {
	var s float64
	for _, v := range g {
		s += v * v
	}
	return math.Sqrt(s)
}

func checkpoint(p *numerics.Problem, step int, opts Options, diverged func(step int, loss, gradNorm float64) error) (Checkpoint, error) {
	loss, g := p.LossGradient(nil)
	c := Checkpoint{Step: step, Loss: loss, Accuracy: p.Accuracy(), GradNorm: norm(g)}
	if err := diverged(step, c.Loss, c.GradNorm); err != nil {
		return c, err
	}
	if opts.KeepParams {
		c.Params = p.Params()
	}
	if opts.Stats != nil {
		st, err := numerics.Measure(p, *opts.Stats)
		if err != nil {
			return c, fmt.Errorf("train: Run: statistics at step %d: %w", step, err)
		}
		c.Stats = st
	}
	return c, nil
}

// checkProblem refuses a nil or zero Problem, which Params would panic on.
func checkProblem(p *numerics.Problem) error {
	if p == nil || p.X() == nil || p.W() == nil {
		return errors.New("train: Run: nil or zero Problem (make one with numerics.NewProblem or NewProblemWithData)")
	}
	return nil
}

// batcher hands out the rows of the next minibatch, drawn without
// replacement within an epoch from a seeded shuffle; the full batch when
// batch is 0 or at least N.
type batcher struct {
	p    *numerics.Problem
	rows []int
	perm []int
	pos  int
	rnd  *rand.Rand
}

func newBatcher(p *numerics.Problem, batch int, seed uint64) *batcher {
	b := &batcher{p: p}
	n := p.Config().N
	if batch == 0 || batch >= n {
		return b
	}
	b.rows = make([]int, batch)
	b.rnd = rand.New(rand.NewPCG(seed, streamBatch))
	b.perm = make([]int, n)
	for i := range b.perm {
		b.perm[i] = i
	}
	b.pos = len(b.perm) // shuffle on first use
	return b
}

// next returns the rows of the next step's minibatch, or nil for the full
// batch. The slice is reused by the following call.
func (b *batcher) next() []int {
	if b.rows == nil {
		return nil
	}
	for i := range b.rows {
		if b.pos == len(b.perm) {
			b.rnd.Shuffle(len(b.perm), func(i, j int) { b.perm[i], b.perm[j] = b.perm[j], b.perm[i] })
			b.pos = 0
		}
		b.rows[i] = b.perm[b.pos]
		b.pos++
	}
	return b.rows
}

// lossGradient returns the loss and gradient of the next minibatch.
func (b *batcher) lossGradient(dst []float64) (float64, []float64) {
	rows := b.next()
	if rows == nil {
		return b.p.LossGradient(dst)
	}
	return b.p.LossGradientOn(rows, dst)
}
